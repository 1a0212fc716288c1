/**
 * The HTTP step before the first DERP frame, shared by the relay (electron/relay/http.ts) and the client
 * (electron/derp/dial.ts). Three ways in, all on `GET /derp`:
 *
 *   - `Upgrade: DERP` + `Connection: Upgrade`: the server answers `101 Switching Protocols` with Derp-Version and
 *     Derp-Public-Key, then the socket carries DERP frames.
 *   - The same plus `Derp-Fast-Start: 1`: the server writes no HTTP reply at all and sends ServerKey at once.
 *   - `Upgrade: websocket` offering the `derp` subprotocol: each binary message carries DERP bytes (a frame may
 *     span messages, and a message may hold several frames).
 *
 * `Ideal-Node: <name>` (any non-empty value) says this server is not the client's ideal node in its region.
 * Node lower-cases incoming header names, so the *_HEADER names below are lower case; the text we send uses the
 * conventional spelling.
 */
import { PROTOCOL_VERSION } from './frames.js';

export const DERP_PATH = '/derp';
/** The Upgrade token for a DERP connection (compared case-insensitively). */
export const UPGRADE_DERP = 'DERP';
export const UPGRADE_WEBSOCKET = 'websocket';
/** The WebSocket subprotocol a DERP client offers and the server selects. */
export const WEBSOCKET_SUBPROTOCOL = 'derp';

export const FAST_START_HEADER = 'derp-fast-start';
export const IDEAL_NODE_HEADER = 'ideal-node';
export const VERSION_HEADER = 'derp-version';
export const PUBLIC_KEY_HEADER = 'derp-public-key';

/** The request line and headers a client sends to upgrade a TCP or TLS connection. */
export function upgradeRequest(opts: { path: string; host: string; fastStart?: boolean; idealNode?: string }): string {
  const lines = [
    `GET ${opts.path || DERP_PATH} HTTP/1.1`,
    `Host: ${opts.host}`,
    `Upgrade: ${UPGRADE_DERP}`,
    'Connection: Upgrade',
    ...(opts.fastStart ? ['Derp-Fast-Start: 1'] : []),
    ...(opts.idealNode ? [`Ideal-Node: ${opts.idealNode}`] : []),
  ];
  return lines.join('\r\n') + '\r\n\r\n';
}

/** The server's 101 reply to a DERP upgrade without fast start. */
export function upgradeResponse(serverPublicKey: Buffer): string {
  return (
    'HTTP/1.1 101 Switching Protocols\r\n' +
    `Upgrade: ${UPGRADE_DERP}\r\n` +
    'Connection: Upgrade\r\n' +
    `Derp-Version: ${PROTOCOL_VERSION}\r\n` +
    `Derp-Public-Key: ${serverPublicKey.toString('hex')}\r\n\r\n`
  );
}

/** Whether a request's Upgrade header asks for DERP. */
export function isDerpUpgrade(upgrade: string | undefined): boolean {
  return (upgrade ?? '').toLowerCase() === UPGRADE_DERP.toLowerCase();
}

export function isWebSocketUpgrade(upgrade: string | undefined): boolean {
  return (upgrade ?? '').toLowerCase() === UPGRADE_WEBSOCKET;
}

/** Whether a Sec-WebSocket-Protocol header value (comma-separated) offers `derp`. */
export function offersDerpSubprotocol(header: string | string[] | undefined): boolean {
  return String(header ?? '')
    .split(',')
    .map((s) => s.trim())
    .includes(WEBSOCKET_SUBPROTOCOL);
}

/** Whether the request carries a non-empty Ideal-Node header. */
export function isNotIdeal(headers: Record<string, string | string[] | undefined>): boolean {
  const v = headers[IDEAL_NODE_HEADER];
  return typeof v === 'string' && v !== '';
}

export type UpgradeReply = { ok: true; serverKeyHex: string | null } | { ok: false; statusLine: string };

/** Reads the head of the server's reply (up to, not including, the blank line): 101 is success. */
export function parseUpgradeReply(head: string): UpgradeReply {
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(head);
  if (!status || status[1] !== '101') return { ok: false, statusLine: head.split('\r\n')[0] || 'no HTTP status line' };
  const keyHeader = /\r\nDerp-Public-Key:\s*([0-9a-fA-F]{64})/i.exec(head);
  return { ok: true, serverKeyHex: keyHeader ? keyHeader[1].toLowerCase() : null };
}
