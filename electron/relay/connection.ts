/**
 * One client connection to the relay: the handshake, the steady-state frame handlers, and the bounded send
 * side. The reading side never waits for a receiver: packets go into the destination's rings and are written
 * in batches once per event-loop turn.
 */
import { BoxError, openWithShared, sealWithShared } from '../derp/box.js';
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
import type { TokenBucket } from '../util/token-bucket.js';
import { PacketRing } from './packet-ring.js';
import { MIN_RATE_BURST } from './rate-config.js';
import type { DerpServer } from './server.js';
import type { Transport } from './transport.js';

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
const MAX_CONTROL_FRAMES = 1024;
const MAX_PENDING_PONGS = 8;
/** derper: at most 3 "not here" PeerGone replies, refilled one per second. */
const PEER_GONE_BURST = 3;
const PEER_GONE_REFILL_MS = 1000;
const RECV_FRAME_OVERHEAD = FRAME_HEADER_LEN + KEY_LEN;

export type ConnState = 'handshake' | 'verifying' | 'active' | 'closed';

/** Reused by every flush: flushes never overlap, and it is cleared after each write. */
const batch: Buffer[] = [];

export class ClientConnection {
  state: ConnState = 'handshake';
  key: Buffer = EMPTY_KEY;
  /** `key` as a latin1 string: the map key for this client (cheaper to derive per packet than hex). */
  keyId = '';
  info: ClientInfo | null = null;
  canMesh = false;
  preferred = false;
  isDup = false;
  /** Monotonic stamp of this duplicate's latest frame, so the last writer can become active. */
  activity = 0;
  readonly connectedAt = Date.now();
  handshakeDeadline: number;
  nextKeepAliveAt = 0;
  /** When the transport last refused more data without draining; 0 while writes flow. */
  stalledSince = 0;
  flushQueued = false;
  /** Receive rate limit (non-mesh clients, when configured); reads pause while it is in debt. */
  limiter: TokenBucket | null = null;
  private resumeTimer: NodeJS.Timeout | null = null;
  /** Told once the handshake (and admission) is done, e.g. to lift the listener's pre-handshake deadline. */
  onActive: (() => void) | null = null;
  /** Set by a graceful stop that waits for this connection to finish. */
  onClosed: (() => void) | null = null;

  bytesIn = 0;
  packetsIn = 0;
  bytesOut = 0;
  packetsOut = 0;
  drops = 0;

  /** Keys this client has received packets from: they get PeerGone when that key leaves. */
  sawSrc: Set<string> | null = null;
  private lastSrc: ClientConnection | null = null;
  private shared: Uint8Array | null = null;
  private readonly packets: PacketRing;
  private readonly disco: PacketRing;
  private control: Buffer[] | null = null;
  /** Packet frames accepted this turn, written (in order, before the rings) at the next flush. */
  private out: Buffer[] = [];
  private outBytes = 0;
  private pendingPongs = 0;
  private peerGoneTokens = PEER_GONE_BURST;
  private peerGoneRefillAt = 0;
  private readonly reader: FrameReader;

  constructor(
    readonly id: number,
    private readonly server: DerpServer,
    readonly transport: Transport,
    readonly notIdeal: boolean,
  ) {
    this.packets = new PacketRing(server.sendQueueDepth);
    this.disco = new PacketRing(server.sendQueueDepth);
    this.handshakeDeadline = this.connectedAt + server.handshakeTimeoutMs;
    this.reader = new FrameReader(this.onFrame, MAX_CLIENT_INFO_LEN, (err) => this.fail(err.message));
  }

  get isProber(): boolean {
    return this.info?.IsProber === true;
  }

  get label(): string {
    const who = this.keyId ? ` ${formatNodePublic(this.key).slice(0, 16)}…` : '';
    return `${this.transport.remoteAddress}:${this.transport.remotePort}${who}`;
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
      onClose: () => this.server.onConnectionClosed(this),
    });
    if (this.state !== 'closed') this.transport.writeBatch([serverKeyFrame], 1);
  }

  /** Closes only this connection, with a log line saying why. */
  fail(reason: string): void {
    if (this.state === 'closed') return;
    this.server.log.warnKeyed(reason.split(':')[0], `derp: ${this.label}: ${reason}; closing this connection`);
    this.transport.destroy();
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
      this.server.counters.handshakeFailures++;
      this.fail(`handshake: expected ClientInfo (0x02), got frame type 0x${type.toString(16)}`);
      return false;
    }
    if (end - start < KEY_LEN + NONCE_LEN) {
      this.server.counters.handshakeFailures++;
      this.fail(`handshake: short ClientInfo (${end - start} bytes)`);
      return false;
    }
    const key = Buffer.from(buf.subarray(start, start + KEY_LEN));
    let info: ClientInfo;
    try {
      this.shared = this.server.boxKey.sharedKey(key);
      info = decodeClientInfo(openWithShared(this.shared, buf.subarray(start + KEY_LEN, end)));
    } catch (err) {
      this.server.counters.handshakeFailures++;
      const why = err instanceof BoxError || !(err instanceof SyntaxError) ? 'does not open (sealed to another server key, or corrupted)' : `is not valid JSON (${(err as Error).message})`;
      this.fail(`handshake: ClientInfo from ${formatNodePublic(key)} ${why}`);
      return false;
    }
    this.key = key;
    this.keyId = key.toString('latin1');
    this.info = info;
    this.canMesh = this.server.isMeshKey(info.meshKey);
    this.state = 'verifying';
    this.transport.pauseReading();
    this.server
      .admit(this)
      .then((denied) => {
        if (this.state === 'closed') return;
        if (denied !== null) {
          this.server.noteDenied(this, denied);
          this.fail(`client ${formatNodePublic(key)} rejected: ${denied}`);
          return;
        }
        this.activate();
      })
      .catch((err: Error) => this.fail(`verification failed: ${err?.message ?? String(err)}`));
    return false;
  }

  /**
   * Charges a frame to the rate limits; when in debt, stops reading until it is paid, so that the kernel's
   * receive buffer fills and TCP slows the sender (nothing is dropped). Returns whether to keep reading.
   */
  private pace(frameLen: number): boolean {
    const n = Math.min(frameLen, MIN_RATE_BURST);
    let wait = this.limiter!.take(n);
    if (wait > 0) this.server.counters.rateLimitPerClientWaited++;
    const global = this.server.globalLimiter;
    if (global) {
      const g = global.take(n);
      if (g > 0) this.server.counters.rateLimitGlobalWaited++;
      wait = Math.max(wait, g);
    }
    if (wait <= 0) return true;
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
    this.server.register(this);
    const sealed = sealWithShared(this.shared!, encodeServerInfo());
    this.shared = null;
    this.transport.writeBatch([encodeFrame(FrameType.ServerInfo, sealed)], 1);
    this.transport.resumeReading();
    this.reader.resume();
    this.onActive?.();
    this.onActive = null;
  }

  private onSteadyFrame(type: number, buf: Buffer, start: number, end: number): void {
    if (this.isDup) this.server.noteDupActivity(this);
    switch (type) {
      case FrameType.SendPacket:
        this.onSendPacket(buf, start, end);
        return;
      case FrameType.NotePreferred:
        if (end - start !== 1) return this.fail('NotePreferred frame of wrong size');
        this.server.setPreferred(this, buf[start] !== 0);
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
        this.server.addWatcher(this);
        return;
      case FrameType.ClosePeer:
        if (end - start !== KEY_LEN) return this.fail('ClosePeer frame of wrong size');
        if (!this.canMesh) return this.fail('ClosePeer from a client without the mesh key: insufficient permissions');
        this.server.closePeer(this, buf.toString('latin1', start, end));
        return;
      default:
        this.server.counters.unknownFrames++;
    }
  }

  private onSendPacket(buf: Buffer, start: number, end: number): void {
    const pktStart = start + KEY_LEN;
    if (pktStart > end) return this.fail('short SendPacket frame');
    const len = end - pktStart;
    if (len > MAX_PACKET_SIZE) return this.fail(`SendPacket of ${len} bytes exceeds the ${MAX_PACKET_SIZE}-byte limit`);
    this.packetsIn++;
    this.bytesIn += len;
    this.server.deliver(this, this.key, this.keyId, buf, start, pktStart, end, false);
  }

  private onForwardPacket(buf: Buffer, start: number, end: number): void {
    if (!this.canMesh) return this.fail('ForwardPacket from a client without the mesh key: insufficient permissions');
    const pktStart = start + 2 * KEY_LEN;
    if (pktStart > end) return this.fail('short ForwardPacket frame');
    if (end - pktStart > MAX_PACKET_SIZE) return this.fail(`ForwardPacket of ${end - pktStart} bytes exceeds the ${MAX_PACKET_SIZE}-byte limit`);
    this.packetsIn++;
    this.bytesIn += end - pktStart;
    this.server.counters.packetsForwardedIn++;
    const src = Buffer.from(buf.subarray(start, start + KEY_LEN));
    this.server.deliver(this, src, src.toString('latin1'), buf, start + KEY_LEN, pktStart, end, true);
  }

  private onPing(buf: Buffer, start: number, end: number): void {
    const len = end - start;
    if (len < PING_LEN) return this.fail(`short Ping frame (${len} bytes)`);
    if (len > MAX_PING_LEN) return this.fail(`Ping frame too large (${len} bytes)`);
    this.server.counters.gotPing++;
    // Pings faster than we can answer are ignored, as derper does.
    if (this.pendingPongs >= MAX_PENDING_PONGS) return;
    this.pendingPongs++;
    this.server.counters.sentPong++;
    this.enqueueControl(encodeFrame(FrameType.Pong, buf.subarray(start, start + PING_LEN)));
  }

  /** Rate-limited "not here" reply, only for disco packets (the ones a client retries). */
  replyNotHere(dstKey: Buffer, buf: Buffer, pktStart: number, end: number): void {
    if (!looksLikeDisco(buf, pktStart, end)) return;
    const now = Date.now();
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
    this.server.counters.peerGoneNotHereFrames++;
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
        this.server.watchPeerGone(srcKeyId, this);
      }
    }
    // While the socket has room and nothing waits in the rings, frames join this turn's batch; only a backed-up
    // receiver's packets go to the rings, where the oldest give way.
    if (this.disco.length === 0 && this.packets.length === 0 && this.outBytes + frame.length <= WRITE_HIGH_WATER - this.transport.bufferedBytes) {
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
      if (evicted) this.noteDrop('queue_head', disco, evicted.length - RECV_FRAME_OVERHEAD);
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
      this.server.queueFlush(this);
    }
  }

  hasQueued(): boolean {
    return (this.control !== null && this.control.length > 0) || this.out.length > 0 || this.disco.length > 0 || this.packets.length > 0;
  }

  noteDrop(reason: DropReason, disco: boolean, bytes: number): void {
    this.drops++;
    this.server.noteDrop(reason, disco, bytes);
  }

  /** Hands queued frames to the transport until it holds WRITE_HIGH_WATER bytes; the rest waits for drain. */
  flush(): void {
    this.flushQueued = false;
    if (this.state === 'closed') return;
    const t = this.transport;
    let room = WRITE_HIGH_WATER - t.bufferedBytes;
    if (room <= 0) {
      if (this.stalledSince === 0) this.stalledSince = Date.now();
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
    t.writeBatch(batch, n);
    batch.fill(undefined as unknown as Buffer, 0, n);
    this.packetsOut += packets;
    this.bytesOut += bytes;
    this.server.noteSent(packets, bytes);
    if (this.hasQueued() && this.stalledSince === 0) this.stalledSince = Date.now();
  }

  /** Called once the transport has closed: everything still queued is dropped and counted. */
  dispose(): void {
    this.state = 'closed';
    for (const f of this.disco.clear()) this.noteDrop('gone_disconnected', true, f.length - RECV_FRAME_OVERHEAD);
    for (const f of this.packets.clear()) this.noteDrop('gone_disconnected', false, f.length - RECV_FRAME_OVERHEAD);
    for (const f of this.out) this.noteDrop('gone_disconnected', looksLikeDisco(f, RECV_FRAME_OVERHEAD, f.length), f.length - RECV_FRAME_OVERHEAD);
    this.out = [];
    this.control = null;
    this.lastSrc = null;
    if (this.resumeTimer) clearTimeout(this.resumeTimer);
    this.onClosed?.();
  }
}

const EMPTY_KEY = Buffer.alloc(0);
