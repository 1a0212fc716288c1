/**
 * The relay's HTTP surface, as derper serves it: the /derp upgrade (DERP, fast start, WebSocket), the latency
 * probes, captive-portal /generate_204, /bootstrap-dns, a home page, robots.txt, and /debug/ for loopback clients.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { WebSocketServer } from 'ws';
import {
  DERP_PATH,
  FAST_START_HEADER,
  WEBSOCKET_SUBPROTOCOL,
  isDerpUpgrade,
  isNotIdeal,
  isWebSocketUpgrade,
  offersDerpSubprotocol,
  upgradeResponse,
} from '../derp/upgrade.js';
import type { BootstrapDns } from './bootstrap-dns.js';
import type { DerpServer } from './server.js';
import { renderDebugIndex, renderHomePage, type HomePage } from './site-pages.js';
import { requestPath } from './request-target.js';
import { SocketTransport, WebSocketTransport, normalizeIp } from './transport.js';
import { errorMessage } from '../../shared/errors.js';

export const CHALLENGE_HEADER = 'x-tailscale-challenge';
export const RESPONSE_HEADER = 'X-Tailscale-Response';
const NO_CACHE = 'no-cache, no-store, must-revalidate, no-transform, max-age=0';
const CHALLENGE_RE = /^[A-Za-z0-9._:-]{1,64}$/;

export interface DerpHttpOptions {
  server: DerpServer;
  /** Prometheus text for /debug/varz (a -workers worker collects it from every worker, hence the promise). */
  varz: () => string | Promise<string>;
  /** Called once a socket's DERP handshake is done (the client is active); see HandshakeGuard. */
  onHandshakeDone?: (socket: Socket) => void;
  /** derper's -derp=false: /derp answers 404 while probes, STUN and bootstrap DNS keep serving. */
  derpEnabled?: boolean;
  /** derper's -home. */
  home?: HomePage;
  bootstrapDns?: BootstrapDns;
  /** Facts for the /debug/ index (host name, mesh key, version...). */
  debugFacts?: () => Array<[string, string]>;
}

const DEBUG_LINKS: Array<[string, string]> = [['varz', "Prometheus metrics (derper's names)"]];
const DERP_DISABLED = 'derp server disabled\n';

export interface DerpHttpHandlers {
  onRequest(req: IncomingMessage, res: ServerResponse): void;
  onUpgrade(req: IncomingMessage, socket: Socket, head: Buffer): void;
}

function isLoopback(ip: string): boolean {
  return ip === '::1' || ip.startsWith('127.');
}

/**
 * tsweb's rule for debug pages: loopback only, and never a request relayed by a proxy on this machine (it carries
 * X-Forwarded-For), because then the real client is somewhere else.
 */
function allowDebugAccess(req: IncomingMessage): boolean {
  return req.headers['x-forwarded-for'] === undefined && isLoopback(normalizeIp(req.socket.remoteAddress));
}

function plain(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'X-Content-Type-Options': 'nosniff',
    ...headers,
  });
  res.end(body);
}

function serveVarz(res: ServerResponse, varz: DerpHttpOptions['varz']): void {
  Promise.resolve()
    .then(varz)
    .then(
      (text) => plain(res, 200, text, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' }),
      (err: unknown) => plain(res, 503, `varz unavailable: ${errorMessage(err)}\n`),
    );
}

/** The 204 answer Tailscale's captive-portal detection expects, echoing a well-formed challenge. */
export function serveNoContent(req: IncomingMessage, res: ServerResponse): void {
  const headers: Record<string, string> = { 'Cache-Control': NO_CACHE };
  const challenge = req.headers[CHALLENGE_HEADER];
  if (typeof challenge === 'string' && CHALLENGE_RE.test(challenge)) headers[RESPONSE_HEADER] = `response ${challenge}`;
  res.writeHead(204, headers);
  res.end();
}

/** derper's -home: its default page (with a /debug/ link for loopback visitors), a blank page, or a redirect. */
function serveHome(req: IncomingMessage, res: ServerResponse, opts: DerpHttpOptions): void {
  const home = opts.home ?? { kind: 'default' };
  if (home.kind === 'redirect') {
    res.writeHead(302, { Location: home.url });
    res.end();
    return;
  }
  res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
  if (home.kind === 'blank') res.end();
  else res.end(renderHomePage({ derpEnabled: opts.derpEnabled !== false, showDebugLink: allowDebugAccess(req) }));
}

export function createDerpHttp(opts: DerpHttpOptions): DerpHttpHandlers {
  const { server } = opts;
  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    maxPayload: 4 << 20,
    handleProtocols: (protocols) => (protocols.has(WEBSOCKET_SUBPROTOCOL) ? WEBSOCKET_SUBPROTOCOL : false),
  });

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const p = requestPath(req.url);
    if (p === null) {
      plain(res, 400, '400 Bad Request: malformed request target\n', { Connection: 'close' });
      return;
    }
    switch (p) {
      case '/derp/probe':
      case '/derp/latency-check':
        if (req.method === 'GET' || req.method === 'HEAD') {
          res.writeHead(200, { 'Access-Control-Allow-Origin': '*' });
          res.end();
        } else {
          plain(res, 405, 'bogus probe method\n');
        }
        return;
      case DERP_PATH:
        if (opts.derpEnabled === false) plain(res, 404, DERP_DISABLED);
        else plain(res, 426, 'DERP requires connection upgrade\n');
        return;
      case '/generate_204':
        serveNoContent(req, res);
        return;
      case '/':
        serveHome(req, res, opts);
        return;
      case '/bootstrap-dns':
        if (opts.bootstrapDns) opts.bootstrapDns.serve(req, res, normalizeIp(req.socket.remoteAddress));
        else plain(res, 200, '{}', { 'Content-Type': 'application/json', Connection: 'close' });
        return;
      case '/debug':
        res.writeHead(301, { Location: '/debug/' });
        res.end();
        return;
      case '/debug/':
        if (!allowDebugAccess(req)) {
          plain(res, 403, 'debug access denied\n');
          return;
        }
        res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
        res.end(renderDebugIndex({ facts: opts.debugFacts?.() ?? [], links: DEBUG_LINKS }));
        return;
      case '/robots.txt':
        plain(res, 200, 'User-agent: *\nDisallow: /\n');
        return;
      case '/debug/varz':
        if (!allowDebugAccess(req)) {
          plain(res, 403, 'debug access denied\n');
          return;
        }
        serveVarz(res, opts.varz);
        return;
      default:
        plain(res, 404, '404 page not found\n');
    }
  };

  const reject = (socket: Socket, status: string, body: string): void => {
    socket.end(
      `HTTP/1.1 ${status}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  };

  const onUpgrade = (req: IncomingMessage, socket: Socket, head: Buffer): void => {
    socket.on('error', () => socket.destroy());
    const p = requestPath(req.url);
    if (p === null) {
      reject(socket, '400 Bad Request', '400 Bad Request: malformed request target\n');
      return;
    }
    if (p !== DERP_PATH) {
      reject(socket, '404 Not Found', '404 page not found\n');
      return;
    }
    if (opts.derpEnabled === false) {
      reject(socket, '404 Not Found', DERP_DISABLED);
      return;
    }
    const notIdeal = isNotIdeal(req.headers);
    if (isWebSocketUpgrade(req.headers.upgrade)) {
      if (!offersDerpSubprotocol(req.headers['sec-websocket-protocol'])) {
        reject(socket, '400 Bad Request', 'WebSocket connections to /derp must offer the "derp" subprotocol\n');
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => {
        server.accept(new WebSocketTransport(ws, socket), { notIdeal, onActive: () => opts.onHandshakeDone?.(socket) });
      });
      return;
    }
    if (!isDerpUpgrade(req.headers.upgrade)) {
      reject(socket, '426 Upgrade Required', 'DERP requires connection upgrade\n');
      return;
    }
    // One write for the whole server side of the handshake: the 101, ServerKey and, when ClientInfo came with the
    // request (fast start) and admission is immediate, ServerInfo, all written before the next turn of the loop.
    // Each write is a syscall (on loopback it also runs the peer's TCP input) and over TLS a record.
    socket.cork();
    setImmediate(() => socket.uncork());
    if (req.headers[FAST_START_HEADER] !== '1') socket.write(upgradeResponse(server.publicKey));
    server.accept(new SocketTransport(socket, head), { notIdeal, onActive: () => opts.onHandshakeDone?.(socket) });
  };

  return { onRequest, onUpgrade };
}
