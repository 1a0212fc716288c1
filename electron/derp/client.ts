/**
 * A DERP v2 client: HTTP upgrade (or fast start, or WebSocket), the ServerKey/ClientInfo/ServerInfo handshake,
 * then packets, pings, preferences and the mesh frames. Tests, diagnostics and benchmarks use it.
 */
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';
import { WebSocket, type ClientOptions } from 'ws';
import { BoxPrivateKey, openWithShared, sealWithShared } from './box.js';
import {
  FrameType,
  KEY_LEN,
  MAGIC,
  MAX_FRAME_SIZE,
  MAX_PACKET_SIZE,
  PEER_PRESENT_LEN,
  encodeFrame,
  encodePacketFrame,
} from './frames.js';
import { decodeServerInfo, encodeClientInfo, type ServerInfo } from './info.js';
import { generateKeyPair, type NodeKeyPair } from './keys.js';
import { FrameReader } from './reader.js';

export interface DerpClientOptions {
  /** `http(s)://host[:port]/derp`; `ws(s)://` or `websocket: true` selects the WebSocket transport. */
  url: string;
  keyPair?: NodeKeyPair;
  fastStart?: boolean;
  websocket?: boolean;
  meshKey?: string;
  isProber?: boolean;
  canAckPings?: boolean;
  /** Sent as the Ideal-Node header: this server is not the client's ideal node in the region. */
  idealNode?: string;
  /** The DERP map's CertName: `sha256-raw:<hex>` pins the leaf certificate, anything else is the name to verify. */
  certName?: string;
  /** Trust anchors for TLS (tests use self-signed certificates). */
  ca?: string | Buffer | Array<string | Buffer>;
  /** The DERP map's InsecureForTests. */
  insecureSkipVerify?: boolean;
  /** Connect to this address instead of resolving the URL's host (the DERP map's IPv4/IPv6 fields). */
  connectAddress?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface PeerPresentInfo {
  key: Buffer;
  ip: string;
  port: number;
  flags: number;
}

export interface DerpClientEvents {
  peerGone: [key: Buffer, reason: number];
  peerPresent: [info: PeerPresentInfo];
  keepAlive: [];
  health: [problem: string];
  restarting: [reconnectInMs: number, tryForMs: number];
  close: [err: Error | null];
  /** The socket's write buffer has emptied (TCP/TLS transports). */
  drain: [];
}

export class DerpClientError extends Error {}

interface Stream {
  write(buf: Buffer): boolean;
  cork(): void;
  uncork(): void;
  readonly writableLength: number;
  end(): void;
  destroy(): void;
}

/** The packet callback gets views into the read buffer that are valid only during the call. */
export type PacketHandler = (src: Buffer, packet: Buffer) => void;

export class DerpClient extends EventEmitter<DerpClientEvents> {
  readonly publicKey: Buffer;
  serverPublicKey: Buffer = Buffer.alloc(0);
  serverInfo: ServerInfo | null = null;
  /** The Derp-Public-Key header of the 101 reply (absent with fast start and WebSocket). */
  upgradeHeaderKey: string | null = null;
  onPacket: PacketHandler | null = null;
  private closed = false;
  private readonly pendingPings = new Map<string, { resolve: (ms: number) => void; reject: (e: Error) => void; sentAt: bigint }>();

  private constructor(
    private readonly stream: Stream,
    readonly keyPair: NodeKeyPair,
  ) {
    super();
    this.publicKey = keyPair.publicKey;
  }

  /** Connects and completes the handshake; rejects with a message naming the step that failed. */
  static async connect(opts: DerpClientOptions): Promise<DerpClient> {
    const keyPair = opts.keyPair ?? generateKeyPair();
    const timeoutMs = opts.timeoutMs ?? 10_000;
    const url = new URL(opts.url);
    const ws = opts.websocket === true || url.protocol === 'ws:' || url.protocol === 'wss:';
    const secure = url.protocol === 'https:' || url.protocol === 'wss:';
    const port = Number(url.port || (secure ? 443 : 80));
    const host = url.hostname.replace(/^\[|\]$/g, '');

    return new Promise<DerpClient>((resolve, reject) => {
      let client: DerpClient | null = null;
      let settled = false;
      const fail = (err: Error) => {
        if (settled) {
          client?.shutdown(err);
          return;
        }
        settled = true;
        clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
        raw?.destroy();
        reject(err);
      };
      const onAbort = () => fail(new DerpClientError('connect aborted'));
      const timer = setTimeout(() => fail(new DerpClientError(`DERP handshake with ${url.host} timed out after ${timeoutMs} ms`)), timeoutMs);
      opts.signal?.addEventListener('abort', onAbort, { once: true });

      let raw: { destroy(): void } | null = null;
      const handshake = new Handshake(keyPair, opts, fail, (serverKey, info, headerKey) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
        const c = client!;
        c.serverPublicKey = serverKey;
        c.serverInfo = info;
        c.upgradeHeaderKey = headerKey;
        handshake.client = c;
        resolve(c);
      });

      if (ws) {
        const wsUrl = `${secure ? 'wss' : 'ws'}://${url.host}${url.pathname}`;
        const sock = new WebSocket(wsUrl, ['derp'], {
          ...(tlsOptions(opts, host) as ClientOptions),
          perMessageDeflate: false,
          ...(opts.connectAddress ? { lookup: fixedLookup(opts.connectAddress) as unknown as net.LookupFunction } : {}),
        });
        sock.on('upgrade', (res) => {
          const pinErr = checkPin(res.socket as tls.TLSSocket, opts.certName);
          if (pinErr) fail(pinErr);
        });
        raw = { destroy: () => sock.terminate() };
        sock.binaryType = 'nodebuffer';
        const stream = new WebSocketStream(sock);
        client = new DerpClient(stream, keyPair);
        handshake.stream = stream;
        sock.on('message', (data: Buffer) => handshake.push(data));
        sock.on('error', (err) => fail(new DerpClientError(`WebSocket to ${wsUrl}: ${err.message}`)));
        sock.on('close', () => {
          if (!settled) fail(new DerpClientError(`WebSocket to ${wsUrl} closed during the handshake`));
          else client!.shutdown(null);
        });
        sock.on('unexpected-response', (_req, res) => fail(new DerpClientError(`WebSocket upgrade refused: HTTP ${res.statusCode}`)));
        return;
      }

      const connectHost = opts.connectAddress ?? host;
      const socket: net.Socket = secure
        ? tls.connect({ host: connectHost, port, ...tlsOptions(opts, host) })
        : net.connect({ host: connectHost, port });
      raw = socket;
      socket.setNoDelay(true);
      client = new DerpClient(socket, keyPair);
      handshake.stream = socket;
      socket.on('error', (err) => fail(new DerpClientError(`${secure ? 'TLS' : 'TCP'} connection to ${url.host}: ${err.message}`)));
      socket.on('close', () => {
        if (!settled) fail(new DerpClientError(`connection to ${url.host} closed during the handshake`));
        else client!.shutdown(null);
      });
      socket.on('end', () => socket.end());
      socket.on('drain', () => client!.emit('drain'));
      socket.on('data', (chunk: Buffer) => handshake.push(chunk));
      socket.once(secure ? 'secureConnect' : 'connect', () => {
        const pinErr = secure ? checkPin(socket as tls.TLSSocket, opts.certName) : null;
        if (pinErr) {
          fail(pinErr);
          return;
        }
        const headers = [
          `GET ${url.pathname || '/derp'} HTTP/1.1`,
          `Host: ${url.host}`,
          'Upgrade: DERP',
          'Connection: Upgrade',
          ...(opts.fastStart ? ['Derp-Fast-Start: 1'] : []),
          ...(opts.idealNode ? [`Ideal-Node: ${opts.idealNode}`] : []),
        ];
        handshake.expectHttp = !opts.fastStart;
        socket.write(headers.join('\r\n') + '\r\n\r\n');
      });
    });
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
      case FrameType.PeerGone:
        if (end - start < KEY_LEN) return;
        this.emit('peerGone', Buffer.from(buf.subarray(start, start + KEY_LEN)), end - start > KEY_LEN ? buf[start + KEY_LEN] : 0);
        return;
      case FrameType.PeerPresent: {
        if (end - start < KEY_LEN) return;
        const info: PeerPresentInfo = { key: Buffer.from(buf.subarray(start, start + KEY_LEN)), ip: '', port: 0, flags: 0 };
        if (end - start >= PEER_PRESENT_LEN) {
          info.ip = ip16ToString(buf.subarray(start + KEY_LEN, start + KEY_LEN + 16));
          info.port = buf.readUInt16BE(start + KEY_LEN + 16);
          info.flags = buf[start + KEY_LEN + 18];
        }
        this.emit('peerPresent', info);
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
      case FrameType.Restarting:
        if (end - start >= 8) this.emit('restarting', buf.readUInt32BE(start), buf.readUInt32BE(start + 4));
        return;
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
    if (packet.length > MAX_PACKET_SIZE) throw new DerpClientError(`packet of ${packet.length} bytes exceeds ${MAX_PACKET_SIZE}`);
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

/**
 * Parses the HTTP reply (unless fast start), ServerKey, then ServerInfo; afterwards it keeps reading and hands
 * every frame to the client.
 */
class Handshake {
  stream: Stream | null = null;
  client: DerpClient | null = null;
  expectHttp = false;
  private httpBuf = '';
  private headerKey: string | null = null;
  private state: 'serverKey' | 'serverInfo' | 'done' = 'serverKey';
  private serverKey: Buffer | null = null;
  private shared: Uint8Array | null = null;
  private readonly reader: FrameReader;
  private readonly boxKey: BoxPrivateKey;

  constructor(
    private readonly keyPair: NodeKeyPair,
    private readonly opts: DerpClientOptions,
    private readonly fail: (err: Error) => void,
    private readonly done: (serverKey: Buffer, info: ServerInfo, headerKey: string | null) => void,
  ) {
    this.boxKey = new BoxPrivateKey(keyPair.privateKey);
    this.reader = new FrameReader(this.onFrame, MAX_FRAME_SIZE, (err) => this.fail(new DerpClientError(err.message)));
  }

  push(chunk: Buffer): void {
    if (this.expectHttp) {
      this.httpBuf += chunk.toString('latin1');
      const end = this.httpBuf.indexOf('\r\n\r\n');
      if (end < 0) {
        if (this.httpBuf.length > 16 << 10) this.fail(new DerpClientError('HTTP reply headers too long'));
        return;
      }
      const head = this.httpBuf.slice(0, end);
      const rest = Buffer.from(this.httpBuf.slice(end + 4), 'latin1');
      this.httpBuf = '';
      this.expectHttp = false;
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(head);
      if (!status || status[1] !== '101') {
        this.fail(new DerpClientError(`DERP upgrade refused: ${head.split('\r\n')[0] || 'no HTTP status line'}${rest.length ? `: ${rest.toString('utf8').trim().slice(0, 200)}` : ''}`));
        return;
      }
      const keyHeader = /\r\nDerp-Public-Key:\s*([0-9a-fA-F]{64})/i.exec(head);
      this.headerKey = keyHeader ? keyHeader[1].toLowerCase() : null;
      if (rest.length) this.reader.push(rest);
      return;
    }
    this.reader.push(chunk);
  }

  private readonly onFrame = (type: number, buf: Buffer, start: number, end: number): boolean | void => {
    if (this.state === 'done') {
      this.client!.handleFrame(type, buf, start, end);
      return;
    }
    if (this.state === 'serverKey') {
      if (type !== FrameType.ServerKey) return this.fail(new DerpClientError(`expected ServerKey frame, got type 0x${type.toString(16)}`)), false;
      if (end - start < MAGIC.length + KEY_LEN || !buf.subarray(start, start + MAGIC.length).equals(MAGIC)) {
        return this.fail(new DerpClientError('ServerKey frame lacks the DERP magic: not a DERP server')), false;
      }
      this.serverKey = Buffer.from(buf.subarray(start + MAGIC.length, start + MAGIC.length + KEY_LEN));
      this.shared = this.boxKey.sharedKey(this.serverKey);
      const info = encodeClientInfo({
        ...(this.opts.meshKey ? { meshKey: this.opts.meshKey } : {}),
        CanAckPings: this.opts.canAckPings ?? true,
        IsProber: this.opts.isProber ?? false,
      });
      this.stream!.write(encodeFrame(FrameType.ClientInfo, this.keyPair.publicKey, sealWithShared(this.shared, info)));
      this.state = 'serverInfo';
      return;
    }
    if (type !== FrameType.ServerInfo) {
      return this.fail(new DerpClientError(`expected ServerInfo frame, got type 0x${type.toString(16)}`)), false;
    }
    let info: ServerInfo;
    try {
      info = decodeServerInfo(openWithShared(this.shared!, buf.subarray(start, end)));
    } catch (err) {
      return this.fail(new DerpClientError(`ServerInfo does not open: ${(err as Error).message}`)), false;
    }
    this.state = 'done';
    this.shared = null;
    this.done(this.serverKey!, info, this.headerKey);
  };
}

class WebSocketStream implements Stream {
  private corked = 0;
  private pending: Buffer[] = [];

  constructor(private readonly ws: WebSocket) {}

  get writableLength(): number {
    return this.ws.bufferedAmount + this.pending.reduce((n, b) => n + b.length, 0);
  }

  write(buf: Buffer): boolean {
    if (this.corked > 0) {
      this.pending.push(buf);
      return true;
    }
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(buf, { binary: true });
    return true;
  }

  cork(): void {
    this.corked++;
  }

  uncork(): void {
    if (this.corked > 0 && --this.corked === 0 && this.pending.length > 0) {
      const msg = Buffer.concat(this.pending);
      this.pending = [];
      this.write(msg);
    }
  }

  end(): void {
    this.ws.close(1000);
  }

  destroy(): void {
    this.ws.terminate();
  }
}

function tlsOptions(opts: DerpClientOptions, host: string): tls.ConnectionOptions {
  const pinned = opts.certName?.startsWith('sha256-raw:') === true;
  const verifyName = opts.certName && !pinned ? opts.certName : host;
  return {
    servername: net.isIP(verifyName) ? undefined : verifyName,
    ca: opts.ca,
    // A pin replaces chain validation (that is how self-signed relays on bare IPs work); it is checked on connect.
    rejectUnauthorized: !(pinned || opts.insecureSkipVerify),
    checkServerIdentity: (_h, cert) => (pinned || opts.insecureSkipVerify ? undefined : tls.checkServerIdentity(verifyName, cert)),
  };
}

/** A `sha256-raw:<hex>` CertName pins the SHA-256 of the leaf certificate's DER bytes. */
function checkPin(socket: tls.TLSSocket, certName: string | undefined): DerpClientError | null {
  if (!certName?.startsWith('sha256-raw:') || typeof socket.getPeerCertificate !== 'function') return null;
  const cert = socket.getPeerCertificate();
  const got = cert?.raw ? createHash('sha256').update(cert.raw).digest('hex') : '';
  const want = certName.slice('sha256-raw:'.length).toLowerCase();
  return got === want ? null : new DerpClientError(`TLS certificate pin mismatch: server sent sha256-raw:${got}, expected ${certName}`);
}

function fixedLookup(address: string) {
  const family = net.isIP(address) || 4;
  return (_host: string, options: unknown, cb: (...args: unknown[]) => void) => {
    if ((options as { all?: boolean })?.all) cb(null, [{ address, family }]);
    else cb(null, address, family);
  };
}

function ip16ToString(b: Buffer): string {
  const v4mapped = b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff;
  if (v4mapped) return `${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(b.readUInt16BE(i).toString(16));
  return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
}
