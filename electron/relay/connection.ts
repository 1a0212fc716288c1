/**
 * One client connection to the relay: the handshake, the steady-state frame handlers, and the bounded send
 * side. The reading side never waits for a receiver: packets go into the destination's rings and are written
 * in batches once per event-loop turn.
 *
 * A connection knows its server only through `ConnectionHost` (declared here, implemented by `DerpServer`), so
 * this module does not import server.ts and tests can drive a connection with a fake host and a fake transport.
 */
import { BoxError, openWithShared, sealWithShared, type BoxPrivateKey } from '../derp/box.js';
import { looksLikeDisco } from '../derp/disco.js';
import {
  FRAME_HEADER_LEN,
  FrameType,
  KEY_LEN,
  MAX_CLIENT_INFO_LEN,
  MAX_PACKET_SIZE,
  MAX_PING_LEN,
  NONCE_LEN,
  PING_LEN,
  PeerGoneReason,
  PeerPresentFlags,
  encodeFrame,
  encodePeerGone,
} from '../derp/frames.js';
import { decodeClientInfo, encodeServerInfo, type ClientInfo } from '../derp/info.js';
import { formatNodePublic } from '../derp/keys.js';
import { FrameReader } from '../derp/reader.js';
import type { DropReason } from '../../shared/relay.js';
import type { Logger } from '../util/log.js';
import type { TokenBucket } from '../util/token-bucket.js';
import { PacketRing } from './packet-ring.js';
import { MIN_RATE_BURST } from './rate-config.js';
import type { Transport } from './transport.js';
import { errorMessage } from '../../shared/errors.js';

/** Who presented a mesh key: a region peer (-mesh-psk-file) or another worker of this relay (-workers). */
export type MeshRole = 'peer' | 'sibling';

/**
 * What a connection asks of the server that accepted it. Everything shared between connections (the key
 * table, routing, PeerGone subscriptions, the flush list, the counters) lives behind this interface; a
 * connection changes server state only by calling these methods.
 */
export interface ConnectionHost {
  readonly log: Logger & { warnKeyed(key: string, msg: string): void };
  /** The server's private key, for the ClientInfo/ServerInfo boxes. */
  readonly boxKey: BoxPrivateKey;
  /** Capacity of each of a connection's two packet rings (ordinary and disco). */
  readonly sendQueueDepth: number;
  readonly handshakeTimeoutMs: number;
  /** Shared by all rate-limited connections when a global limit is set. */
  readonly globalLimiter: TokenBucket | null;
  /** Milliseconds since the epoch; `Date.now` unless a test injects a clock. */
  now(): number;

  // Handshake and lifetime.
  meshRole(candidate: string | undefined): MeshRole | null;
  /** Resolves null to admit the client, or the reason it is refused. */
  admit(conn: ClientConnection): Promise<string | null>;
  noteDenied(conn: ClientConnection, reason: string): void;
  /** The handshake is done: `conn` becomes reachable under its key. */
  register(conn: ClientConnection): void;
  /** The transport has closed. */
  onConnectionClosed(conn: ClientConnection): void;

  // Steady-state requests from the client.
  noteDupActivity(conn: ClientConnection): void;
  setPreferred(conn: ClientConnection, preferred: boolean): void;
  addWatcher(conn: ClientConnection): void;
  closePeer(by: ClientConnection, keyId: string): void;
  /** Routes a SendPacket: `buf[dstStart, dstStart+32)` is the destination key, the packet follows up to `end`. */
  deliverLocal(from: ClientConnection, buf: Buffer, dstStart: number, end: number): void;
  /** Routes a ForwardPacket from a mesh peer on behalf of `srcKey`; the layout after `dstStart` is as above. */
  deliverForwarded(from: ClientConnection, srcKey: Buffer, buf: Buffer, dstStart: number, end: number): void;

  // Send side.
  /** `watcher` has received from `srcKeyId` and must hear PeerGone when that key leaves. */
  watchPeerGone(srcKeyId: string, watcher: ClientConnection): void;
  /** Calls `conn.flush()` once at the end of this event-loop turn. */
  queueFlush(conn: ClientConnection): void;

  // Server-wide counters.
  noteDrop(reason: DropReason, disco: boolean, bytes: number): void;
  noteSent(packets: number, bytes: number): void;
  noteHandshakeFailure(): void;
  noteRateLimitWait(which: 'perClient' | 'global'): void;
  notePing(answered: boolean): void;
  noteUnknownFrame(): void;
  notePeerGoneNotHere(): void;
  noteForwardedIn(): void;
}

/** Stop handing frames to the transport once this much is waiting in its buffer; resume on drain. */
export const WRITE_HIGH_WATER = 256 << 10;
/**
 * A batch this large is written at once instead of at the end of the event-loop turn: after a pause, libuv reads
 * up to 32 chunks of 64 KiB from one socket in a single turn, and holding all of that back would overflow the
 * receiver's queue while its socket sits empty.
 */
const EARLY_FLUSH_BYTES = 64 << 10;
/** Steady-state frames larger than this cannot be valid (ForwardPacket is the largest: two keys + a packet). */
const MAX_STEADY_FRAME_LEN = 2 * KEY_LEN + MAX_PACKET_SIZE;
/** Control frames (PeerGone, KeepAlive, Pong, ...) waiting for a client that is not reading. */
export const MAX_CONTROL_FRAMES = 1024;
const MAX_PENDING_PONGS = 8;
/** derper: at most 3 "not here" PeerGone replies, refilled one per second. */
const PEER_GONE_BURST = 3;
const PEER_GONE_REFILL_MS = 1000;
/** What a RecvPacket frame adds to its packet: the frame header and the source key. */
export const RECV_FRAME_OVERHEAD = FRAME_HEADER_LEN + KEY_LEN;

export type ConnState = 'handshake' | 'verifying' | 'active' | 'closed';

/** Reused by every flush: flushes never overlap, and it is cleared after each write. */
const batch: Buffer[] = [];

export class ClientConnection {
  // Static after construction (with the constructor's id, host, transport and notIdeal).
  readonly connectedAt: number;
  readonly handshakeDeadline: number;
  private readonly packets: PacketRing;
  private readonly disco: PacketRing;
  private readonly reader: FrameReader;

  // Set by this connection's reader while it handshakes, and fixed once the connection is active.
  /** handshake -> verifying -> active as the reader goes; closed once dispose() runs. */
  state: ConnState = 'handshake';
  key: Buffer = EMPTY_KEY;
  /** `key` as a latin1 string: the map key for this client (cheaper to derive per packet than hex). */
  keyId = '';
  info: ClientInfo | null = null;
  canMesh = false;
  /** Another worker of this relay (-workers) linked in, not a region peer. */
  isSibling = false;

  // Owned by this connection's reader (the frame handlers and the read pacing).
  /** The box key shared with the client, kept only between ClientInfo and ServerInfo. */
  private shared: Uint8Array | null = null;
  private resumeTimer: NodeJS.Timeout | null = null;
  private peerGoneTokens = PEER_GONE_BURST;
  private peerGoneRefillAt = 0;
  private packetsInCount = 0;
  private bytesInCount = 0;
  private rateLimitWaitCount = 0;

  // Written only by the server (see ConnectionHost and DerpServer).
  /** Packets this client sent (or, for a mesh peer, forwarded) that had no destination here or on the mesh. */
  dropsUnknownDest = 0;
  /** Set just before the server cuts this client for not reading, so that its queue counts as write-timeout drops. */
  cutForWriteTimeout = false;
  /** Whether the client calls this server its home (NotePreferred). */
  preferred = false;
  /** Another connection shares this key. */
  isDup = false;
  /** Monotonic stamp of this duplicate's latest frame, so the last writer can become active. */
  activity = 0;
  nextKeepAliveAt = 0;
  /** Receive rate limit (non-mesh clients, when configured); reads pause while it is in debt. */
  limiter: TokenBucket | null = null;
  /** Told once the handshake (and admission) is done, e.g. to lift the listener's pre-handshake deadline. */
  onActive: (() => void) | null = null;
  /** Set by a graceful stop that waits for this connection to finish. */
  onClosed: (() => void) | null = null;

  // Owned by the send side: filled by whoever routes a packet or control frame here, emptied by flush().
  /** When the transport last refused more data without draining; 0 while writes flow. */
  stalledSince = 0;
  /** This connection is on the server's flush list for this turn. */
  flushQueued = false;
  /**
   * Keys this client has received packets from: it hears PeerGone when one of them leaves. enqueuePacket adds to
   * it; the server takes keys out as they leave, and drops the set when this connection goes.
   */
  sawSrc: Set<string> | null = null;
  private lastSrc: ClientConnection | null = null;
  private control: Buffer[] | null = null;
  /** Packet frames accepted this turn, written (in order, before the rings) at the next flush. */
  private out: Buffer[] = [];
  private outBytes = 0;
  private pendingPongs = 0;
  private packetsOutCount = 0;
  private bytesOutCount = 0;
  /** Packets for this client dropped because its rings were full (the oldest gave way). */
  private dropsQueueFullCount = 0;
  /** Packets for this client still queued when it was cut for not reading. */
  private dropsWriteTimeoutCount = 0;

  constructor(
    readonly id: number,
    private readonly host: ConnectionHost,
    readonly transport: Transport,
    readonly notIdeal: boolean,
  ) {
    this.connectedAt = host.now();
    this.packets = new PacketRing(host.sendQueueDepth);
    this.disco = new PacketRing(host.sendQueueDepth);
    this.handshakeDeadline = this.connectedAt + host.handshakeTimeoutMs;
    this.reader = new FrameReader(this.onFrame, MAX_CLIENT_INFO_LEN, (err) => this.fail(err.message));
  }

  get isProber(): boolean {
    return this.info?.IsProber === true;
  }

  get label(): string {
    const who = this.keyId ? ` ${formatNodePublic(this.key).slice(0, 16)}…` : '';
    return `${this.transport.remoteAddress}:${this.transport.remotePort}${who}`;
  }

  /** Packets and packet bytes received from this client (SendPacket, or ForwardPacket from a mesh peer). */
  get packetsIn(): number {
    return this.packetsInCount;
  }
  get bytesIn(): number {
    return this.bytesInCount;
  }
  /** Packets and packet bytes handed to the transport for this client. */
  get packetsOut(): number {
    return this.packetsOutCount;
  }
  get bytesOut(): number {
    return this.bytesOutCount;
  }
  /** Packets for this client dropped because its send queue was full. */
  get dropsQueueFull(): number {
    return this.dropsQueueFullCount;
  }
  /** Packets for this client discarded when it was cut by the write timeout. */
  get dropsWriteTimeout(): number {
    return this.dropsWriteTimeoutCount;
  }
  /** Times this client's reads were paused to pay a rate limit (the relay slows the sender; nothing is dropped). */
  get rateLimitWaits(): number {
    return this.rateLimitWaitCount;
  }

  /** Frames waiting to be written: control frames, this turn's batch, and both rings. */
  get queuedFrames(): number {
    return (this.control?.length ?? 0) + this.out.length + this.disco.length + this.packets.length;
  }

  presentFlags(): number {
    let f = 0;
    if (this.isProber) f |= PeerPresentFlags.IsProber;
    if (this.canMesh) f |= PeerPresentFlags.IsMeshPeer;
    if (this.notIdeal) f |= PeerPresentFlags.NotIdeal;
    return f === 0 ? PeerPresentFlags.IsRegular : f;
  }

  start(serverKeyFrame: Buffer): void {
    this.transport.start({
      onData: (chunk) => this.reader.push(chunk),
      onDrain: () => {
        this.stalledSince = 0;
        if (this.hasQueued()) this.flush();
      },
      onClose: () => this.host.onConnectionClosed(this),
    });
    if (this.state !== 'closed') this.transport.writeBatch([serverKeyFrame], 1);
  }

  /** Closes only this connection, with a log line saying why. */
  fail(reason: string): void {
    if (this.state === 'closed') return;
    this.host.log.warnKeyed(reason.split(':')[0], `derp: ${this.label}: ${reason}; closing this connection`);
    this.transport.destroy();
  }

  /** A handshake failure: counted, then the connection is closed. */
  failHandshake(reason: string): void {
    this.host.noteHandshakeFailure();
    this.fail(`handshake: ${reason}`);
  }

  private readonly onFrame = (type: number, buf: Buffer, start: number, end: number): boolean => {
    if (this.state === 'active') {
      this.onSteadyFrame(type, buf, start, end);
      return this.limiter === null || this.state !== 'active' ? true : this.pace(end - start);
    }
    if (this.state === 'handshake') return this.onClientInfo(type, buf, start, end);
    return false;
  };

  private onClientInfo(type: number, buf: Buffer, start: number, end: number): boolean {
    if (type !== FrameType.ClientInfo) {
      this.failHandshake(`expected ClientInfo (0x02), got frame type 0x${type.toString(16)}`);
      return false;
    }
    if (end - start < KEY_LEN + NONCE_LEN) {
      this.failHandshake(`short ClientInfo (${end - start} bytes)`);
      return false;
    }
    const key = Buffer.from(buf.subarray(start, start + KEY_LEN));
    let info: ClientInfo;
    try {
      this.shared = this.host.boxKey.sharedKey(key);
      info = decodeClientInfo(openWithShared(this.shared, buf.subarray(start + KEY_LEN, end)));
    } catch (err) {
      const why =
        err instanceof BoxError || !(err instanceof SyntaxError)
          ? 'does not open (sealed to another server key, or corrupted)'
          : `is not valid JSON (${errorMessage(err)})`;
      this.failHandshake(`ClientInfo from ${formatNodePublic(key)} ${why}`);
      return false;
    }
    this.key = key;
    this.keyId = key.toString('latin1');
    this.info = info;
    const role = this.host.meshRole(info.meshKey);
    this.canMesh = role !== null;
    this.isSibling = role === 'sibling';
    this.state = 'verifying';
    this.transport.pauseReading();
    this.host
      .admit(this)
      .then((denied) => {
        if (this.state === 'closed') return;
        if (denied !== null) {
          this.host.noteDenied(this, denied);
          this.fail(`client ${formatNodePublic(key)} rejected: ${denied}`);
          return;
        }
        this.activate();
      })
      .catch((err: unknown) => this.fail(`verification failed: ${errorMessage(err)}`));
    return false;
  }

  /**
   * Charges a frame to the rate limits; when in debt, stops reading until it is paid, so that the kernel's
   * receive buffer fills and TCP slows the sender (nothing is dropped). Returns whether to keep reading.
   */
  private pace(frameLen: number): boolean {
    const n = Math.min(frameLen, MIN_RATE_BURST);
    let wait = this.limiter!.take(n);
    if (wait > 0) this.host.noteRateLimitWait('perClient');
    const global = this.host.globalLimiter;
    if (global) {
      const g = global.take(n);
      if (g > 0) this.host.noteRateLimitWait('global');
      wait = Math.max(wait, g);
    }
    if (wait <= 0) return true;
    this.rateLimitWaitCount++;
    this.transport.pauseReading();
    this.resumeTimer = setTimeout(() => {
      this.resumeTimer = null;
      if (this.state === 'closed') return;
      this.transport.resumeReading();
      this.reader.resume();
    }, wait);
    return false;
  }

  private activate(): void {
    this.state = 'active';
    this.reader.maxFrameLen = MAX_STEADY_FRAME_LEN;
    this.host.register(this);
    const sealed = sealWithShared(this.shared!, encodeServerInfo());
    this.shared = null;
    this.transport.writeBatch([encodeFrame(FrameType.ServerInfo, sealed)], 1);
    this.transport.resumeReading();
    this.reader.resume();
    this.onActive?.();
    this.onActive = null;
  }

  private onSteadyFrame(type: number, buf: Buffer, start: number, end: number): void {
    if (this.isDup) this.host.noteDupActivity(this);
    switch (type) {
      case FrameType.SendPacket:
        this.onSendPacket(buf, start, end);
        return;
      case FrameType.NotePreferred:
        if (end - start !== 1) return this.fail('NotePreferred frame of wrong size');
        this.host.setPreferred(this, buf[start] !== 0);
        return;
      case FrameType.Ping:
        this.onPing(buf, start, end);
        return;
      case FrameType.ForwardPacket:
        this.onForwardPacket(buf, start, end);
        return;
      case FrameType.WatchConns:
        if (end !== start) return this.fail('WatchConns frame of wrong size');
        if (!this.canMesh) return this.fail('WatchConns from a client without the mesh key: insufficient permissions');
        this.host.addWatcher(this);
        return;
      case FrameType.ClosePeer:
        if (end - start !== KEY_LEN) return this.fail('ClosePeer frame of wrong size');
        if (!this.canMesh) return this.fail('ClosePeer from a client without the mesh key: insufficient permissions');
        this.host.closePeer(this, buf.toString('latin1', start, end));
        return;
      default:
        this.host.noteUnknownFrame();
    }
  }

  /** SendPacket: destination key (32), then the packet. */
  private onSendPacket(buf: Buffer, start: number, end: number): void {
    const pktStart = start + KEY_LEN;
    if (pktStart > end) return this.fail('short SendPacket frame');
    const len = end - pktStart;
    if (len > MAX_PACKET_SIZE) return this.fail(`SendPacket of ${len} bytes exceeds the ${MAX_PACKET_SIZE}-byte limit`);
    this.countIn(len);
    this.host.deliverLocal(this, buf, start, end);
  }

  /** ForwardPacket (mesh peers only): source key (32), destination key (32), then the packet. */
  private onForwardPacket(buf: Buffer, start: number, end: number): void {
    if (!this.canMesh) return this.fail('ForwardPacket from a client without the mesh key: insufficient permissions');
    const pktStart = start + 2 * KEY_LEN;
    if (pktStart > end) return this.fail('short ForwardPacket frame');
    if (end - pktStart > MAX_PACKET_SIZE)
      return this.fail(`ForwardPacket of ${end - pktStart} bytes exceeds the ${MAX_PACKET_SIZE}-byte limit`);
    this.countIn(end - pktStart);
    this.host.noteForwardedIn();
    const srcKey = Buffer.from(buf.subarray(start, start + KEY_LEN));
    this.host.deliverForwarded(this, srcKey, buf, start + KEY_LEN, end);
  }

  private countIn(bytes: number): void {
    this.packetsInCount++;
    this.bytesInCount += bytes;
  }

  private onPing(buf: Buffer, start: number, end: number): void {
    const len = end - start;
    if (len < PING_LEN) return this.fail(`short Ping frame (${len} bytes)`);
    if (len > MAX_PING_LEN) return this.fail(`Ping frame too large (${len} bytes)`);
    // Pings faster than we can answer are ignored, as derper does.
    if (this.pendingPongs >= MAX_PENDING_PONGS) {
      this.host.notePing(false);
      return;
    }
    this.host.notePing(true);
    this.pendingPongs++;
    this.enqueueControl(encodeFrame(FrameType.Pong, buf.subarray(start, start + PING_LEN)));
  }

  /** Rate-limited "not here" reply, only for disco packets (the ones a client retries). */
  replyNotHere(dstKey: Buffer, buf: Buffer, pktStart: number, end: number): void {
    if (!looksLikeDisco(buf, pktStart, end)) return;
    const now = this.host.now();
    if (this.peerGoneTokens < PEER_GONE_BURST) {
      const refill = Math.floor((now - this.peerGoneRefillAt) / PEER_GONE_REFILL_MS);
      if (refill > 0) {
        this.peerGoneTokens = Math.min(PEER_GONE_BURST, this.peerGoneTokens + refill);
        this.peerGoneRefillAt = now;
      }
    }
    if (this.peerGoneTokens === 0) return;
    if (this.peerGoneTokens === PEER_GONE_BURST) this.peerGoneRefillAt = now;
    this.peerGoneTokens--;
    this.host.notePeerGoneNotHere();
    this.enqueueControl(encodePeerGone(dstKey, PeerGoneReason.NotHere));
  }

  /**
   * Queues a RecvPacket frame for this client and remembers the sender, so that this client is told (PeerGone)
   * when the sender leaves. `src` is the local sender connection, or null for packets forwarded by a mesh peer.
   */
  enqueuePacket(frame: Buffer, disco: boolean, srcKeyId: string, src: ClientConnection | null): void {
    if (src === null || src !== this.lastSrc) {
      this.lastSrc = src;
      const saw = (this.sawSrc ??= new Set());
      if (!saw.has(srcKeyId)) {
        saw.add(srcKeyId);
        this.host.watchPeerGone(srcKeyId, this);
      }
    }
    // While the socket has room and nothing waits in the rings, frames join this turn's batch; only a backed-up
    // receiver's packets go to the rings, where the oldest give way.
    if (
      this.disco.length === 0 &&
      this.packets.length === 0 &&
      this.outBytes + frame.length <= WRITE_HIGH_WATER - this.transport.bufferedBytes
    ) {
      this.out.push(frame);
      this.outBytes += frame.length;
      if (this.outBytes >= EARLY_FLUSH_BYTES) {
        // Still on the turn's flush list: keep the flag so that list gets no second entry.
        const queued = this.flushQueued;
        this.flush();
        this.flushQueued = queued;
      }
    } else {
      const evicted = (disco ? this.disco : this.packets).push(frame);
      if (evicted) {
        this.dropsQueueFullCount++;
        this.host.noteDrop('queue_head', disco, evicted.length - RECV_FRAME_OVERHEAD);
      }
    }
    this.scheduleFlush();
  }

  enqueueControl(frame: Buffer): void {
    const control = (this.control ??= []);
    if (control.length >= MAX_CONTROL_FRAMES) {
      // A client this far behind is not reading at all; the write timeout will close it.
      return;
    }
    control.push(frame);
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (!this.flushQueued) {
      this.flushQueued = true;
      this.host.queueFlush(this);
    }
  }

  hasQueued(): boolean {
    return (
      (this.control !== null && this.control.length > 0) ||
      this.out.length > 0 ||
      this.disco.length > 0 ||
      this.packets.length > 0
    );
  }

  /** Counts a still-queued packet for this client that will never be written, here and in the server's totals. */
  private noteGone(disco: boolean, bytes: number): void {
    if (this.cutForWriteTimeout) this.dropsWriteTimeoutCount++;
    this.host.noteDrop('gone_disconnected', disco, bytes);
  }

  /** Hands queued frames to the transport until it holds WRITE_HIGH_WATER bytes; the rest waits for drain. */
  flush(): void {
    this.flushQueued = false;
    if (this.state === 'closed') return;
    const transport = this.transport;
    let room = WRITE_HIGH_WATER - transport.bufferedBytes;
    if (room <= 0) {
      if (this.stalledSince === 0) this.stalledSince = this.host.now();
      return;
    }
    let n = 0;
    const control = this.control;
    if (control !== null && control.length > 0) {
      for (const f of control) {
        batch[n++] = f;
        room -= f.length;
        if (f[0] === FrameType.Pong) this.pendingPongs--;
      }
      control.length = 0;
    }
    const firstPacket = n;
    const out = this.out;
    if (out.length > 0) {
      for (const f of out) {
        batch[n++] = f;
        room -= f.length;
      }
      this.out = [];
      this.outBytes = 0;
    }
    // Then disco: those small frames set up direct paths and must not wait behind bulk data.
    while (room > 0 && this.disco.length > 0) {
      const f = this.disco.shift()!;
      batch[n++] = f;
      room -= f.length;
    }
    while (room > 0 && this.packets.length > 0) {
      const f = this.packets.shift()!;
      batch[n++] = f;
      room -= f.length;
    }
    if (n === 0) return;
    const packets = n - firstPacket;
    let bytes = -packets * RECV_FRAME_OVERHEAD;
    for (let i = firstPacket; i < n; i++) bytes += batch[i].length;
    transport.writeBatch(batch, n);
    batch.fill(undefined as unknown as Buffer, 0, n);
    this.packetsOutCount += packets;
    this.bytesOutCount += bytes;
    this.host.noteSent(packets, bytes);
    if (this.hasQueued() && this.stalledSince === 0) this.stalledSince = this.host.now();
  }

  /** Called once the transport has closed: everything still queued is dropped and counted. */
  dispose(): void {
    this.state = 'closed';
    for (const f of this.disco.clear()) this.noteGone(true, f.length - RECV_FRAME_OVERHEAD);
    for (const f of this.packets.clear()) this.noteGone(false, f.length - RECV_FRAME_OVERHEAD);
    for (const f of this.out)
      this.noteGone(looksLikeDisco(f, RECV_FRAME_OVERHEAD, f.length), f.length - RECV_FRAME_OVERHEAD);
    this.out = [];
    this.control = null;
    this.lastSrc = null;
    if (this.resumeTimer) clearTimeout(this.resumeTimer);
    this.onClosed?.();
  }
}

const EMPTY_KEY = Buffer.alloc(0);
