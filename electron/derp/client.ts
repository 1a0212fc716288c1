/**
 * A DERP v2 client session: the ServerKey/ClientInfo/ServerInfo handshake over a dialed stream (dial.ts does
 * TCP/TLS/WebSocket and the HTTP upgrade), then packets, pings, preferences and the mesh frames. Tests,
 * diagnostics, benchmarks and mesh links use it.
 */
import { EventEmitter } from 'node:events';
import { BoxPrivateKey, openWithShared, sealWithShared } from './box.js';
import { DerpClientError, dial, type DerpStream, type DialOptions, type DialedStream } from './dial.js';
import {
  FrameType,
  KEY_LEN,
  MAX_FRAME_SIZE,
  MAX_PACKET_SIZE,
  decodePeerGone,
  decodePeerPresent,
  decodeRestarting,
  decodeServerKey,
  encodeFrame,
  encodePacketFrame,
  type PeerPresent,
} from './frames.js';
import { decodeServerInfo, encodeClientInfo, type ServerInfo } from './info.js';
import { generateKeyPair, type NodeKeyPair } from './keys.js';
import { FrameReader } from './reader.js';
import { errorMessage } from '../../shared/errors.js';

export interface DerpClientOptions extends DialOptions {
  keyPair?: NodeKeyPair;
  meshKey?: string;
  isProber?: boolean;
  canAckPings?: boolean;
  /** For the whole connect: dial, upgrade and DERP handshake. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface DerpClientEvents {
  peerGone: [key: Buffer, reason: number];
  peerPresent: [info: PeerPresent];
  keepAlive: [];
  health: [problem: string];
  restarting: [reconnectInMs: number, tryForMs: number];
  close: [err: Error | null];
  /** The socket's write buffer has emptied (TCP/TLS transports). */
  drain: [];
}

/** The packet callback gets views into the read buffer that are valid only during the call. */
export type PacketHandler = (src: Buffer, packet: Buffer) => void;

type HandshakeStep = 'serverKey' | 'serverInfo' | 'done';

export class DerpClient extends EventEmitter<DerpClientEvents> {
  readonly publicKey: Buffer;
  serverPublicKey: Buffer = Buffer.alloc(0);
  serverInfo: ServerInfo | null = null;
  /** The Derp-Public-Key header of the 101 reply (absent with fast start and WebSocket). */
  readonly upgradeHeaderKey: string | null;
  onPacket: PacketHandler | null = null;
  private closed = false;
  private readonly pendingPings = new Map<
    string,
    { resolve: (ms: number) => void; reject: (e: Error) => void; sentAt: bigint }
  >();
  private readonly stream: DerpStream;
  private readonly reader: FrameReader;
  private step: HandshakeStep = 'serverKey';
  /** The box key shared with the server, kept only between ServerKey and ServerInfo. */
  private shared: Uint8Array | null = null;
  /** Why the session closed before its handshake was done. */
  private closeError: Error | null = null;
  /** Settles connect(): set while the handshake runs. */
  private handshakeDone: { resolve: () => void; reject: (err: Error) => void } | null = null;

  private constructor(
    dialed: DialedStream,
    readonly keyPair: NodeKeyPair,
    private readonly opts: DerpClientOptions,
  ) {
    super();
    this.publicKey = keyPair.publicKey;
    this.stream = dialed.stream;
    this.upgradeHeaderKey = dialed.upgradeHeaderKey;
    this.reader = new FrameReader(this.onFrame, MAX_FRAME_SIZE, (err) =>
      this.fail(new DerpClientError(err.message, { cause: err })),
    );
    const closedEarly = dialed.closedEarlyMessage;
    dialed.attach({
      onData: (chunk) => this.reader.push(chunk),
      onDrain: () => this.emit('drain'),
      onError: (err) => this.fail(err),
      onClose: () => (this.step === 'done' ? this.shutdown(null) : this.fail(new DerpClientError(closedEarly))),
    });
  }

  /**
   * Dials and completes the handshake; rejects with a message naming the step that failed. The steps: dial
   * (connection, TLS, HTTP upgrade), receive ServerKey, send ClientInfo, receive ServerInfo.
   */
  static async connect(opts: DerpClientOptions): Promise<DerpClient> {
    const keyPair = opts.keyPair ?? generateKeyPair();
    const timeoutMs = opts.timeoutMs ?? 10_000;
    const host = new URL(opts.url).host;
    const deadline = new AbortController();
    const timer = setTimeout(
      () => deadline.abort(new DerpClientError(`DERP handshake with ${host} timed out after ${timeoutMs} ms`)),
      timeoutMs,
    );
    const onAbort = () => deadline.abort(new DerpClientError('connect aborted'));
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const dialed = await dial(opts, deadline.signal);
      const client = new DerpClient(dialed, keyPair, opts);
      await client.handshake(deadline.signal);
      return client;
    } finally {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Resolves once ServerInfo has arrived; the frame handlers below do the steps as the frames come. */
  private handshake(signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.step === 'done') {
        resolve();
        return;
      }
      if (this.closed) {
        reject(this.closeError ?? new DerpClientError('connection closed during the handshake'));
        return;
      }
      const onAbort = () => this.fail(signal.reason as Error);
      signal.addEventListener('abort', onAbort, { once: true });
      this.handshakeDone = {
        resolve: () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        },
        reject: (err) => {
          signal.removeEventListener('abort', onAbort);
          reject(err);
        },
      };
    });
  }

  private readonly onFrame = (type: number, buf: Buffer, start: number, end: number): boolean | void => {
    if (this.step === 'done') {
      this.handleFrame(type, buf, start, end);
      return;
    }
    if (this.step === 'serverKey') return this.receiveServerKey(type, buf, start, end);
    return this.receiveServerInfo(type, buf, start, end);
  };

  /** Handshake step: the server's first frame carries the DERP magic and its public key. */
  private receiveServerKey(type: number, buf: Buffer, start: number, end: number): boolean {
    if (type !== FrameType.ServerKey)
      return (this.fail(new DerpClientError(`expected ServerKey frame, got type 0x${type.toString(16)}`)), false);
    const serverKey = decodeServerKey(buf, start, end);
    if (serverKey === null)
      return (this.fail(new DerpClientError('ServerKey frame lacks the DERP magic: not a DERP server')), false);
    this.serverPublicKey = serverKey;
    this.sendClientInfo();
    this.step = 'serverInfo';
    return true;
  }

  /** Handshake step: our key and a box of our ClientInfo, sealed to the server's key. */
  private sendClientInfo(): void {
    this.shared = new BoxPrivateKey(this.keyPair.privateKey).sharedKey(this.serverPublicKey);
    const info = encodeClientInfo({
      ...(this.opts.meshKey ? { meshKey: this.opts.meshKey } : {}),
      CanAckPings: this.opts.canAckPings ?? true,
      IsProber: this.opts.isProber ?? false,
    });
    this.stream.write(encodeFrame(FrameType.ClientInfo, this.keyPair.publicKey, sealWithShared(this.shared, info)));
  }

  /** Handshake step: the server's boxed ServerInfo; once it opens, the session is in steady state. */
  private receiveServerInfo(type: number, buf: Buffer, start: number, end: number): boolean {
    if (type !== FrameType.ServerInfo)
      return (this.fail(new DerpClientError(`expected ServerInfo frame, got type 0x${type.toString(16)}`)), false);
    let info: ServerInfo;
    try {
      info = decodeServerInfo(openWithShared(this.shared!, buf.subarray(start, end)));
    } catch (err) {
      return (this.fail(new DerpClientError(`ServerInfo does not open: ${errorMessage(err)}`, { cause: err })), false);
    }
    this.serverInfo = info;
    this.shared = null;
    this.step = 'done';
    const done = this.handshakeDone;
    this.handshakeDone = null;
    done?.resolve();
    return true;
  }

  /** Before the handshake is done, rejects connect() and closes quietly; afterwards, closes with `err`. */
  private fail(err: Error): void {
    if (this.step === 'done') {
      this.shutdown(err);
      return;
    }
    if (this.closed) return;
    this.closed = true;
    this.closeError = err;
    this.stream.destroy();
    const done = this.handshakeDone;
    this.handshakeDone = null;
    done?.reject(err);
  }

  /** Handles one steady-state frame from the server. */
  handleFrame(type: number, buf: Buffer, start: number, end: number): void {
    switch (type) {
      case FrameType.RecvPacket:
        if (end - start < KEY_LEN) return this.shutdown(new DerpClientError('short RecvPacket frame'));
        this.onPacket?.(buf.subarray(start, start + KEY_LEN), buf.subarray(start + KEY_LEN, end));
        return;
      case FrameType.KeepAlive:
        this.emit('keepAlive');
        return;
      case FrameType.PeerGone: {
        const gone = decodePeerGone(buf, start, end);
        if (gone) this.emit('peerGone', gone.key, gone.reason);
        return;
      }
      case FrameType.PeerPresent: {
        const present = decodePeerPresent(buf, start, end);
        if (present) this.emit('peerPresent', present);
        return;
      }
      case FrameType.Pong: {
        if (end - start < 8) return;
        const id = buf.toString('hex', start, start + 8);
        const p = this.pendingPings.get(id);
        if (p) {
          this.pendingPings.delete(id);
          p.resolve(Number(process.hrtime.bigint() - p.sentAt) / 1e6);
        }
        return;
      }
      case FrameType.Ping:
        this.write(encodeFrame(FrameType.Pong, buf.subarray(start, Math.min(end, start + 8))));
        return;
      case FrameType.Health:
        this.emit('health', buf.toString('utf8', start, end));
        return;
      case FrameType.Restarting: {
        const notice = decodeRestarting(buf, start, end);
        if (notice) this.emit('restarting', notice.reconnectInMs, notice.tryForMs);
        return;
      }
      default:
      // Unknown frames are skipped, as the protocol requires.
    }
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Bytes waiting in the socket's buffer; senders use it to pace themselves. */
  get bufferedBytes(): number {
    return this.stream.writableLength;
  }

  private write(frame: Buffer): boolean {
    if (this.closed) return false;
    return this.stream.write(frame);
  }

  send(dst: Uint8Array, packet: Uint8Array): boolean {
    if (packet.length > MAX_PACKET_SIZE)
      throw new DerpClientError(`packet of ${packet.length} bytes exceeds ${MAX_PACKET_SIZE}`);
    return this.write(encodePacketFrame(FrameType.SendPacket, dst, packet, 0, packet.length));
  }

  forwardPacket(src: Uint8Array, dst: Uint8Array, packet: Uint8Array): boolean {
    return this.write(encodeFrame(FrameType.ForwardPacket, src, dst, packet));
  }

  notePreferred(preferred: boolean): void {
    this.write(encodeFrame(FrameType.NotePreferred, Uint8Array.of(preferred ? 1 : 0)));
  }

  watchConns(): void {
    this.write(encodeFrame(FrameType.WatchConns));
  }

  closePeer(key: Uint8Array): void {
    this.write(encodeFrame(FrameType.ClosePeer, key));
  }

  /** Sends a Ping and resolves with the round-trip time in milliseconds. */
  ping(timeoutMs = 5_000): Promise<number> {
    const data = Buffer.allocUnsafe(8);
    for (;;) {
      data.writeDoubleBE(Math.random());
      if (!this.pendingPings.has(data.toString('hex'))) break;
    }
    const id = data.toString('hex');
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pendingPings.delete(id);
        reject(new DerpClientError(`no Pong within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pendingPings.set(id, {
        resolve: (ms) => {
          clearTimeout(timer);
          resolve(ms);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
        sentAt: process.hrtime.bigint(),
      });
      this.write(encodeFrame(FrameType.Ping, data));
    });
  }

  /** Raw bytes, for tests that need to send what a well-behaved client never would. */
  writeRaw(bytes: Buffer): void {
    this.write(bytes);
  }

  cork(): void {
    this.stream.cork();
  }

  uncork(): void {
    this.stream.uncork();
  }

  close(): void {
    if (this.closed) return;
    this.stream.end();
    this.shutdown(null);
  }

  /** @internal */
  shutdown(err: Error | null): void {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.pendingPings.values()) p.reject(new DerpClientError('connection closed'));
    this.pendingPings.clear();
    if (err) this.stream.destroy();
    this.emit('close', err);
  }
}
