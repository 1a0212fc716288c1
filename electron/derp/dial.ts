/**
 * Dialing a DERP server: TCP or TLS plus the HTTP upgrade (or fast start), or a WebSocket with the `derp`
 * subprotocol. What comes out is a connected byte stream positioned at the server's first frame; the DERP
 * session over it (ServerKey, ClientInfo, ServerInfo, then packets) is client.ts's business.
 */
import { createHash } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import { WebSocket, type ClientOptions } from 'ws';
import { DERP_PATH, WEBSOCKET_SUBPROTOCOL, parseUpgradeReply, upgradeRequest } from './upgrade.js';

export class DerpClientError extends Error {}

export interface DialOptions {
  /** `http(s)://host[:port]/derp`; `ws(s)://` or `websocket: true` selects the WebSocket transport. */
  url: string;
  fastStart?: boolean;
  websocket?: boolean;
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
}

/** The writing half of a dialed connection, as the DERP session uses it. */
export interface DerpStream {
  write(buf: Buffer): boolean;
  cork(): void;
  uncork(): void;
  readonly writableLength: number;
  end(): void;
  destroy(): void;
}

export interface StreamHandlers {
  onData(chunk: Buffer): void;
  /** The write buffer has emptied (TCP and TLS only). */
  onDrain(): void;
  onError(err: DerpClientError): void;
  onClose(): void;
}

export interface DialedStream {
  readonly stream: DerpStream;
  /** The Derp-Public-Key header of the 101 reply (absent with fast start and WebSocket). */
  readonly upgradeHeaderKey: string | null;
  /** What to report when the stream closes before the DERP handshake is done. */
  readonly closedEarlyMessage: string;
  /**
   * Hands the stream's events to the session. Anything that arrived since the dial finished (bytes after the
   * HTTP reply, an error, the close) is delivered first, in order.
   */
  attach(handlers: StreamHandlers): void;
}

/**
 * Connects and upgrades. Rejects with a DerpClientError naming the step that failed, or with `signal.reason`
 * once the signal aborts (the connection is destroyed either way).
 */
export function dial(opts: DialOptions, signal: AbortSignal): Promise<DialedStream> {
  const url = new URL(opts.url);
  const useWebSocket = opts.websocket === true || url.protocol === 'ws:' || url.protocol === 'wss:';
  const secure = url.protocol === 'https:' || url.protocol === 'wss:';
  return useWebSocket ? dialWebSocket(url, secure, opts, signal) : dialSocket(url, secure, opts, signal);
}

/**
 * Events that arrive between the end of the dial and `attach`: kept and replayed, so the session misses none.
 */
class EarlyEvents {
  private readonly events: Array<{ data?: Buffer; error?: DerpClientError; close?: true }> = [];
  data = (chunk: Buffer): void => void this.events.push({ data: chunk });
  error = (err: DerpClientError): void => void this.events.push({ error: err });
  close = (): void => void this.events.push({ close: true });

  replay(h: StreamHandlers): void {
    for (const e of this.events) {
      if (e.data) h.onData(e.data);
      else if (e.error) h.onError(e.error);
      else h.onClose();
    }
    this.events.length = 0;
  }
}

/** A maximum on the HTTP reply head; a server sending more is not a DERP server. */
const MAX_REPLY_HEAD = 16 << 10;

function dialSocket(url: URL, secure: boolean, opts: DialOptions, signal: AbortSignal): Promise<DialedStream> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(url.port || (secure ? 443 : 80));
  const connectHost = opts.connectAddress ?? host;
  const what = `${secure ? 'TLS' : 'TCP'} connection to ${url.host}`;
  const closedEarlyMessage = `connection to ${url.host} closed during the handshake`;

  return new Promise<DialedStream>((resolve, reject) => {
    const socket: net.Socket = secure
      ? tls.connect({ host: connectHost, port, ...tlsOptions(opts, host) })
      : net.connect({ host: connectHost, port });
    socket.setNoDelay(true);
    socket.on('end', () => socket.end());
    const early = new EarlyEvents();
    let settled = false;
    let replyHead = '';

    const onError = (err: Error) => fail(new DerpClientError(`${what}: ${err.message}`, { cause: err }));
    const onClose = () => fail(new DerpClientError(closedEarlyMessage));
    const onAbort = () => fail(signal.reason as Error);
    const onData = (chunk: Buffer) => readUpgradeReply(chunk);
    socket.on('error', onError);
    socket.on('close', onClose);
    socket.on('data', onData);
    signal.addEventListener('abort', onAbort, { once: true });

    function fail(err: Error): void {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      reject(err);
    }

    /** Done dialing: from here until `attach`, events are kept for the session. */
    function connected(upgradeHeaderKey: string | null, rest: Buffer | null): void {
      settled = true;
      signal.removeEventListener('abort', onAbort);
      socket.off('error', onError);
      socket.off('close', onClose);
      socket.off('data', onData);
      if (rest !== null && rest.length > 0) early.data(rest);
      socket.on('data', early.data);
      socket.on('error', wrapError);
      socket.on('close', early.close);
      resolve({
        stream: socket,
        upgradeHeaderKey,
        closedEarlyMessage,
        attach(h) {
          socket.off('data', early.data);
          socket.off('error', wrapError);
          socket.off('close', early.close);
          socket.on('data', h.onData);
          socket.on('drain', h.onDrain);
          socket.on('error', (err) => h.onError(new DerpClientError(`${what}: ${err.message}`, { cause: err })));
          socket.on('close', h.onClose);
          early.replay(h);
        },
      });
    }
    function wrapError(err: Error): void {
      early.error(new DerpClientError(`${what}: ${err.message}`, { cause: err }));
    }

    /** Step 2 (unless fast start): the server's `101 Switching Protocols`. */
    function readUpgradeReply(chunk: Buffer): void {
      replyHead += chunk.toString('latin1');
      const end = replyHead.indexOf('\r\n\r\n');
      if (end < 0) {
        if (replyHead.length > MAX_REPLY_HEAD) fail(new DerpClientError('HTTP reply headers too long'));
        return;
      }
      const head = replyHead.slice(0, end);
      const rest = Buffer.from(replyHead.slice(end + 4), 'latin1');
      replyHead = '';
      const reply = parseUpgradeReply(head);
      if (!reply.ok) {
        fail(
          new DerpClientError(
            `DERP upgrade refused: ${reply.statusLine}${rest.length ? `: ${rest.toString('utf8').trim().slice(0, 200)}` : ''}`,
          ),
        );
        return;
      }
      connected(reply.serverKeyHex, rest);
    }

    // Step 1: the connection (and for TLS, the certificate check), then the upgrade request.
    socket.once(secure ? 'secureConnect' : 'connect', () => {
      const pinErr = secure ? checkPin(socket as tls.TLSSocket, opts.certName) : null;
      if (pinErr) {
        fail(pinErr);
        return;
      }
      socket.write(
        upgradeRequest({
          path: url.pathname || DERP_PATH,
          host: url.host,
          fastStart: opts.fastStart,
          idealNode: opts.idealNode,
        }),
      );
      // With fast start the server answers with DERP frames straight away.
      if (opts.fastStart) connected(null, null);
    });
  });
}

function dialWebSocket(url: URL, secure: boolean, opts: DialOptions, signal: AbortSignal): Promise<DialedStream> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const wsUrl = `${secure ? 'wss' : 'ws'}://${url.host}${url.pathname}`;
  const closedEarlyMessage = `WebSocket to ${wsUrl} closed during the handshake`;

  return new Promise<DialedStream>((resolve, reject) => {
    const sock = new WebSocket(wsUrl, [WEBSOCKET_SUBPROTOCOL], {
      ...(tlsOptions(opts, host) as ClientOptions),
      perMessageDeflate: false,
      ...(opts.connectAddress ? { lookup: fixedLookup(opts.connectAddress) as unknown as net.LookupFunction } : {}),
    });
    sock.binaryType = 'nodebuffer';
    const early = new EarlyEvents();
    let settled = false;

    const wrap = (err: Error) => new DerpClientError(`WebSocket to ${wsUrl}: ${err.message}`, { cause: err });
    const onError = (err: Error) => fail(wrap(err));
    const onClose = () => fail(new DerpClientError(closedEarlyMessage));
    const onAbort = () => fail(signal.reason as Error);
    const onEarlyError = (err: Error) => early.error(wrap(err));
    sock.on('error', onError);
    sock.on('close', onClose);
    sock.on('unexpected-response', (_req, res) =>
      fail(new DerpClientError(`WebSocket upgrade refused: HTTP ${res.statusCode}`)),
    );
    sock.on('upgrade', (res) => {
      const pinErr = checkPin(res.socket as tls.TLSSocket, opts.certName);
      if (pinErr) fail(pinErr);
    });
    signal.addEventListener('abort', onAbort, { once: true });

    function fail(err: Error): void {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      sock.terminate();
      reject(err);
    }

    sock.once('open', () => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      sock.off('error', onError);
      sock.off('close', onClose);
      sock.on('message', early.data);
      sock.on('error', onEarlyError);
      sock.on('close', early.close);
      const stream = new WebSocketStream(sock);
      resolve({
        stream,
        upgradeHeaderKey: null,
        closedEarlyMessage,
        attach(h) {
          sock.off('message', early.data);
          sock.off('error', onEarlyError);
          sock.off('close', early.close);
          sock.on('message', (data: Buffer) => h.onData(data));
          sock.on('error', (err) => h.onError(wrap(err)));
          sock.on('close', h.onClose);
          early.replay(h);
        },
      });
    });
  });
}

/** A WebSocket as a DerpStream: corked writes become one binary message. */
class WebSocketStream implements DerpStream {
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

function tlsOptions(opts: DialOptions, host: string): tls.ConnectionOptions {
  const pinned = opts.certName?.startsWith('sha256-raw:') === true;
  const verifyName = opts.certName && !pinned ? opts.certName : host;
  return {
    servername: net.isIP(verifyName) ? undefined : verifyName,
    ca: opts.ca,
    // A pin replaces chain validation (that is how self-signed relays on bare IPs work); it is checked on connect.
    rejectUnauthorized: !(pinned || opts.insecureSkipVerify),
    checkServerIdentity: (_h, cert) =>
      pinned || opts.insecureSkipVerify ? undefined : tls.checkServerIdentity(verifyName, cert),
  };
}

/** A `sha256-raw:<hex>` CertName pins the SHA-256 of the leaf certificate's DER bytes. */
function checkPin(socket: tls.TLSSocket, certName: string | undefined): DerpClientError | null {
  if (!certName?.startsWith('sha256-raw:') || typeof socket.getPeerCertificate !== 'function') return null;
  const cert = socket.getPeerCertificate();
  const got = cert?.raw ? createHash('sha256').update(cert.raw).digest('hex') : '';
  const want = certName.slice('sha256-raw:'.length).toLowerCase();
  return got === want
    ? null
    : new DerpClientError(`TLS certificate pin mismatch: server sent sha256-raw:${got}, expected ${certName}`);
}

function fixedLookup(address: string) {
  const family = net.isIP(address) || 4;
  return (_host: string, options: unknown, cb: (...args: unknown[]) => void) => {
    if ((options as { all?: boolean })?.all) cb(null, [{ address, family }]);
    else cb(null, address, family);
  };
}
