/**
 * What every request must pass before `derpdesk host` looks at it, the access token aside:
 *
 * - an origin-form target (`/path?query`) whose path decodes; anything else is 400, never an exception.
 * - a `Host` naming this host (DNS rebinding): `--host-name` names, the IP literal the connection arrived on, and
 *   for connections on the loopback interface `localhost` and any loopback IP. Ports are not compared: a browser
 *   always sends the name from its address bar, so a page on an attacker's name carries that name whatever the
 *   port, and an SSH tunnel from another local port (`-L 9000:127.0.0.1:7080`) keeps working. Else 421.
 * - an `Origin`, when present, equal to the page's own origin (`scheme://` + the Host header): another site's
 *   page cannot open the bridge or embed the GUI (cross-site WebSocket hijacking). Else 403. Browsers always send
 *   Origin on a WebSocket upgrade, so a missing one means a non-browser client, which no web page can drive; it
 *   is let through because the bridge still demands the token before it answers anything.
 */
import type http from 'node:http';
import { BlockList, isIP } from 'node:net';
import { isLoopbackIp } from './loopback.js';

export interface GuardOptions {
  tls: boolean;
  /** Names the operator serves this host under (`--host-name`), lower case, without port. */
  hostNames: readonly string[];
}

export type Verdict = { ok: true; path: string } | { ok: false; status: 400 | 403 | 421; reason: string };

/** The decoded path of an origin-form request target, or null when it is of another form or does not decode. */
export function parseRequestPath(target: string | undefined): string | null {
  if (!target?.startsWith('/')) return null;
  const raw = target.split(/[?#]/, 1)[0];
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    return null;
  }
  return decoded.includes('\0') ? null : decoded;
}

/** A DNS name as a Host header or `--host-name` may carry it (letters, digits, dots, hyphens), any case. */
export function isDnsName(name: string): boolean {
  return /^[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?$/i.test(name);
}

/** The name in a Host header (`name`, `name:port`, `[v6]:port`), lower case and unbracketed; null if malformed. */
export function hostHeaderName(value: string | undefined): string | null {
  if (!value) return null;
  const v = value.trim().toLowerCase();
  let name: string;
  let rest: string;
  if (v.startsWith('[')) {
    const close = v.indexOf(']');
    if (close < 0) return null;
    name = v.slice(1, close);
    rest = v.slice(close + 1);
    if (isIP(name) !== 6) return null;
  } else {
    const colon = v.indexOf(':');
    name = colon < 0 ? v : v.slice(0, colon);
    rest = colon < 0 ? '' : v.slice(colon);
    if (!isDnsName(name)) return null;
  }
  if (rest !== '' && !(/^:\d{1,5}$/.test(rest) && Number(rest.slice(1)) <= 65535)) return null;
  return name;
}

function unmapped(address: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return m ? m[1] : address;
}

function sameIp(a: string, b: string): boolean {
  const fa = isIP(a);
  const fb = isIP(b);
  if (!fa || !fb) return false;
  const one = new BlockList();
  one.addAddress(a, fa === 4 ? 'ipv4' : 'ipv6');
  return one.check(b, fb === 4 ? 'ipv4' : 'ipv6');
}

/** Whether this host answers to `name` on a connection that arrived at `localAddress`. */
export function servesName(name: string, localAddress: string | undefined, hostNames: readonly string[]): boolean {
  if (hostNames.includes(name)) return true;
  if (!localAddress) return false;
  const local = unmapped(localAddress);
  const onLoopback = isLoopbackIp(local);
  if (isIP(name)) return sameIp(unmapped(name), local) || (onLoopback && isLoopbackIp(name));
  return onLoopback && name === 'localhost';
}

export function checkRequest(req: http.IncomingMessage, opts: GuardOptions): Verdict {
  const path = parseRequestPath(req.url);
  if (path === null)
    return { ok: false, status: 400, reason: 'malformed request target: expected /path with valid %-escapes' };
  const host = req.headers.host;
  const name = hostHeaderName(host);
  if (name === null) return { ok: false, status: 400, reason: 'missing or malformed Host header' };
  if (!servesName(name, req.socket.localAddress, opts.hostNames)) {
    return {
      ok: false,
      status: 421,
      reason: `this derpdesk host does not serve "${name}"; start it with --host-name ${name} if that name is yours`,
    };
  }
  const origin = req.headers.origin;
  if (
    origin !== undefined &&
    origin.toLowerCase() !== `${opts.tls ? 'https' : 'http'}://${host!.trim().toLowerCase()}`
  ) {
    return { ok: false, status: 403, reason: 'cross-origin request refused' };
  }
  return { ok: true, path };
}
