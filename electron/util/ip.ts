/** IP address text to bytes, strictly and without DNS: the relay's PeerPresent frames and STUN replies need bytes. */

const DOT = 46;
const COLON = 58;

/** Dotted quad to 4 bytes without splitting strings (it runs once per STUN request). */
export function parseIPv4(s: string): Buffer | null {
  const out = Buffer.allocUnsafe(4);
  return writeIPv4(s, 0, out, 0) ? out : null;
}

/** Writes the dotted quad in `s` (from `start`) as 4 bytes at `out[at]`; false (bytes undefined) when it is not one. */
export function writeIPv4(s: string, start: number, out: Uint8Array, at: number): boolean {
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = start; i <= s.length; i++) {
    const c = i < s.length ? s.charCodeAt(i) : DOT;
    if (c === DOT) {
      if (digits === 0 || value > 255 || part > 3) return false;
      out[at + part++] = value;
      value = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57 && digits < 3) {
      value = value * 10 + (c - 48);
      digits++;
    } else {
      return false;
    }
  }
  return part === 4;
}

/** Hex digit value, or -1. */
function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** The groups of the IPv6 address being written; one is written at a time. */
const groups = new Uint16Array(8);

/** IPv6 text (with "::" and an optional zone) to 16 bytes. */
export function parseIPv6(s: string): Buffer | null {
  const out = Buffer.allocUnsafe(16);
  return writeIPv6(s, out, 0) ? out : null;
}

/**
 * Writes IPv6 text `ip` (with at most one "::", and a %zone ignored) as 16 bytes at `out[at]`; false (bytes
 * undefined) when it is not IPv6 text. It runs once per STUN answer to an IPv6 source, so it parses in place rather
 * than splitting strings.
 */
export function writeIPv6(ip: string, out: Uint8Array, at: number): boolean {
  const zone = ip.indexOf('%');
  const end = zone < 0 ? ip.length : zone;
  let count = 0;
  let gap = -1;
  let i = 0;
  if (ip.charCodeAt(0) === COLON) {
    if (ip.charCodeAt(1) !== COLON) return false;
    gap = 0;
    i = 2;
  }
  while (i < end) {
    let value = 0;
    let digits = 0;
    for (let h = hexValue(ip.charCodeAt(i)); h >= 0 && i < end; h = hexValue(ip.charCodeAt(++i))) {
      value = value * 16 + h;
      if (++digits > 4) return false;
    }
    if (digits === 0 || count === 8) return false;
    groups[count++] = value;
    if (i === end) break;
    if (ip.charCodeAt(i++) !== COLON || i === end) return false;
    if (ip.charCodeAt(i) === COLON) {
      if (gap >= 0) return false;
      gap = count;
      i++;
    }
  }
  if (gap < 0 ? count !== 8 : count > 7) return false;
  const zeros = gap < 0 ? 0 : 8 - count;
  for (let g = 0; g < 8; g++) {
    const v = gap < 0 || g < gap ? groups[g] : g < gap + zeros ? 0 : groups[g - zeros];
    out[at + 2 * g] = v >> 8;
    out[at + 2 * g + 1] = v & 0xff;
  }
  return true;
}

export const MAPPED_IPV4_PREFIX = '::ffff:';

/** `::ffff:1.2.3.4`, as a dual-stack socket reports an IPv4 source. */
export function isMappedIPv4(ip: string): boolean {
  return ip.startsWith(MAPPED_IPV4_PREFIX) && ip.includes('.', MAPPED_IPV4_PREFIX.length);
}

/** `::ffff:1.2.3.4` from a dual-stack socket is the IPv4 address 1.2.3.4. */
export function unmapIPv4(ip: string): string {
  return isMappedIPv4(ip) ? ip.slice(MAPPED_IPV4_PREFIX.length) : ip;
}
