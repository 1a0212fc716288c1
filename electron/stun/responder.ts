/**
 * Binding Success Responses for the server's hot path. Everything after the mapped address (SOFTWARE, the
 * FINGERPRINT header) is laid out once per address family; per answer there is one small allocation, a copy of
 * the template and of the request's transaction id, the address written from dgram's text straight into the
 * answer and XOR-ed there, and one CRC.
 */
import {
  ATTR_FINGERPRINT,
  ATTR_MAPPED_ADDRESS,
  ATTR_SOFTWARE,
  ATTR_XOR_MAPPED_ADDRESS,
  BINDING_SUCCESS,
  FAMILY_IPV4,
  FAMILY_IPV6,
  HEADER_LEN,
  MAGIC_COOKIE,
  fingerprintOf,
} from './message.js';
import { writeIPv4 } from '../util/ip.js';

/** Where the mapped address's attribute starts, and its value's port and address bytes. */
const ADDR_ATTR = HEADER_LEN;
const PORT_AT = ADDR_ATTR + 6;
const IP_AT = ADDR_ATTR + 8;
const COLON = 58;
const MAPPED_PREFIX = '::ffff:';

/** `::ffff:1.2.3.4`, as a dual-stack socket reports an IPv4 source. */
function isMappedIPv4(ip: string): boolean {
  return ip.startsWith(MAPPED_PREFIX) && ip.includes('.', MAPPED_PREFIX.length);
}

/** The family a source answers as: IPv4-mapped IPv6 sources answer as IPv4. */
export function sourceFamily(ip: string): 4 | 6 {
  return !ip.includes(':') || isMappedIPv4(ip) ? 4 : 6;
}

function template(ipLen: number, software: Buffer): Buffer {
  const swPadded = (software.length + 3) & ~3;
  const len = 8 + ipLen + 4 + swPadded + 8;
  const t = Buffer.alloc(HEADER_LEN + len);
  t.writeUInt16BE(BINDING_SUCCESS, 0);
  t.writeUInt16BE(len, 2);
  t.writeUInt16BE(4 + ipLen, ADDR_ATTR + 2);
  t[ADDR_ATTR + 5] = ipLen === 4 ? FAMILY_IPV4 : FAMILY_IPV6;
  let off = IP_AT + ipLen;
  t.writeUInt16BE(ATTR_SOFTWARE, off);
  t.writeUInt16BE(software.length, off + 2);
  software.copy(t, off + 4);
  off += 4 + swPadded;
  t.writeUInt16BE(ATTR_FINGERPRINT, off);
  t.writeUInt16BE(4, off + 2);
  return t;
}

/** Hex digit value, or -1. */
function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** The groups of the IPv6 address being written; one answer is built at a time. */
const groups = new Uint16Array(8);

/**
 * Writes IPv6 text `ip` (with at most one "::", and a %zone ignored) into `b` at IP_AT; false when it is not IPv6
 * text. dgram reports this text for every IPv6 source, so it is parsed in place rather
 * than split into strings.
 */
function writeIPv6(b: Buffer, ip: string): boolean {
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
    b[IP_AT + 2 * g] = v >> 8;
    b[IP_AT + 2 * g + 1] = v & 0xff;
  }
  return true;
}

export class BindingResponder {
  private readonly v4: Buffer;
  private readonly v6: Buffer;

  constructor(software: Buffer) {
    this.v4 = template(4, software);
    this.v6 = template(16, software);
  }

  /**
   * The answer to `req` (a Binding Request whose framing is already checked) from `ip`:`port` as dgram reports
   * them: XOR-MAPPED-ADDRESS for RFC 5389 requests, MAPPED-ADDRESS for classic ones (RFC 3489, no magic cookie),
   * then SOFTWARE and FINGERPRINT. The transaction id is copied from the request, whose bytes 4-19 are also the XOR
   * key (magic cookie + transaction id). Null when `ip` is not an IP address.
   */
  respond(req: Buffer, ip: string, port: number): Buffer | null {
    const v4 = sourceFamily(ip) === 4;
    const t = v4 ? this.v4 : this.v6;
    const b = Buffer.allocUnsafe(t.length);
    t.copy(b);
    for (let i = 4; i < HEADER_LEN; i++) b[i] = req[i];
    const xor = req.readUInt32BE(4) === MAGIC_COOKIE;
    b.writeUInt16BE(xor ? ATTR_XOR_MAPPED_ADDRESS : ATTR_MAPPED_ADDRESS, ADDR_ATTR);
    b.writeUInt16BE(xor ? port ^ (MAGIC_COOKIE >>> 16) : port, PORT_AT);
    const written = v4
      ? writeIPv4(ip, ip.charCodeAt(0) === COLON ? MAPPED_PREFIX.length : 0, b, IP_AT)
      : writeIPv6(b, ip);
    if (!written) return null;
    // XOR-MAPPED-ADDRESS: the address XOR-ed with the magic cookie and transaction id, which start at req[4].
    if (xor) for (let i = 0, n = v4 ? 4 : 16; i < n; i++) b[IP_AT + i] ^= req[4 + i];
    const fp = b.length - 8;
    b.writeUInt32BE(fingerprintOf(b, fp), fp + 4);
    return b;
  }
}
