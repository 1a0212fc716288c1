/**
 * `derpdesk host`: the app's services without a display. Serves the built renderer and the API contract over a
 * WebSocket at /api, so a relay on a server can be run from a browser. Plain HTTP on loopback (a secure context
 * already); HTTPS when given a certificate, which the CLI always does for remote listening.
 *
 * Every request passes the request guard (target, Host, Origin) first; the bridge then wants the access token
 * in the first WebSocket message. Handlers never throw into the HTTP server: a bad request is a 4xx, not a crash.
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { AppServices } from '../app/services.js';
import { formatHostPort } from '../util/hostport.js';
import { createBridge } from './bridge.js';
import { isLoopbackAddress } from './loopback.js';
import { checkRequest, type GuardOptions } from './request-guard.js';
import { refuse, refuseOnSocket } from './responses.js';
import { serveStatic } from './static-files.js';
import { newToken } from './token-file.js';

export { CONTENT_SECURITY_POLICY } from './responses.js';

export interface HostOptions {
  services: AppServices;
  /** Directory with the built renderer (index.html and assets). */
  staticDir: string;
  host: string;
  port: number;
  /** The access token (--token-file, tests); a new random one otherwise. */
  token?: string;
  /** Further names the host answers to (its DNS names for remote use), lower case. */
  hostNames?: string[];
  /** PEM certificate and key: serve HTTPS instead of HTTP. */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** How long a new WebSocket may take to send the token (tests shorten it). */
  authDeadlineMs?: number;
}

export interface RunningHost {
  url: string;
  token: string;
  port: number;
  close(): Promise<void>;
}

/** Bounds for a slow or silent client holding a connection open before its request is complete. */
const HEADERS_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 30_000;
/** How often Node checks those bounds (its default of 30 s would let a stalled request live three times longer). */
const TIMEOUT_CHECK_INTERVAL_MS = 1_000;

export async function startHost(opts: HostOptions): Promise<RunningHost> {
  const token = opts.token ?? newToken();
  const tls = opts.tls !== undefined;
  const hostNames = (opts.hostNames ?? []).map((n) => n.toLowerCase());
  const guard: GuardOptions = { tls, hostNames };
  const bridge = createBridge({ services: opts.services, token, tls, authDeadlineMs: opts.authDeadlineMs });

  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
    try {
      const v = checkRequest(req, guard);
      if (!v.ok) return refuse(res, tls, v.status, v.reason);
      serveStatic(opts.staticDir, v.path, req, res, tls).catch(() =>
        refuse(res, tls, 500, 'internal error while serving a file'),
      );
    } catch {
      refuse(res, tls, 500, 'internal error');
    }
  };

  const onUpgrade = (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    // The HTTP server stops watching an upgrading socket's errors; a reset here must not become an exception.
    socket.on('error', () => socket.destroy());
    try {
      const v = checkRequest(req, guard);
      if (!v.ok) return refuseOnSocket(socket, tls, v.status, v.reason);
      if (v.path !== '/api') return refuseOnSocket(socket, tls, 404, 'the only WebSocket here is /api');
      bridge.accept(req, socket, head);
    } catch {
      socket.destroy();
    }
  };

  // The request guard refuses a missing Host itself, with the security headers Node's own refusal lacks.
  const serverOptions = {
    headersTimeout: HEADERS_TIMEOUT_MS,
    requestTimeout: REQUEST_TIMEOUT_MS,
    connectionsCheckingInterval: TIMEOUT_CHECK_INTERVAL_MS,
    requireHostHeader: false,
  };
  const server = opts.tls
    ? https.createServer({ ...serverOptions, cert: opts.tls.cert, key: opts.tls.key, minVersion: 'TLSv1.2' }, onRequest)
    : http.createServer(serverOptions, onRequest);
  server.on('upgrade', onUpgrade);
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (err.code === 'ECONNRESET' || !socket.writable) return socket.destroy();
    if (err.code === 'HPE_HEADER_OVERFLOW') return refuseOnSocket(socket, tls, 431, 'request headers too large');
    if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT')
      return refuseOnSocket(socket, tls, 408, 'request not complete in time');
    refuseOnSocket(socket, tls, 400, 'malformed HTTP request');
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new Error(
          err.code === 'EADDRINUSE'
            ? `address ${formatHostPort(opts.host, opts.port)} is already in use`
            : `cannot listen on ${formatHostPort(opts.host, opts.port)}: ${err.message}`,
          { cause: err },
        ),
      ),
    );
    server.listen(opts.port, opts.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `${tls ? 'https' : 'http'}://${shownHost(opts.host, hostNames)}:${port}/#token=${token}`,
    token,
    port,
    close: async () => {
      bridge.close();
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
      await closed;
    },
  };
}

/**
 * The name to print in the URL: a loopback listen address as is; for remote listening the operator's first
 * name (the one the certificate is for), else the listen address (loopback for a wildcard).
 */
function shownHost(listen: string, hostNames: string[]): string {
  const wildcard = listen === '0.0.0.0' || listen === '::' || listen === '';
  const name = isLoopbackAddress(listen) ? listen : (hostNames[0] ?? (wildcard ? '127.0.0.1' : listen));
  return name.includes(':') ? `[${name}]` : name;
}
