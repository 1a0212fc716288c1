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
  padded,
} from './message.js';
import { MAPPED_IPV4_PREFIX, isMappedIPv4, writeIPv4, writeIPv6 } from '../util/ip.js';

/** Where the mapped address's attribute starts, and its value's port and address bytes. */
const ADDR_ATTR = HEADER_LEN;
const PORT_AT = ADDR_ATTR + 6;
const IP_AT = ADDR_ATTR + 8;
const COLON = 58;

/** The family a source answers as: IPv4-mapped IPv6 sources answer as IPv4. */
export function sourceFamily(ip: string): 4 | 6 {
  return !ip.includes(':') || isMappedIPv4(ip) ? 4 : 6;
}

function template(ipLen: number, software: Buffer): Buffer {
  const swPadded = padded(software.length);
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
      ? writeIPv4(ip, ip.charCodeAt(0) === COLON ? MAPPED_IPV4_PREFIX.length : 0, b, IP_AT)
      : writeIPv6(ip, b, IP_AT);
    if (!written) return null;
    // XOR-MAPPED-ADDRESS: the address XOR-ed with the magic cookie and transaction id, which start at req[4].
    if (xor) for (let i = 0, n = v4 ? 4 : 16; i < n; i++) b[IP_AT + i] ^= req[4 + i];
    const fp = b.length - 8;
    b.writeUInt32BE(fingerprintOf(b, fp), fp + 4);
    return b;
  }
}
