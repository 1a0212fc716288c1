/**
 * Socket-free fixtures for the relay core: a Transport that records what the server writes and lets the test
 * feed it bytes, a clock the test moves by hand, and a fake client that does the DERP handshake over them.
 */
import { BoxPrivateKey, openWithShared, sealWithShared } from '../../electron/derp/box.js';
import {
  FRAME_HEADER_LEN,
  FrameType,
  KEY_LEN,
  MAGIC,
  encodeFrame,
  encodePacketFrame,
} from '../../electron/derp/frames.js';
import { encodeClientInfo, type ClientInfo } from '../../electron/derp/info.js';
import { generateKeyPair, type NodeKeyPair } from '../../electron/derp/keys.js';
import type { ClientConnection } from '../../electron/relay/connection.js';
import { DerpServer, type DerpServerOptions } from '../../electron/relay/server.js';
import type { Transport, TransportHandlers } from '../../electron/relay/transport.js';
import { silentLogger } from '../../electron/util/log.js';

export class FakeClock {
  constructor(public ms = 1_700_000_000_000) {}
  readonly now = (): number => this.ms;
  advance(ms: number): void {
    this.ms += ms;
  }
}

export interface Frame {
  type: number;
  payload: Buffer;
}

let nextPort = 40000;

export class FakeTransport implements Transport {
  readonly kind = 'tcp' as const;
  readonly remoteAddress = '192.0.2.1';
  readonly remotePort = nextPort++;
  /** What the "kernel" has not taken yet; a test sets it to simulate a receiver that stopped reading. */
  bufferedBytes = 0;
  readingPaused = false;
  destroyed = false;
  /** Every byte the server wrote, in order. */
  private written = Buffer.alloc(0);
  private readPos = 0;
  private handlers: TransportHandlers | null = null;
  private closeSeen = false;
  private closeWaiters: Array<() => void> = [];

  start(handlers: TransportHandlers): void {
    this.handlers = handlers;
  }

  writeBatch(frames: Buffer[], count: number): void {
    if (this.destroyed) return;
    this.written = Buffer.concat([this.written, ...frames.slice(0, count)]);
  }

  pauseReading(): void {
    this.readingPaused = true;
  }

  resumeReading(): void {
    this.readingPaused = false;
  }

  end(): void {
    this.destroy();
  }

  /** Closes on the next tick, as a socket's 'close' event comes after destroy(). */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    process.nextTick(() => {
      this.closeSeen = true;
      this.handlers?.onClose();
      for (const w of this.closeWaiters.splice(0)) w();
    });
  }

  /** Resolves once the server has seen this transport close. */
  closed(): Promise<void> {
    if (this.closeSeen) return Promise.resolve();
    return new Promise((resolve) => this.closeWaiters.push(resolve));
  }

  /** Bytes from the client. */
  receive(bytes: Buffer): void {
    this.handlers!.onData(bytes);
  }

  /** The receiver caught up: the buffer is empty again. */
  drain(): void {
    this.bufferedBytes = 0;
    this.handlers!.onDrain();
  }

  /** Frames written since the last call. */
  takeFrames(): Frame[] {
    const out: Frame[] = [];
    let pos = this.readPos;
    while (this.written.length - pos >= FRAME_HEADER_LEN) {
      const len = this.written.readUInt32BE(pos + 1);
      if (this.written.length - pos < FRAME_HEADER_LEN + len) break;
      out.push({
        type: this.written[pos],
        payload: Buffer.from(this.written.subarray(pos + FRAME_HEADER_LEN, pos + FRAME_HEADER_LEN + len)),
      });
      pos += FRAME_HEADER_LEN + len;
    }
    this.readPos = pos;
    return out;
  }
}

/** One event-loop turn: the server writes what it queued during the previous one (see DerpServer.queueFlush). */
export const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A client of the fake relay: its transport, its connection on the server side, and frame helpers. */
export class FakeClient {
  constructor(
    readonly transport: FakeTransport,
    readonly conn: ClientConnection,
    readonly keyPair: NodeKeyPair,
  ) {}

  get key(): Buffer {
    return this.keyPair.publicKey;
  }

  send(dst: Uint8Array, packet: Uint8Array): void {
    this.transport.receive(encodePacketFrame(FrameType.SendPacket, dst, packet, 0, packet.length));
  }

  ping(data = Buffer.alloc(8, 1)): void {
    this.transport.receive(encodeFrame(FrameType.Ping, data));
  }

  /** Frames written to this client since the last call, skipping KeepAlive. */
  frames(): Frame[] {
    return this.transport.takeFrames().filter((f) => f.type !== FrameType.KeepAlive);
  }

  /** The packets (as text) in RecvPacket frames written since the last call, with their source keys. */
  packets(): Array<{ src: Buffer; text: string }> {
    return this.frames()
      .filter((f) => f.type === FrameType.RecvPacket)
      .map((f) => ({ src: f.payload.subarray(0, KEY_LEN), text: f.payload.subarray(KEY_LEN).toString() }));
  }

  close(): Promise<void> {
    this.transport.destroy();
    return this.transport.closed();
  }
}

export interface FakeRelay {
  server: DerpServer;
  clock: FakeClock;
  /** Connects a client over a FakeTransport and completes the handshake. */
  connect(opts?: { keyPair?: NodeKeyPair; info?: Partial<ClientInfo> }): Promise<FakeClient>;
}

export function fakeRelay(opts: Partial<DerpServerOptions> = {}): FakeRelay {
  const clock = new FakeClock();
  const server = new DerpServer({ keyPair: generateKeyPair(), logger: silentLogger, now: clock.now, ...opts });
  const connect = async (c: { keyPair?: NodeKeyPair; info?: Partial<ClientInfo> } = {}): Promise<FakeClient> => {
    const keyPair = c.keyPair ?? generateKeyPair();
    const transport = new FakeTransport();
    let activated!: () => void;
    const active = new Promise<void>((resolve) => (activated = resolve));
    const conn = server.accept(transport, { onActive: () => activated() });
    if (!conn) throw new Error('server refused the connection');
    const [serverKeyFrame] = transport.takeFrames();
    if (
      serverKeyFrame?.type !== FrameType.ServerKey ||
      !serverKeyFrame.payload.subarray(0, MAGIC.length).equals(MAGIC)
    ) {
      throw new Error('expected ServerKey first');
    }
    const shared = new BoxPrivateKey(keyPair.privateKey).sharedKey(serverKeyFrame.payload.subarray(MAGIC.length));
    transport.receive(
      encodeFrame(FrameType.ClientInfo, keyPair.publicKey, sealWithShared(shared, encodeClientInfo(c.info ?? {}))),
    );
    await active;
    const [serverInfo] = transport.takeFrames();
    if (serverInfo?.type !== FrameType.ServerInfo) throw new Error('expected ServerInfo after ClientInfo');
    openWithShared(shared, serverInfo.payload);
    return new FakeClient(transport, conn, keyPair);
  };
  return { server, clock, connect };
}
