/**
 * STUN messages (RFC 5389/8489, and RFC 3489's classic form): the Binding Request and Binding Success Response
 * that Tailscale's netcheck and every other STUN client use. Parsing never throws: hostile datagrams get a
 * reason, not an exception.
 */
import { SocketAddress } from 'node:net';
import { crc32 } from 'node:zlib';

export const HEADER_LEN = 20;
export const MAGIC_COOKIE = 0x2112a442;
export const BINDING_REQUEST = 0x0001;
export const BINDING_SUCCESS = 0x0101;

export const ATTR_MAPPED_ADDRESS = 0x0001;
export const ATTR_XOR_MAPPED_ADDRESS = 0x0020;
/** Pre-RFC 5389 drafts used this number; some servers still send it and Tailscale accepts it. */
export const ATTR_XOR_MAPPED_ADDRESS_ALT = 0x8020;
export const ATTR_SOFTWARE = 0x8022;
export const ATTR_FINGERPRINT = 0x8028;
export const FINGERPRINT_XOR = 0x5354554e;

export const FAMILY_IPV4 = 0x01;
export const FAMILY_IPV6 = 0x02;

/** Tailscale's clients send SOFTWARE "tailnode"; derper answers only those. */
export const TAILSCALE_SOFTWARE = 'tailnode';

export interface StunHeader {
  type: number;
  /** Attribute bytes after the header. */
  length: number;
  /** False for RFC 3489 ("classic") messages: no magic cookie, 16-byte transaction id. */
  hasCookie: boolean;
  /** 12 bytes (RFC 5389) or 16 bytes (cookie field included, RFC 3489). */
  txid: Buffer;
}

export interface StunAttribute {
  type: number;
  value: Buffer;
}

export type ParseResult = { ok: true; header: StunHeader; attrs: StunAttribute[] } | { ok: false; reason: string };

/**
 * Checks a datagram's STUN framing (header, lengths, attribute layout, FINGERPRINT when present) without
 * allocating; returns why it is not a STUN message, or null. The server's hot path.
 */
export function framingError(buf: Buffer): string | null {
  if (buf.length < HEADER_LEN) return `too short for a STUN header (${buf.length} bytes)`;
  if (buf[0] & 0xc0) return 'top two bits of the message type are not zero';
  const length = buf.readUInt16BE(2);
  if (length % 4 !== 0) return `message length ${length} is not a multiple of 4`;
  if (HEADER_LEN + length !== buf.length)
    return `message length ${length} does not match the datagram (${buf.length - HEADER_LEN} bytes after the header)`;
  let off = HEADER_LEN;
  while (off < buf.length) {
    if (buf.length - off < 4) return 'truncated attribute header';
    const at = buf.readUInt16BE(off);
    const alen = buf.readUInt16BE(off + 2);
    const end = off + 4 + alen;
    if (end > buf.length) return `attribute 0x${at.toString(16)} overruns the message`;
    if (at === ATTR_FINGERPRINT) {
      if (alen !== 4 || end !== buf.length) return 'FINGERPRINT is not the last 4-byte attribute';
      if (buf.readUInt32BE(off + 4) !== fingerprintOf(buf, off)) return 'FINGERPRINT does not match';
    }
    off = end + ((4 - (alen % 4)) % 4);
  }
  return off === buf.length ? null : 'attribute padding overruns the message';
}

export function hasMagicCookie(buf: Buffer): boolean {
  return buf.readUInt32BE(4) === MAGIC_COOKIE;
}

/** Parses and checks a datagram's STUN framing; validates FINGERPRINT when present. */
export function parseMessage(buf: Buffer): ParseResult {
  const err = framingError(buf);
  if (err) return { ok: false, reason: err };
  const hasCookie = hasMagicCookie(buf);
  const header: StunHeader = {
    type: buf.readUInt16BE(0),
    length: buf.length - HEADER_LEN,
    hasCookie,
    txid: Buffer.from(buf.subarray(hasCookie ? 8 : 4, HEADER_LEN)),
  };
  const attrs: StunAttribute[] = [];
  for (let off = HEADER_LEN; off < buf.length;) {
    const alen = buf.readUInt16BE(off + 2);
    attrs.push({ type: buf.readUInt16BE(off), value: buf.subarray(off + 4, off + 4 + alen) });
    off += 4 + alen + ((4 - (alen % 4)) % 4);
  }
  return { ok: true, header, attrs };
}

/** CRC-32 (IEEE, as zlib) lookup table. */
const CRC_TABLE = (() => {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
})();

/**
 * Up to this many bytes a table loop is cheaper than zlib's crc32, whose call, argument checks and the subarray it
 * needs cost more than the CRC of a STUN message (40-64 bytes for Tailscale's requests and our answers).
 */
const TABLE_CRC_MAX = 256;

/** CRC-32 of the message up to (not including) the FINGERPRINT attribute at `fpOffset`, XOR 0x5354554E. */
export function fingerprintOf(buf: Buffer, fpOffset: number): number {
  if (fpOffset > TABLE_CRC_MAX) return (crc32(buf.subarray(0, fpOffset)) ^ FINGERPRINT_XOR) >>> 0;
  let c = -1;
  for (let i = 0; i < fpOffset; i++) c = CRC_TABLE[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
  return (~c ^ FINGERPRINT_XOR) >>> 0;
}

/** `n` rounded up to the 4-byte boundary STUN attributes are padded to. */
export function padded(n: number): number {
  return (n + 3) & ~3;
}

/** Tailscale's request form: Binding Request, SOFTWARE "tailnode", FINGERPRINT. */
export function encodeBindingRequest(txid: Buffer, software = TAILSCALE_SOFTWARE): Buffer {
  if (txid.length !== 12) throw new Error('a STUN transaction id is 12 bytes');
  const sw = Buffer.from(software, 'utf8');
  const len = 4 + padded(sw.length) + 8;
  const b = Buffer.alloc(HEADER_LEN + len);
  b.writeUInt16BE(BINDING_REQUEST, 0);
  b.writeUInt16BE(len, 2);
  b.writeUInt32BE(MAGIC_COOKIE, 4);
  txid.copy(b, 8);
  let off = HEADER_LEN;
  b.writeUInt16BE(ATTR_SOFTWARE, off);
  b.writeUInt16BE(sw.length, off + 2);
  sw.copy(b, off + 4);
  off += 4 + padded(sw.length);
  b.writeUInt16BE(ATTR_FINGERPRINT, off);
  b.writeUInt16BE(4, off + 2);
  b.writeUInt32BE(fingerprintOf(b, off), off + 4);
  return b;
}

export interface MappedAddress {
  family: 4 | 6;
  /** 4 or 16 bytes. */
  ip: Buffer;
  port: number;
}

/** The XOR key for addresses: the magic cookie followed by the 12-byte transaction id. */
function xorKey(txid: Buffer): Buffer {
  const k = Buffer.alloc(16);
  k.writeUInt32BE(MAGIC_COOKIE, 0);
  txid.copy(k, 4, 0, 12);
  return k;
}

function readAddress(v: Buffer, xor: Buffer | null): MappedAddress | null {
  if (v.length < 4) return null;
  const fam = v[1];
  const ipLen = fam === FAMILY_IPV4 ? 4 : fam === FAMILY_IPV6 ? 16 : 0;
  if (ipLen === 0 || v.length < 4 + ipLen) return null;
  const ip = Buffer.alloc(ipLen);
  for (let i = 0; i < ipLen; i++) ip[i] = xor ? v[4 + i] ^ xor[i] : v[4 + i];
  const port = xor ? v.readUInt16BE(2) ^ (MAGIC_COOKIE >>> 16) : v.readUInt16BE(2);
  return { family: ipLen === 4 ? 4 : 6, ip, port };
}

/** The mapped address of a Binding Success Response whose transaction id is `txid`, or a reason. */
export function parseBindingResponse(
  buf: Buffer,
  txid: Buffer,
): { ok: true; addr: MappedAddress } | { ok: false; reason: string } {
  const m = parseMessage(buf);
  if (!m.ok) return m;
  if (m.header.type !== BINDING_SUCCESS)
    return { ok: false, reason: `not a Binding Success Response (type 0x${m.header.type.toString(16)})` };
  if (!m.header.hasCookie || !m.header.txid.equals(txid)) return { ok: false, reason: 'transaction id does not match' };
  let fallback: MappedAddress | null = null;
  for (const a of m.attrs) {
    if (a.type === ATTR_XOR_MAPPED_ADDRESS || a.type === ATTR_XOR_MAPPED_ADDRESS_ALT) {
      const addr = readAddress(a.value, xorKey(txid));
      if (addr) return { ok: true, addr };
    } else if (a.type === ATTR_MAPPED_ADDRESS) {
      fallback = readAddress(a.value, null) ?? fallback;
    }
  }
  return fallback ? { ok: true, addr: fallback } : { ok: false, reason: 'no mapped address in the response' };
}

export function ipToString(addr: MappedAddress): string {
  if (addr.family === 4) return [...addr.ip].join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(addr.ip.readUInt16BE(i).toString(16));
  // SocketAddress normalises to the canonical RFC 5952 text form.
  return new SocketAddress({ address: groups.join(':'), family: 'ipv6' }).address;
}
