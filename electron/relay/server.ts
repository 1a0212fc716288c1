/**
 * The DERP server proper: who is connected under which key, packet routing, PeerGone bookkeeping, mesh
 * watchers, counters, keep-alives and write timeouts. It owns no listener; `accept()` takes upgraded transports.
 */
import { timingSafeEqual } from 'node:crypto';
import { BoxPrivateKey } from '../derp/box.js';
import { looksLikeDisco } from '../derp/disco.js';
import {
  FrameType,
  KEEP_ALIVE_FRAME,
  KEEP_ALIVE_MS,
  PeerGoneReason,
  encodePacketFrame,
  encodePeerGone,
  encodePeerPresent,
  encodeRestarting,
  encodeServerKey,
} from '../derp/frames.js';
import type { ClientInfo } from '../derp/info.js';
import { formatNodePublic, isHexKey, type NodeKeyPair } from '../derp/keys.js';
import { DROP_REASONS, type DeniedClient, type DropReason, type PeerInfo, type RelayCounters, type RelayGauges, type RelayStats } from '../../shared/relay.js';
import { parseIPv4, parseIPv6 } from '../util/ip.js';
import { TokenBucket } from '../util/token-bucket.js';
import { normalizeRateConfig, type RateConfig } from './rate-config.js';
import { consoleLogger, rateLimitedLogger, type Logger } from '../util/log.js';
import { ClientConnection } from './connection.js';
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
  admissionCheck?: AdmissionCheck;
  sendQueueDepth?: number;
  writeTimeoutMs?: number;
  meshWriteTimeoutMs?: number;
  handshakeTimeoutMs?: number;
  keepAliveMs?: number;
}

export interface RestartNotice {
  reconnectInMs: number;
  tryForMs: number;
}

/** Delivers packets to a key connected to another server of the region (a mesh link). */
export interface PacketForwarder {
  forward(srcKey: Buffer, dstKey: Buffer, buf: Buffer, pktStart: number, end: number): void;
  readonly name: string;
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

export class DerpServer {
  readonly publicKey: Buffer;
  readonly boxKey: BoxPrivateKey;
  readonly log: ReturnType<typeof rateLimitedLogger>;
  readonly counters: RelayCounters = emptyCounters();
  readonly gauges: RelayGauges = {
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
    if (opts.meshKey !== undefined && opts.meshKey !== '' && !isHexKey(opts.meshKey)) {
      throw new Error('mesh key must be 64 hex characters');
    }
    this.meshKey = opts.meshKey ? Buffer.from(opts.meshKey, 'hex') : null;
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
    this.counters.accepts++;
    const c = new ClientConnection(this.nextConnId++, this, transport, opts.notIdeal === true);
    c.onActive = opts.onActive ?? null;
    this.conns.add(c);
    c.start(this.serverKeyFrame);
    return c;
  }

  isMeshKey(candidate: string | undefined): boolean {
    if (!this.meshKey || !candidate || !isHexKey(candidate)) return false;
    return timingSafeEqual(this.meshKey, Buffer.from(candidate, 'hex'));
  }

  async admit(c: ClientConnection): Promise<string | null> {
    if (c.canMesh || !this.admissionCheck) return null;
    return this.admissionCheck({ key: c.key, info: c.info!, remoteAddress: c.transport.remoteAddress });
  }

  register(c: ClientConnection): void {
    const g = this.gauges;
    this.applyRateLimit(c);
    let set = this.clients.get(c.keyId);
    if (!set) {
      set = { conns: [c], active: c };
      this.clients.set(c.keyId, set);
      g.clientsLocal++;
    } else {
      if (set.conns.length === 1) {
        g.dupClientKeys++;
        g.dupClientConns += 2;
      } else {
        g.dupClientConns++;
      }
      this.counters.dupClientConnTotal++;
      set.conns.push(c);
      set.active = c;
      for (const d of set.conns) d.isDup = true;
    }
    g.currentConnections++;
    if (c.notIdeal) g.currentNotIdealConnections++;
    c.nextKeepAliveAt = Date.now() + this.nextKeepAliveDelay();
    this.broadcastPresent(c);
  }

  private unregister(c: ClientConnection): void {
    const g = this.gauges;
    const set = this.clients.get(c.keyId);
    if (set) {
      const i = set.conns.indexOf(c);
      if (i >= 0) set.conns.splice(i, 1);
      if (set.conns.length === 0) {
        this.clients.delete(c.keyId);
        g.clientsLocal--;
        if (!this.meshRoutes.has(c.keyId)) this.notePeerGone(c.keyId, c.key);
        for (const w of this.watchers) if (w !== c) w.enqueueControl(encodePeerGone(c.key, PeerGoneReason.Disconnected));
      } else {
        g.dupClientConns--;
        if (set.conns.length === 1) {
          g.dupClientConns--;
          g.dupClientKeys--;
          set.conns[0].isDup = false;
          set.active = set.conns[0];
        } else if (set.active === c) {
          set.active = set.conns.reduce((a, b) => (b.activity > a.activity ? b : a));
        }
      }
    }
    if (this.watchers.delete(c)) g.watchers--;
    if (c.sawSrc) {
      for (const k of c.sawSrc) {
        const ws = this.peerGoneWatchers.get(k);
        if (ws && ws.delete(c) && ws.size === 0) this.peerGoneWatchers.delete(k);
      }
      c.sawSrc = null;
    }
    g.currentConnections--;
    if (c.notIdeal) g.currentNotIdealConnections--;
    if (c.preferred) g.currentHomeConnections--;
  }

  /** Tells every client that received from `keyId` that it has left the region. */
  private notePeerGone(keyId: string, key: Buffer): void {
    const ws = this.peerGoneWatchers.get(keyId);
    if (!ws) return;
    this.peerGoneWatchers.delete(keyId);
    const frame = encodePeerGone(key, PeerGoneReason.Disconnected);
    for (const w of ws) {
      w.sawSrc?.delete(keyId);
      this.counters.peerGoneDisconnectedFrames++;
      w.enqueueControl(frame);
    }
  }

  watchPeerGone(srcKeyId: string, watcher: ClientConnection): void {
    let ws = this.peerGoneWatchers.get(srcKeyId);
    if (!ws) this.peerGoneWatchers.set(srcKeyId, (ws = new Set()));
    ws.add(watcher);
  }

  onConnectionClosed(c: ClientConnection): void {
    if (!this.conns.delete(c)) return;
    const wasActive = c.state === 'active';
    c.dispose();
    if (wasActive) this.unregister(c);
  }

  noteDupActivity(c: ClientConnection): void {
    c.activity = ++this.activityStamp;
    const set = this.clients.get(c.keyId);
    if (set) set.active = c;
  }

  setPreferred(c: ClientConnection, v: boolean): void {
    if (c.preferred === v) return;
    c.preferred = v;
    this.gauges.currentHomeConnections += v ? 1 : -1;
    // Moves announced right after connecting are the client's first report, not a move.
    if (Date.now() - c.connectedAt > 5_000) {
      if (v) this.counters.homeMovesIn++;
      else this.counters.homeMovesOut++;
    }
  }

  /**
   * Routes one packet. `buf[dstStart, dstStart+32)` is the destination key and `buf[pktStart, end)` the packet.
   * Forwarded packets (from a mesh peer) are delivered locally or dropped, never forwarded again.
   */
  deliver(
    from: ClientConnection,
    srcKey: Buffer,
    srcKeyId: string,
    buf: Buffer,
    dstStart: number,
    pktStart: number,
    end: number,
    forwarded: boolean,
  ): void {
    const c = this.counters;
    const len = end - pktStart;
    const disco = looksLikeDisco(buf, pktStart, end);
    if (!forwarded) {
      c.packetsReceived++;
      c.bytesReceived += len;
      if (disco) c.packetsReceivedDisco++;
      else c.packetsReceivedOther++;
    }
    const dstKeyId = buf.toString('latin1', dstStart, pktStart);
    const set = this.clients.get(dstKeyId);
    const dst = set?.active;
    if (!dst && !set && !forwarded) {
      const via = this.meshRoutes.get(dstKeyId);
      if (via) {
        c.packetsForwardedOut++;
        via[0].forward(srcKey, buf.subarray(dstStart, pktStart), buf, pktStart, end);
        return;
      }
    }
    if (!dst) {
      const reason: DropReason = set && set.conns.length > 1 ? 'dup_client' : forwarded ? 'unknown_dest_on_fwd' : 'unknown_dest';
      this.noteDrop(reason, disco, len);
      if (reason !== 'dup_client') from.replyNotHere(Buffer.from(buf.subarray(dstStart, pktStart)), buf, pktStart, end);
      return;
    }
    const frame = encodePacketFrame(FrameType.RecvPacket, srcKey, buf, pktStart, end);
    dst.enqueuePacket(frame, disco, srcKeyId, forwarded ? null : from);
  }

  /** Applies a (re)loaded -rate-config to every connection; returns the config as applied. */
  setRateLimits(rc: RateConfig): Required<RateConfig> {
    this.rateConfig = normalizeRateConfig(rc);
    const r = this.rateConfig;
    this.globalLimiter = r.GlobalRateLimitBytesPerSec > 0 ? new TokenBucket(r.GlobalRateLimitBytesPerSec, r.GlobalRateBurstBytes) : null;
    for (const c of this.conns) if (c.state === 'active') this.applyRateLimit(c);
    return r;
  }

  private applyRateLimit(c: ClientConnection): void {
    const r = this.rateConfig;
    c.limiter = r.PerClientRateLimitBytesPerSec > 0 && !c.canMesh ? new TokenBucket(r.PerClientRateLimitBytesPerSec, r.PerClientRateBurstBytes) : null;
  }

  noteDenied(c: ClientConnection, reason: string): void {
    this.counters.clientsDenied++;
    this.denials.push({ key: formatNodePublic(c.key), remoteAddress: c.transport.remoteAddress, reason, at: Date.now() });
    if (this.denials.length > MAX_DENIALS_KEPT) this.denials.shift();
  }

  /** The most recent refusals, newest last. */
  deniedClients(): DeniedClient[] {
    return this.denials.slice();
  }

  /** Keys reachable through mesh peers only. */
  private remoteOnlyKeys(): number {
    let n = 0;
    for (const id of this.meshRoutes.keys()) if (!this.clients.has(id)) n++;
    return n;
  }

  /** A mesh peer reports `key` connected there. */
  addMeshRoute(key: Buffer, via: PacketForwarder): void {
    const id = key.toString('latin1');
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
    if (i >= 0) routes.splice(i, 1);
    if (routes.length > 0) return;
    this.meshRoutes.delete(id);
    if (!this.clients.has(id)) this.notePeerGone(id, key);
  }

  /** Every route through `via`, e.g. when its link drops. */
  removeMeshRoutesVia(via: PacketForwarder): void {
    for (const [id, routes] of [...this.meshRoutes]) if (routes.includes(via)) this.removeMeshRoute(Buffer.from(id, 'latin1'), via);
  }

  noteDrop(reason: DropReason, disco: boolean, bytes: number): void {
    const d = this.counters.dropped[reason][disco ? 'disco' : 'other'];
    d.packets++;
    d.bytes += bytes;
    this.counters.packetsDropped++;
    this.counters.bytesDropped += bytes;
  }

  noteSent(packets: number, bytes: number): void {
    this.counters.packetsSent += packets;
    this.counters.bytesSent += bytes;
  }

  queueFlush(c: ClientConnection): void {
    this.flushList.push(c);
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
    for (const c of list) c.flush();
  };

  addWatcher(c: ClientConnection): void {
    if (c.keyId === this.publicKey.toString('latin1')) return;
    if (this.watchers.has(c)) return;
    for (const set of this.clients.values()) {
      const a = set.active;
      if (a) c.enqueueControl(presentFrame(a));
    }
    this.watchers.add(c);
    this.gauges.watchers++;
  }

  private broadcastPresent(c: ClientConnection): void {
    if (this.watchers.size === 0) return;
    const frame = presentFrame(c);
    for (const w of this.watchers) w.enqueueControl(frame);
  }

  closePeer(by: ClientConnection, keyId: string): void {
    const set = this.clients.get(keyId);
    if (!set) {
      this.log.info(`derp: ClosePeer from mesh peer ${by.label}: no such peer`);
      return;
    }
    for (const c of [...set.conns]) {
      this.log.info(`derp: closing ${c.label} at the request of mesh peer ${by.label}`);
      c.transport.destroy();
    }
  }

  private nextKeepAliveDelay(): number {
    return this.keepAliveMs * (1 + Math.random() * KEEP_ALIVE_JITTER);
  }

  /** Keep-alives, handshake deadlines and write timeouts, for all connections in one timer. */
  private tick(): void {
    const now = Date.now();
    for (const c of this.conns) {
      if (c.state === 'handshake' || c.state === 'verifying') {
        if (now > c.handshakeDeadline) {
          this.counters.handshakeFailures++;
          c.fail(`handshake: no valid ClientInfo within ${this.handshakeTimeoutMs / 1000} s`);
        }
        continue;
      }
      if (c.stalledSince !== 0 && now - c.stalledSince > (c.canMesh ? this.meshWriteTimeoutMs : this.writeTimeoutMs)) {
        this.counters.writeTimeouts++;
        c.fail(`write timeout: the client has not read for ${((now - c.stalledSince) / 1000).toFixed(1)} s`);
        continue;
      }
      if (now >= c.nextKeepAliveAt) {
        c.nextKeepAliveAt = now + this.nextKeepAliveDelay();
        c.enqueueControl(KEEP_ALIVE_FRAME);
      }
    }
  }

  get connectionCount(): number {
    return this.conns.size;
  }

  stats(): RelayStats {
    return {
      at: Date.now(),
      serverPublicKey: formatNodePublic(this.publicKey),
      counters: structuredClone(this.counters),
      gauges: { ...this.gauges, clientsRemote: this.remoteOnlyKeys() },
    };
  }

  peers(): PeerInfo[] {
    const out: PeerInfo[] = [];
    for (const c of this.conns) {
      if (c.state !== 'active') continue;
      const set = this.clients.get(c.keyId);
      out.push({
        id: c.id,
        key: formatNodePublic(c.key),
        remoteAddress: c.transport.remoteAddress,
        remotePort: c.transport.remotePort,
        connectedAt: c.connectedAt,
        preferred: c.preferred,
        isMeshPeer: c.canMesh,
        isProber: c.isProber,
        notIdeal: c.notIdeal,
        transport: c.transport.kind,
        bytesIn: c.bytesIn,
        packetsIn: c.packetsIn,
        bytesOut: c.bytesOut,
        packetsOut: c.packetsOut,
        drops: c.drops,
        inactiveDuplicate: set !== undefined && set.active !== c,
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
    for (const c of this.conns) {
      pending.push(
        new Promise<void>((resolve) => {
          const t = c.transport;
          if (c.state !== 'active') {
            t.destroy();
            resolve();
            return;
          }
          if (restarting) c.enqueueControl(restarting);
          c.flush();
          t.end();
          const timer = setTimeout(() => t.destroy(), graceMs);
          timer.unref();
          c.onClosed = () => {
            clearTimeout(timer);
            resolve();
          };
        }),
      );
    }
    await Promise.all(pending);
  }
}

function presentFrame(c: ClientConnection): Buffer {
  return encodePeerPresent(c.key, ipTo16(c.transport.remoteAddress), c.transport.remotePort, c.presentFlags());
}

/** The 16-byte form PeerPresent carries: IPv4 as ::ffff:a.b.c.d, unparsable addresses as zeros. */
export function ipTo16(ip: string): Buffer {
  const four = parseIPv4(ip);
  if (four) return Buffer.concat([V4_MAPPED_PREFIX, four]);
  return parseIPv6(ip) ?? Buffer.alloc(16);
}

const V4_MAPPED_PREFIX = Buffer.from('00000000000000000000ffff', 'hex');
