/** IP address text to bytes, strictly and without DNS: the relay's PeerPresent frames and STUN replies need bytes. */

const DOT = 46;

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

/** IPv6 text (with "::" and an optional zone) to 16 bytes. */
export function parseIPv6(s: string): Buffer | null {
  const ip = s.split('%')[0];
  const halves = ip.split('::');
  if (halves.length > 2) return null;
  const h = halves[0] ? halves[0].split(':') : [];
  const t = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const groups =
    halves.length === 2 ? [...h, ...Array<string>(Math.max(0, 8 - h.length - t.length)).fill('0'), ...t] : h;
  if (groups.length !== 8 || !groups.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return null;
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

/** `::ffff:1.2.3.4` from a dual-stack socket is the IPv4 address 1.2.3.4. */
export function unmapIPv4(ip: string): string {
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}
