/**
 * Reads the ALPN protocols a TLS ClientHello offers, from the first bytes of a connection. Node's SNICallback sees
 * only the server name, but a TLS-ALPN-01 validator and a DERP client ask for the same name: the offered ALPN
 * ("acme-tls/1") is what tells them apart, so it has to be read before the TLS server takes the socket.
 */

const RECORD_HANDSHAKE = 0x16;
const HANDSHAKE_CLIENT_HELLO = 0x01;
const EXT_ALPN = 0x0010;
/** A ClientHello is at most a few KiB; one that claims more is not worth buffering for this. */
const MAX_HELLO = 16 * 1024;

/** `need-more`: the bytes so far are a prefix of a ClientHello; read more and ask again. */
export type HelloAlpn = { alpn: string[] } | 'need-more' | 'not-a-hello';

/** Joins the payloads of the handshake records in `buf` (a ClientHello may span several records). */
function handshakeBytes(buf: Buffer): { bytes: Buffer; complete: boolean } | null {
  const parts: Buffer[] = [];
  let at = 0;
  while (at + 5 <= buf.length) {
    if (buf[at] !== RECORD_HANDSHAKE) return null;
    const len = buf.readUInt16BE(at + 3);
    if (at + 5 + len > buf.length) break;
    parts.push(buf.subarray(at + 5, at + 5 + len));
    at += 5 + len;
  }
  if (buf.length > 0 && buf[0] !== RECORD_HANDSHAKE) return null;
  const bytes = Buffer.concat(parts);
  const complete = bytes.length >= 4 && bytes.length >= 4 + bytes.readUIntBE(1, 3);
  return { bytes, complete };
}

export function readHelloAlpn(buf: Buffer): HelloAlpn {
  const hs = handshakeBytes(buf);
  if (!hs) return 'not-a-hello';
  if (hs.bytes.length > 0 && hs.bytes[0] !== HANDSHAKE_CLIENT_HELLO) return 'not-a-hello';
  if (!hs.complete) return buf.length > MAX_HELLO ? 'not-a-hello' : 'need-more';
  const body = hs.bytes.subarray(4, 4 + hs.bytes.readUIntBE(1, 3));
  try {
    return { alpn: alpnOf(body) };
  } catch {
    return 'not-a-hello';
  }
}

/** Walks version, random, session id, cipher suites and compression methods to the extensions; throws if short. */
function alpnOf(hello: Buffer): string[] {
  let at = 2 + 32;
  at += 1 + byteAt(hello, at);
  at += 2 + hello.readUInt16BE(at);
  at += 1 + byteAt(hello, at);
  if (at === hello.length) return [];
  const end = at + 2 + hello.readUInt16BE(at);
  at += 2;
  while (at + 4 <= end) {
    const type = hello.readUInt16BE(at);
    const len = hello.readUInt16BE(at + 2);
    const data = hello.subarray(at + 4, at + 4 + len);
    if (type === EXT_ALPN) return protocolList(data);
    at += 4 + len;
  }
  return [];
}

function protocolList(data: Buffer): string[] {
  const out: string[] = [];
  const end = Math.min(data.length, 2 + data.readUInt16BE(0));
  for (let at = 2; at < end;) {
    const len = byteAt(data, at);
    out.push(data.subarray(at + 1, at + 1 + len).toString('latin1'));
    at += 1 + len;
  }
  return out;
}

function byteAt(b: Buffer, at: number): number {
  if (at >= b.length) throw new RangeError('short ClientHello');
  return b[at];
}
