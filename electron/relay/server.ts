/**
 * The DERP server proper: who is connected under which key, packet routing, PeerGone bookkeeping, mesh
 * watchers, counters, keep-alives and write timeouts. It owns no listener; `accept()` takes upgraded transports.
 */
import { timingSafeEqual } from 'node:crypto';
import { BoxPrivateKey } from '../derp/box.js';
import { looksLikeDisco } from '../derp/disco.js';
import {
  FrameType,
  KEY_LEN,
  KEEP_ALIVE_FRAME,
  KEEP_ALIVE_MS,
  PeerGoneReason,
  encodePacketFrame,
  encodePeerGone,
  encodePeerPresent,
  encodeRestarting,
  encodeServerKey,
  type PeerPresent,
} from '../derp/frames.js';
import type { ClientInfo } from '../derp/info.js';
import { formatNodePublic, isHexKey, type NodeKeyPair } from '../derp/keys.js';
import {
  DROP_REASONS,
  type DeniedClient,
  type DropReason,
  type PeerInfo,
  type RelayCounters,
  type RelayGauges,
  type RelayStats,
} from '../../shared/relay.js';
import { parseIPv4, parseIPv6 } from '../util/ip.js';
import { TokenBucket } from '../util/token-bucket.js';
import { normalizeRateConfig, type RateConfig } from './rate-config.js';
import { consoleLogger, rateLimitedLogger, type Logger } from '../util/log.js';
import { ClientConnection, type ConnectionHost, type MeshRole } from './connection.js';
import type { Transport } from './transport.js';

export interface AdmissionRequest {
  key: Buffer;
  info: ClientInfo;
  remoteAddress: string;
}

/** Resolves null to admit, or a reason to refuse. Mesh peers are never asked. */
export type AdmissionCheck = (req: AdmissionRequest) => Promise<string | null>;

export interface DerpServerOptions {
  keyPair: NodeKeyPair;
  logger?: Logger;
  /** 64 hex characters shared by the servers of one region. */
  meshKey?: string;
  /** 64 hex characters the workers of one -workers relay link to each other with (made fresh for each run). */
  siblingMeshKey?: string;
  admissionCheck?: AdmissionCheck;
  sendQueueDepth?: number;
  writeTimeoutMs?: number;
  meshWriteTimeoutMs?: number;
  handshakeTimeoutMs?: number;
  keepAliveMs?: number;
  /** Milliseconds since the epoch for timestamps and deadlines; tests inject a fake clock. */
  now?: () => number;
}

export interface RestartNotice {
  reconnectInMs: number;
  tryForMs: number;
}

/** Delivers packets to a key connected to another server of the region (a mesh link). */
export interface PacketForwarder {
  forward(srcKey: Buffer, dstKey: Buffer, buf: Buffer, pktStart: number, end: number): void;
  readonly name: string;
  /**
   * A link to another worker of this same relay (-workers), not to a region peer: the keys it reports are this
   * relay's own clients, which region peers hear about and may forward packets for.
   */
  readonly sibling?: boolean;
}

const MAX_DENIALS_KEPT = 100;

interface ClientSet {
  conns: ClientConnection[];
  active: ClientConnection | null;
}

/** derper adds up to 5 s of jitter to its 60 s keep-alive; the same proportion for other intervals. */
const KEEP_ALIVE_JITTER = 5 / 60;
const TICK_MS = 1_000;

function emptyCounters(): RelayCounters {
  const dropped = {} as RelayCounters['dropped'];
  for (const r of DROP_REASONS) dropped[r] = { disco: { packets: 0, bytes: 0 }, other: { packets: 0, bytes: 0 } };
  return {
    accepts: 0,
    packetsReceived: 0,
    bytesReceived: 0,
    packetsReceivedDisco: 0,
    packetsReceivedOther: 0,
    packetsSent: 0,
    bytesSent: 0,
    packetsDropped: 0,
    bytesDropped: 0,
    packetsForwardedIn: 0,
    packetsForwardedOut: 0,
    peerGoneDisconnectedFrames: 0,
    peerGoneNotHereFrames: 0,
    gotPing: 0,
    sentPong: 0,
    unknownFrames: 0,
    homeMovesIn: 0,
    homeMovesOut: 0,
    handshakeFailures: 0,
    writeTimeouts: 0,
    dupClientConnTotal: 0,
    clientsDenied: 0,
    rateLimitPerClientWaited: 0,
    rateLimitGlobalWaited: 0,
    acceptsRateLimited: 0,
    dropped,
  };
}

export class DerpServer implements ConnectionHost {
  readonly publicKey: Buffer;
  readonly boxKey: BoxPrivateKey;
  readonly log: ReturnType<typeof rateLimitedLogger>;
  readonly now: () => number;
  /** Changed only by this class, through the note* methods that connections and mesh links call. */
  private readonly count: RelayCounters = emptyCounters();
  /** Changed only by this class (mesh links report through noteMeshLink); read them through stats(). */
  private readonly gauges: RelayGauges = {
    currentConnections: 0,
    currentHomeConnections: 0,
    currentNotIdealConnections: 0,
    clientsLocal: 0,
    clientsRemote: 0,
    meshLinks: 0,
    dupClientKeys: 0,
    dupClientConns: 0,
    watchers: 0,
  };
  readonly sendQueueDepth: number;
  readonly handshakeTimeoutMs: number;

  private readonly meshKey: Buffer | null;
  private readonly siblingMeshKey: Buffer | null;
  private readonly admissionCheck: AdmissionCheck | null;
  private readonly writeTimeoutMs: number;
  readonly meshWriteTimeoutMs: number;
  private readonly keepAliveMs: number;
  private readonly serverKeyFrame: Buffer;

  private readonly clients = new Map<string, ClientSet>();
  private readonly conns = new Set<ClientConnection>();
  private readonly watchers = new Set<ClientConnection>();
  /** Sender key -> the clients that received from it and must hear PeerGone when it leaves. */
  private readonly peerGoneWatchers = new Map<string, Set<ClientConnection>>();
  /** Keys present on mesh peers: key -> the links that reported them (first one is used). */
  private readonly meshRoutes = new Map<string, PacketForwarder[]>();
  /** Keys on other workers of this relay -> their PeerPresent frame, as told to region peers that watch here. */
  private readonly siblingPresent = new Map<string, Buffer>();
  private readonly denials: DeniedClient[] = [];
  private rateConfig: Required<RateConfig> = normalizeRateConfig({});
  /** Shared by all limited clients when a global limit is set. */
  globalLimiter: TokenBucket | null = null;
  private flushList: ClientConnection[] = [];
  private flushScheduled = false;
  private nextConnId = 1;
  private activityStamp = 0;
  private closed = false;
  private readonly ticker: NodeJS.Timeout;

  constructor(opts: DerpServerOptions) {
    this.publicKey = opts.keyPair.publicKey;
    this.boxKey = new BoxPrivateKey(opts.keyPair.privateKey);
    this.log = rateLimitedLogger(opts.logger ?? consoleLogger);
    this.now = opts.now ?? Date.now;
    for (const k of [opts.meshKey, opts.siblingMeshKey])
      if (k !== undefined && k !== '' && !isHexKey(k)) throw new Error('mesh key must be 64 hex characters');
    this.meshKey = opts.meshKey ? Buffer.from(opts.meshKey, 'hex') : null;
    this.siblingMeshKey = opts.siblingMeshKey ? Buffer.from(opts.siblingMeshKey, 'hex') : null;
    this.admissionCheck = opts.admissionCheck ?? null;
    this.sendQueueDepth = opts.sendQueueDepth ?? 32;
    this.writeTimeoutMs = opts.writeTimeoutMs ?? 2_000;
    this.meshWriteTimeoutMs = opts.meshWriteTimeoutMs ?? 30_000;
    this.handshakeTimeoutMs = opts.handshakeTimeoutMs ?? 10_000;
    this.keepAliveMs = opts.keepAliveMs ?? KEEP_ALIVE_MS;
    this.serverKeyFrame = encodeServerKey(this.publicKey);
    this.ticker = setInterval(() => this.tick(), Math.min(TICK_MS, this.keepAliveMs / 4));
    this.ticker.unref();
  }

  /** Serves a freshly upgraded connection: sends ServerKey and waits for ClientInfo. */
  accept(transport: Transport, opts: { notIdeal?: boolean; onActive?: () => void } = {}): ClientConnection | null {
    if (this.closed) {
      transport.destroy();
      return null;
    }
    this.count.accepts++;
    const conn = new ClientConnection(this.nextConnId++, this, transport, opts.notIdeal === true);
    conn.onActive = opts.onActive ?? null;
    this.conns.add(conn);
    if (this.log.debugEnabled) this.log.debug(`derp: accepted ${conn.label} (connection ${this.conns.size} open)`);
    conn.start(this.serverKeyFrame);
    return conn;
  }

  meshRole(candidate: string | undefined): MeshRole | null {
    if (!candidate || !isHexKey(candidate)) return null;
    const given = Buffer.from(candidate, 'hex');
    if (this.meshKey && timingSafeEqual(this.meshKey, given)) return 'peer';
    if (this.siblingMeshKey && timingSafeEqual(this.siblingMeshKey, given)) return 'sibling';
    return null;
  }

  async admit(conn: ClientConnection): Promise<string | null> {
    if (conn.canMesh || !this.admissionCheck) return null;
    return this.admissionCheck({ key: conn.key, info: conn.info!, remoteAddress: conn.transport.remoteAddress });
  }

  register(conn: ClientConnection): void {
    const g = this.gauges;
    this.applyRateLimit(conn);
    let set = this.clients.get(conn.keyId);
    if (!set) {
      set = { conns: [conn], active: conn };
      this.clients.set(conn.keyId, set);
      g.clientsLocal++;
    } else {
      if (set.conns.length === 1) {
        g.dupClientKeys++;
        g.dupClientConns += 2;
      } else {
        g.dupClientConns++;
      }
      this.count.dupClientConnTotal++;
      set.conns.push(conn);
      set.active = conn;
      for (const dup of set.conns) dup.isDup = true;
    }
    g.currentConnections++;
    if (conn.notIdeal) g.currentNotIdealConnections++;
    conn.nextKeepAliveAt = this.now() + this.nextKeepAliveDelay();
    this.broadcastPresent(conn);
    if (this.log.debugEnabled)
      this.log.debug(
        `derp: ${conn.label} active${conn.canMesh ? ' (mesh peer)' : ''}${set.conns.length > 1 ? ` (${set.conns.length} connections with this key)` : ''}`,
      );
  }

  private unregister(conn: ClientConnection): void {
    const g = this.gauges;
    const set = this.clients.get(conn.keyId);
    if (set) {
      const i = set.conns.indexOf(conn);
      if (i >= 0) set.conns.splice(i, 1);
      if (set.conns.length === 0) {
        this.clients.delete(conn.keyId);
        g.clientsLocal--;
        if (!this.meshRoutes.has(conn.keyId)) this.notePeerGone(conn.keyId, conn.key);
        // Region peers still reach a key connected to another worker through this one.
        const stillOurs = conn.isSibling || this.siblingPresent.has(conn.keyId);
        for (const watcher of this.watchers)
          if (watcher !== conn && (watcher.isSibling || !stillOurs))
            watcher.enqueueControl(encodePeerGone(conn.key, PeerGoneReason.Disconnected));
      } else {
        g.dupClientConns--;
        if (set.conns.length === 1) {
          g.dupClientConns--;
          g.dupClientKeys--;
          set.conns[0].isDup = false;
          set.active = set.conns[0];
        } else if (set.active === conn) {
          set.active = set.conns.reduce((a, b) => (b.activity > a.activity ? b : a));
        }
      }
    }
    if (this.watchers.delete(conn)) g.watchers--;
    if (conn.sawSrc) {
      for (const k of conn.sawSrc) {
        const watchers = this.peerGoneWatchers.get(k);
        if (watchers && watchers.delete(conn) && watchers.size === 0) this.peerGoneWatchers.delete(k);
      }
      conn.sawSrc = null;
    }
    g.currentConnections--;
    if (conn.notIdeal) g.currentNotIdealConnections--;
    if (conn.preferred) g.currentHomeConnections--;
  }

  /** Tells every client that received from `keyId` that it has left the region. */
  private notePeerGone(keyId: string, key: Buffer): void {
    const watchers = this.peerGoneWatchers.get(keyId);
    if (!watchers) return;
    this.peerGoneWatchers.delete(keyId);
    const frame = encodePeerGone(key, PeerGoneReason.Disconnected);
    for (const watcher of watchers) {
      watcher.sawSrc?.delete(keyId);
      this.count.peerGoneDisconnectedFrames++;
      watcher.enqueueControl(frame);
    }
  }

  watchPeerGone(srcKeyId: string, watcher: ClientConnection): void {
    let watchers = this.peerGoneWatchers.get(srcKeyId);
    if (!watchers) this.peerGoneWatchers.set(srcKeyId, (watchers = new Set()));
    watchers.add(watcher);
  }

  onConnectionClosed(conn: ClientConnection): void {
    if (!this.conns.delete(conn)) return;
    const wasActive = conn.state === 'active';
    conn.dispose();
    if (wasActive) this.unregister(conn);
    if (this.log.debugEnabled)
      this.log.debug(`derp: closed ${conn.label}${wasActive ? '' : ' before its handshake finished'}`);
  }

  noteDupActivity(conn: ClientConnection): void {
    conn.activity = ++this.activityStamp;
    const set = this.clients.get(conn.keyId);
    if (set) set.active = conn;
  }

  setPreferred(conn: ClientConnection, v: boolean): void {
    if (conn.preferred === v) return;
    conn.preferred = v;
    this.gauges.currentHomeConnections += v ? 1 : -1;
    // Moves announced right after connecting are the client's first report, not a move.
    if (this.now() - conn.connectedAt > 5_000) {
      if (v) this.count.homeMovesIn++;
      else this.count.homeMovesOut++;
    }
  }

  /**
   * Routes a SendPacket from a local client: `buf[dstStart, dstStart+32)` is the destination key and the packet
   * runs from there to `end`. A key connected to a mesh peer (and not here) gets the packet by ForwardPacket.
   */
  deliverLocal(from: ClientConnection, buf: Buffer, dstStart: number, end: number): void {
    const counters = this.count;
    const pktStart = dstStart + KEY_LEN;
    const len = end - pktStart;
    const disco = looksLikeDisco(buf, pktStart, end);
    counters.packetsReceived++;
    counters.bytesReceived += len;
    if (disco) counters.packetsReceivedDisco++;
    else counters.packetsReceivedOther++;
    const dstKeyId = buf.toString('latin1', dstStart, pktStart);
    const set = this.clients.get(dstKeyId);
    const dst = set?.active;
    if (dst) {
      dst.enqueuePacket(encodePacketFrame(FrameType.RecvPacket, from.key, buf, pktStart, end), disco, from.keyId, from);
      return;
    }
    if (!set) {
      const via = this.meshRoutes.get(dstKeyId);
      if (via) {
        counters.packetsForwardedOut++;
        via[0].forward(from.key, buf.subarray(dstStart, pktStart), buf, pktStart, end);
        return;
      }
    }
    from.dropsUnknownDest++;
    if (set && set.conns.length > 1) {
      this.noteDrop('dup_client', disco, len);
      return;
    }
    this.noteDrop('unknown_dest', disco, len);
    from.replyNotHere(Buffer.from(buf.subarray(dstStart, pktStart)), buf, pktStart, end);
  }

  /**
   * Routes a ForwardPacket that mesh peer `from` sent on behalf of `srcKey`; the destination key and packet are
   * laid out as for deliverLocal. Forwarded packets are delivered locally or dropped, never forwarded again, and
   * were counted as received by the server that took them from the sender.
   */
  deliverForwarded(from: ClientConnection, srcKey: Buffer, buf: Buffer, dstStart: number, end: number): void {
    const pktStart = dstStart + KEY_LEN;
    const disco = looksLikeDisco(buf, pktStart, end);
    const set = this.clients.get(buf.toString('latin1', dstStart, pktStart));
    const dst = set?.active;
    if (dst) {
      dst.enqueuePacket(
        encodePacketFrame(FrameType.RecvPacket, srcKey, buf, pktStart, end),
        disco,
        srcKey.toString('latin1'),
        null,
      );
      return;
    }
    // A region peer's packet for a client of another worker takes one more hop, over that worker's link; a packet
    // that came over such a link is never forwarded again, so nothing loops.
    if (!set && !from.isSibling) {
      const via = this.meshRoutes.get(buf.toString('latin1', dstStart, pktStart))?.find((r) => r.sibling);
      if (via) {
        this.count.packetsForwardedOut++;
        via.forward(srcKey, buf.subarray(dstStart, pktStart), buf, pktStart, end);
        return;
      }
    }
    from.dropsUnknownDest++;
    if (set && set.conns.length > 1) {
      this.noteDrop('dup_client', disco, end - pktStart);
      return;
    }
    this.noteDrop('unknown_dest_on_fwd', disco, end - pktStart);
    from.replyNotHere(Buffer.from(buf.subarray(dstStart, pktStart)), buf, pktStart, end);
  }

  /** Applies a (re)loaded -rate-config to every connection; returns the config as applied. */
  setRateLimits(rc: RateConfig): Required<RateConfig> {
    this.rateConfig = normalizeRateConfig(rc);
    const r = this.rateConfig;
    this.globalLimiter =
      r.GlobalRateLimitBytesPerSec > 0 ? new TokenBucket(r.GlobalRateLimitBytesPerSec, r.GlobalRateBurstBytes) : null;
    for (const conn of this.conns) if (conn.state === 'active') this.applyRateLimit(conn);
    return r;
  }

  private applyRateLimit(conn: ClientConnection): void {
    const r = this.rateConfig;
    conn.limiter =
      r.PerClientRateLimitBytesPerSec > 0 && !conn.canMesh
        ? new TokenBucket(r.PerClientRateLimitBytesPerSec, r.PerClientRateBurstBytes)
        : null;
  }

  noteDenied(conn: ClientConnection, reason: string): void {
    this.count.clientsDenied++;
    if (this.log.debugEnabled) this.log.debug(`derp: refused ${conn.label}: ${reason}`);
    this.denials.push({
      key: formatNodePublic(conn.key),
      remoteAddress: conn.transport.remoteAddress,
      reason,
      at: this.now(),
    });
    if (this.denials.length > MAX_DENIALS_KEPT) this.denials.shift();
  }

  /** The most recent refusals, newest last. */
  deniedClients(): DeniedClient[] {
    return this.denials.slice();
  }

  /** Keys reachable through region peers only (a key on another worker is this relay's own). */
  private remoteOnlyKeys(): number {
    let n = 0;
    for (const [id, routes] of this.meshRoutes) if (!this.clients.has(id) && !routes.some((r) => r.sibling)) n++;
    return n;
  }

  /**
   * A mesh peer reports `key` connected there. When the peer is another worker, the region peers watching this one
   * hear of it too (`present` is that worker's PeerPresent), as they would from a single process.
   */
  addMeshRoute(key: Buffer, via: PacketForwarder, present?: PeerPresent): void {
    const id = key.toString('latin1');
    if (via.sibling && present) {
      const frame = encodePeerPresent(key, ipTo16(present.ip), present.port, present.flags);
      const fresh = !this.siblingPresent.has(id);
      this.siblingPresent.set(id, frame);
      if (fresh && !this.clients.has(id)) this.tellRegionPeers(frame);
    }
    const routes = this.meshRoutes.get(id);
    if (routes) {
      if (!routes.includes(via)) routes.push(via);
      return;
    }
    this.meshRoutes.set(id, [via]);
  }

  /** A mesh peer reports `key` gone (or its link dropped); receivers hear PeerGone once it is gone everywhere. */
  removeMeshRoute(key: Buffer, via: PacketForwarder): void {
    const id = key.toString('latin1');
    const routes = this.meshRoutes.get(id);
    if (!routes) return;
    const i = routes.indexOf(via);
    if (i < 0) return;
    routes.splice(i, 1);
    if (via.sibling && !routes.some((r) => r.sibling) && this.siblingPresent.delete(id) && !this.clients.has(id))
      this.tellRegionPeers(encodePeerGone(key, PeerGoneReason.Disconnected));
    if (routes.length > 0) return;
    this.meshRoutes.delete(id);
    if (!this.clients.has(id)) this.notePeerGone(id, key);
  }

  /** A frame for the region peers watching this relay, not for the other workers' links. */
  private tellRegionPeers(frame: Buffer): void {
    for (const watcher of this.watchers) if (!watcher.isSibling) watcher.enqueueControl(frame);
  }

  /** Every route through `via`, e.g. when its link drops. */
  removeMeshRoutesVia(via: PacketForwarder): void {
    for (const [id, routes] of [...this.meshRoutes])
      if (routes.includes(via)) this.removeMeshRoute(Buffer.from(id, 'latin1'), via);
  }

  noteDrop(reason: DropReason, disco: boolean, bytes: number): void {
    const d = this.count.dropped[reason][disco ? 'disco' : 'other'];
    d.packets++;
    d.bytes += bytes;
    this.count.packetsDropped++;
    this.count.bytesDropped += bytes;
  }

  noteSent(packets: number, bytes: number): void {
    this.count.packetsSent += packets;
    this.count.bytesSent += bytes;
  }

  noteHandshakeFailure(): void {
    this.count.handshakeFailures++;
  }

  /** A rate-limited connection stopped reading to pay its per-client or the global limit. */
  noteRateLimitWait(which: 'perClient' | 'global'): void {
    if (which === 'perClient') this.count.rateLimitPerClientWaited++;
    else this.count.rateLimitGlobalWaited++;
  }

  /** A Ping arrived; `answered` is false when too many Pongs were already waiting. */
  notePing(answered: boolean): void {
    this.count.gotPing++;
    if (answered) this.count.sentPong++;
  }

  noteUnknownFrame(): void {
    this.count.unknownFrames++;
  }

  notePeerGoneNotHere(): void {
    this.count.peerGoneNotHereFrames++;
  }

  noteForwardedIn(): void {
    this.count.packetsForwardedIn++;
  }

  /** A mesh link to a peer that stopped reading was cut. */
  noteWriteTimeout(): void {
    this.count.writeTimeouts++;
  }

  /** A mesh link to a peer server came up (`up`) or went down. */
  noteMeshLink(up: boolean): void {
    this.gauges.meshLinks += up ? 1 : -1;
  }

  /** The listener refused a connection over the accept rate limit. */
  noteAcceptRateLimited(): void {
    this.count.acceptsRateLimited++;
  }

  /** The counters as they stand (a live view; stats() returns a copy). */
  get counters(): Readonly<RelayCounters> {
    return this.count;
  }

  queueFlush(conn: ClientConnection): void {
    this.flushList.push(conn);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flushAll);
    }
  }

  /** One batched write per client per event-loop turn, after all reads of the turn have been routed. */
  private readonly flushAll = (): void => {
    this.flushScheduled = false;
    const list = this.flushList;
    this.flushList = [];
    for (const conn of list) conn.flush();
  };

  addWatcher(conn: ClientConnection): void {
    if (conn.keyId === this.publicKey.toString('latin1')) return;
    if (this.watchers.has(conn)) return;
    for (const set of this.clients.values()) {
      const active = set.active;
      if (active && (conn.isSibling || !active.isSibling)) conn.enqueueControl(presentFrame(active));
    }
    // A region peer watching one worker hears of the clients of all of them.
    if (!conn.isSibling)
      for (const [id, frame] of this.siblingPresent) if (!this.clients.has(id)) conn.enqueueControl(frame);
    this.watchers.add(conn);
    this.gauges.watchers++;
  }

  private broadcastPresent(conn: ClientConnection): void {
    if (this.watchers.size === 0) return;
    const frame = presentFrame(conn);
    // The workers' links to each other are the relay's own plumbing, not clients a region peer should route to.
    for (const watcher of this.watchers) if (watcher.isSibling || !conn.isSibling) watcher.enqueueControl(frame);
  }

  closePeer(by: ClientConnection, keyId: string): void {
    const set = this.clients.get(keyId);
    if (!set) {
      this.log.info(`derp: ClosePeer from mesh peer ${by.label}: no such peer`);
      return;
    }
    for (const conn of [...set.conns]) {
      this.log.info(`derp: closing ${conn.label} at the request of mesh peer ${by.label}`);
      conn.transport.destroy();
    }
  }

  private nextKeepAliveDelay(): number {
    return this.keepAliveMs * (1 + Math.random() * KEEP_ALIVE_JITTER);
  }

  /** Keep-alives, handshake deadlines and write timeouts, for all connections in one timer. */
  /** Runs every second or so from the server's own timer; tests with a fake clock call it directly. */
  tick(): void {
    const now = this.now();
    for (const conn of this.conns) {
      if (conn.state === 'handshake' || conn.state === 'verifying') {
        if (now > conn.handshakeDeadline)
          conn.failHandshake(`no valid ClientInfo within ${this.handshakeTimeoutMs / 1000} s`);
        continue;
      }
      if (
        conn.stalledSince !== 0 &&
        now - conn.stalledSince > (conn.canMesh ? this.meshWriteTimeoutMs : this.writeTimeoutMs)
      ) {
        this.count.writeTimeouts++;
        conn.cutForWriteTimeout = true;
        conn.fail(`write timeout: the client has not read for ${((now - conn.stalledSince) / 1000).toFixed(1)} s`);
        continue;
      }
      if (now >= conn.nextKeepAliveAt) {
        conn.nextKeepAliveAt = now + this.nextKeepAliveDelay();
        conn.enqueueControl(KEEP_ALIVE_FRAME);
      }
    }
  }

  get connectionCount(): number {
    return this.conns.size;
  }

  stats(): RelayStats {
    return {
      at: this.now(),
      serverPublicKey: formatNodePublic(this.publicKey),
      counters: structuredClone(this.count),
      gauges: { ...this.gauges, clientsRemote: this.remoteOnlyKeys() },
    };
  }

  peers(): PeerInfo[] {
    const out: PeerInfo[] = [];
    for (const conn of this.conns) {
      if (conn.state !== 'active') continue;
      const set = this.clients.get(conn.keyId);
      out.push({
        id: conn.id,
        key: formatNodePublic(conn.key),
        remoteAddress: conn.transport.remoteAddress,
        remotePort: conn.transport.remotePort,
        connectedAt: conn.connectedAt,
        preferred: conn.preferred,
        isMeshPeer: conn.canMesh,
        isProber: conn.isProber,
        notIdeal: conn.notIdeal,
        transport: conn.transport.kind,
        bytesIn: conn.bytesIn,
        packetsIn: conn.packetsIn,
        bytesOut: conn.bytesOut,
        packetsOut: conn.packetsOut,
        drops: conn.dropsUnknownDest + conn.dropsQueueFull + conn.dropsWriteTimeout,
        dropsBy: {
          unknownDest: conn.dropsUnknownDest,
          queueFull: conn.dropsQueueFull,
          writeTimeout: conn.dropsWriteTimeout,
        },
        rateLimitWaits: conn.rateLimitWaits,
        inactiveDuplicate: set !== undefined && set.active !== conn,
      });
    }
    return out;
  }

  /**
   * Graceful stop: tell clients to come back (Restarting), flush, close; connections still open after
   * `graceMs` are cut.
   */
  async close(notice: RestartNotice | null = null, graceMs = 2_000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.ticker);
    const pending: Promise<void>[] = [];
    const restarting = notice ? encodeRestarting(notice.reconnectInMs, notice.tryForMs) : null;
    for (const conn of this.conns) {
      pending.push(
        new Promise<void>((resolve) => {
          const transport = conn.transport;
          if (conn.state !== 'active') {
            transport.destroy();
            resolve();
            return;
          }
          if (restarting) conn.enqueueControl(restarting);
          conn.flush();
          transport.end();
          const timer = setTimeout(() => transport.destroy(), graceMs);
          timer.unref();
          conn.onClosed = () => {
            clearTimeout(timer);
            resolve();
          };
        }),
      );
    }
    await Promise.all(pending);
  }
}

function presentFrame(conn: ClientConnection): Buffer {
  return encodePeerPresent(
    conn.key,
    ipTo16(conn.transport.remoteAddress),
    conn.transport.remotePort,
    conn.presentFlags(),
  );
}

/** The 16-byte form PeerPresent carries: IPv4 as ::ffff:a.b.c.d, unparsable addresses as zeros. */
export function ipTo16(ip: string): Buffer {
  const four = parseIPv4(ip);
  if (four) return Buffer.concat([V4_MAPPED_PREFIX, four]);
  return parseIPv6(ip) ?? Buffer.alloc(16);
}

const V4_MAPPED_PREFIX = Buffer.from('00000000000000000000ffff', 'hex');
