/**
 * Every answer `derpdesk host` gives, page or refusal, carries the same security headers: the GUI must not be
 * framed, sniffed, cached on shared machines or embedded by other sites, and the token must never leak in a
 * Referer.
 */
import type http from 'node:http';
import type { Duplex } from 'node:stream';

/** The page may load its own scripts and styles and open a WebSocket to its own host; nothing else. */
export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/**
 * One year, no includeSubDomains: HSTS pins this name (browsers ignore it for IP addresses and for connections
 * with certificate errors) and must not reach sibling services on other subdomains.
 */
export const STRICT_TRANSPORT_SECURITY = 'max-age=31536000';

export function securityHeaders(tls: boolean): Record<string, string> {
  return {
    'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-store',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    ...(tls ? { 'Strict-Transport-Security': STRICT_TRANSPORT_SECURITY } : {}),
  };
}

export function refuse(res: http.ServerResponse, tls: boolean, status: number, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res
    .writeHead(status, { ...securityHeaders(tls), 'Content-Type': 'text/plain; charset=utf-8', Connection: 'close' })
    .end(`${message}\n`);
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  421: 'Misdirected Request',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** The same refusal written straight to a socket: an upgrade request or one the HTTP parser gave up on. */
export function refuseOnSocket(socket: Duplex, tls: boolean, status: number, message: string): void {
  const body = `${message}\n`;
  const headers = {
    ...securityHeaders(tls),
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(body)),
    Connection: 'close',
  };
  const head = [
    `HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}`,
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
  ].join('\r\n');
  socket.end(`${head}\r\n\r\n${body}`);
}
