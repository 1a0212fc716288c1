/**
 * `derpdesk host`: the app's services without a display. Serves the built renderer over HTTP and the API
 * contract over a WebSocket at /api, both behind a random access token, so a relay on a server can be run from
 * a browser. Binds loopback unless told otherwise.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { promises as fs } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { EVENT_NAMES, type BridgeMessage, type BridgeRequest, type EventName } from '../../shared/api.js';
import { dispatch } from '../app/dispatch.js';
import type { AppServices } from '../app/services.js';
import { formatHostPort } from '../util/hostport.js';

/** The page may load its own scripts and styles and open a WebSocket to its own host; nothing else. */
export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.map': 'application/json',
};

export interface HostOptions {
  services: AppServices;
  /** Directory with the built renderer (index.html and assets). */
  staticDir: string;
  host: string;
  port: number;
  /** Fixed token (tests); random otherwise. */
  token?: string;
}

export interface RunningHost {
  url: string;
  token: string;
  port: number;
  close(): Promise<void>;
}

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

function tokenMatches(given: string | null, token: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

async function serveStatic(staticDir: string, urlPath: string, res: http.ServerResponse): Promise<void> {
  const rel = decodeURIComponent(urlPath === '/' ? '/index.html' : urlPath);
  const file = path.resolve(staticDir, '.' + rel);
  const headers = {
    'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-store',
  };
  if (!file.startsWith(path.resolve(staticDir) + path.sep)) {
    res.writeHead(404, headers).end('not found\n');
    return;
  }
  try {
    const body = await fs.readFile(file);
    res.writeHead(200, { ...headers, 'Content-Type': MIME[path.extname(file)] ?? 'application/octet-stream' });
    res.end(body);
  } catch {
    if (rel === '/index.html') {
      res.writeHead(500, headers).end('the renderer is not built: run `npm run build` first\n');
      return;
    }
    res.writeHead(404, headers).end('not found\n');
  }
}

export async function startHost(opts: HostOptions): Promise<RunningHost> {
  const token = opts.token ?? randomBytes(24).toString('base64url');
  const { services } = opts;
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1 << 20, perMessageDeflate: false });
  const clients = new Set<WebSocket>();

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://host');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405).end();
      return;
    }
    void serveStatic(opts.staticDir, url.pathname, res);
  });
  server.on('clientError', (_e, socket) => socket.destroy());

  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://host');
    if (url.pathname !== '/api' || !tokenMatches(url.searchParams.get('token'), token)) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nmissing or wrong access token\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      clients.add(ws);
      ws.on('close', () => clients.delete(ws));
      ws.on('error', () => ws.terminate());
      ws.on('message', (data, isBinary) => {
        if (isBinary) return ws.close(1003, 'JSON text messages only');
        let req: BridgeRequest;
        try {
          req = JSON.parse(data.toString()) as BridgeRequest;
        } catch {
          return ws.close(1007, 'not JSON');
        }
        const id = typeof req?.id === 'number' ? req.id : -1;
        dispatch(services.handlers, req?.call, req?.args).then(
          (result) => send(ws, { id, ok: true, result }),
          (err: Error) => send(ws, { id, ok: false, error: err.message }),
        );
      });
    });
  });

  const forwarders = EVENT_NAMES.map((event) => {
    const f = (payload: unknown) => {
      const msg = JSON.stringify({ event, payload } satisfies BridgeMessage);
      for (const ws of clients) if (ws.bufferedAmount < 1 << 20) ws.send(msg);
    };
    services.events.on(event as EventName, f);
    return () => services.events.off(event as EventName, f);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new Error(err.code === 'EADDRINUSE' ? `address ${formatHostPort(opts.host, opts.port)} is already in use` : `cannot listen on ${formatHostPort(opts.host, opts.port)}: ${err.message}`)),
    );
    server.listen(opts.port, opts.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = opts.host.includes(':') ? `[${opts.host}]` : opts.host === '0.0.0.0' || opts.host === '::' ? '127.0.0.1' : opts.host;
  return {
    url: `http://${shownHost}:${port}/#token=${token}`,
    token,
    port,
    close: async () => {
      for (const f of forwarders) f();
      for (const ws of clients) ws.terminate();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

function send(ws: WebSocket, msg: BridgeMessage): void {
  if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(msg));
}
