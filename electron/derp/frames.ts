/**
 * DERP v2 framing: every frame is a 1-byte type, a 4-byte big-endian payload length, then the payload.
 * Names follow Tailscale's derp package so the two can be read side by side. Encoders and decoders for each
 * frame sit together below; the HTTP upgrade that precedes the first frame is in upgrade.ts.
 *
 * Protocol flow, once the connection is upgraded (HTTP 101, fast start, or a WebSocket carrying the bytes):
 *
 *   1. server -> client  ServerKey   magic "DERP🔑" and the server's public key. A client that finds no magic
 *                                    is not talking to a DERP server.
 *   2. client -> server  ClientInfo  the client's public key, a nonce, and a NaCl box (client private key to
 *                                    server public key) of JSON {version, meshKey, CanAckPings, IsProber}.
 *                                    The server allows 10 s and 256 KiB for it, and may then ask an admission
 *                                    check (mesh peers, proven by the mesh key, are never asked).
 *   3. server -> client  ServerInfo  a nonce and a box (server private key to client public key) of JSON
 *                                    {version}. The client is now registered under its key.
 *   4. Steady state, both ways at once:
 *        client -> server  SendPacket, NotePreferred, Ping, Pong; mesh peers also WatchConns, ClosePeer and
 *                          ForwardPacket.
 *        server -> client  RecvPacket, KeepAlive (about every 60 s), PeerGone, Ping, Pong, Health,
 *                          Restarting; mesh watchers also PeerPresent.
 *      Either side skips frame types it does not know.
 *
 * A client that sent to a key hears PeerGone(disconnected) when that key leaves; a disco packet to a key that
 * is not connected anywhere earns a rate-limited PeerGone(not here).
 */

export const PROTOCOL_VERSION = 2;

/** "DERP🔑": the 8 magic bytes that open the ServerKey frame. */
export const MAGIC = Buffer.from([0x44, 0x45, 0x52, 0x50, 0xf0, 0x9f, 0x94, 0x91]);

export const KEY_LEN = 32;
export const NONCE_LEN = 24;
export const FRAME_HEADER_LEN = 5;
/** Largest packet a client may send or receive; anything larger is a fatal protocol error. */
export const MAX_PACKET_SIZE = 64 << 10;
/** Clients (Tailscale's included) refuse frames larger than this. */
export const MAX_FRAME_SIZE = 1 << 20;
/** The server refuses a ClientInfo larger than this before it has authenticated anyone. */
export const MAX_CLIENT_INFO_LEN = 256 << 10;
/** Ping payloads are 8 bytes; derper tolerates a little more for future use and rejects more than this. */
export const MAX_PING_LEN = 1000;
export const PING_LEN = 8;
export const KEEP_ALIVE_MS = 60_000;

/** Frame types, each with its payload layout (sizes in bytes; integers are big-endian). */
export const FrameType = {
  /** magic "DERP🔑" (8) | server public key (32). First frame from the server. */
  ServerKey: 0x01,
  /** client public key (32) | nonce (24) | box of the ClientInfo JSON. At most MAX_CLIENT_INFO_LEN. */
  ClientInfo: 0x02,
  /** nonce (24) | box of the ServerInfo JSON. */
  ServerInfo: 0x03,
  /** destination key (32) | packet (at most MAX_PACKET_SIZE). Client to server. */
  SendPacket: 0x04,
  /** source key (32) | packet. Server to client (protocol version 2 and later). */
  RecvPacket: 0x05,
  /** empty. Server to client, so that idle connections stay open through NATs and proxies. */
  KeepAlive: 0x06,
  /** preferred (1): 1 when this server is the client's home, else 0. */
  NotePreferred: 0x07,
  /** key (32) | reason (1, PeerGoneReason). Older servers send the key alone. */
  PeerGone: 0x08,
  /** key (32) | IPv6 or IPv4-mapped address (16) | port (2) | flags (1, PeerPresentFlags). Older servers send the key alone. */
  PeerPresent: 0x09,
  /** source key (32) | destination key (32) | packet. Mesh peers only. */
  ForwardPacket: 0x0a,
  /** empty. A mesh peer asks for PeerPresent/PeerGone about every client. */
  WatchConns: 0x10,
  /** key (32). A mesh peer asks this server to close that client's connections. */
  ClosePeer: 0x11,
  /** data (8; up to MAX_PING_LEN tolerated). Either direction; answered with Pong. */
  Ping: 0x12,
  /** data (8): the Ping's data, echoed. */
  Pong: 0x13,
  /** UTF-8 text describing a server problem; empty clears it. Server to client. */
  Health: 0x14,
  /** reconnect in, ms (4) | try for, ms (4). The server is restarting; the client should come back. */
  Restarting: 0x15,
} as const;
export type FrameTypeValue = (typeof FrameType)[keyof typeof FrameType];

export const PeerGoneReason = {
  Disconnected: 0x00,
  NotHere: 0x01,
} as const;

export const PeerPresentFlags = {
  IsRegular: 1 << 0,
  IsMeshPeer: 1 << 1,
  IsProber: 1 << 2,
  NotIdeal: 1 << 3,
} as const;

/** Length of a PeerPresent payload: key, 16-byte IP, 2-byte port, flags. */
export const PEER_PRESENT_LEN = KEY_LEN + 16 + 2 + 1;

export function writeFrameHeader(buf: Buffer, offset: number, type: number, length: number): void {
  buf[offset] = type;
  buf.writeUInt32BE(length, offset + 1);
}

/** A whole frame in one fresh buffer. */
export function encodeFrame(type: number, ...parts: Uint8Array[]): Buffer {
  let len = 0;
  for (const p of parts) len += p.length;
  const out = Buffer.allocUnsafe(FRAME_HEADER_LEN + len);
  writeFrameHeader(out, 0, type, len);
  let off = FRAME_HEADER_LEN;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

export function encodeServerKey(serverPublic: Uint8Array): Buffer {
  return encodeFrame(FrameType.ServerKey, MAGIC, serverPublic);
}

/** The server's public key from a ServerKey payload, or null when the payload lacks the magic or the key. */
export function decodeServerKey(buf: Buffer, start: number, end: number): Buffer | null {
  if (end - start < MAGIC.length + KEY_LEN || !buf.subarray(start, start + MAGIC.length).equals(MAGIC)) return null;
  return Buffer.from(buf.subarray(start + MAGIC.length, start + MAGIC.length + KEY_LEN));
}

export const KEEP_ALIVE_FRAME: Buffer = encodeFrame(FrameType.KeepAlive);

export function encodePeerGone(key: Uint8Array, reason: number): Buffer {
  return encodeFrame(FrameType.PeerGone, key, Uint8Array.of(reason));
}

/** A PeerGone payload, or null when it is too short to hold a key. A missing reason means "disconnected". */
export function decodePeerGone(buf: Buffer, start: number, end: number): { key: Buffer; reason: number } | null {
  if (end - start < KEY_LEN) return null;
  return {
    key: Buffer.from(buf.subarray(start, start + KEY_LEN)),
    reason: end - start > KEY_LEN ? buf[start + KEY_LEN] : PeerGoneReason.Disconnected,
  };
}

export function encodePeerPresent(key: Uint8Array, ip16: Uint8Array, port: number, flags: number): Buffer {
  const out = Buffer.alloc(FRAME_HEADER_LEN + PEER_PRESENT_LEN);
  writeFrameHeader(out, 0, FrameType.PeerPresent, PEER_PRESENT_LEN);
  out.set(key, FRAME_HEADER_LEN);
  out.set(ip16, FRAME_HEADER_LEN + KEY_LEN);
  out.writeUInt16BE(port, FRAME_HEADER_LEN + KEY_LEN + 16);
  out[FRAME_HEADER_LEN + KEY_LEN + 18] = flags;
  return out;
}

export interface PeerPresent {
  key: Buffer;
  /** Dotted quad for IPv4-mapped addresses, else IPv6 text; empty when an older server sent the key alone. */
  ip: string;
  port: number;
  flags: number;
}

/** A PeerPresent payload, or null when it is too short to hold a key. */
export function decodePeerPresent(buf: Buffer, start: number, end: number): PeerPresent | null {
  if (end - start < KEY_LEN) return null;
  const info: PeerPresent = { key: Buffer.from(buf.subarray(start, start + KEY_LEN)), ip: '', port: 0, flags: 0 };
  if (end - start >= PEER_PRESENT_LEN) {
    info.ip = ip16ToString(buf.subarray(start + KEY_LEN, start + KEY_LEN + 16));
    info.port = buf.readUInt16BE(start + KEY_LEN + 16);
    info.flags = buf[start + KEY_LEN + 18];
  }
  return info;
}

/** The text form of PeerPresent's 16-byte address. */
export function ip16ToString(b: Buffer): string {
  const v4mapped = b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff;
  if (v4mapped) return `${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(b.readUInt16BE(i).toString(16));
  return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
}

export function encodeRestarting(reconnectInMs: number, tryForMs: number): Buffer {
  const payload = Buffer.allocUnsafe(8);
  payload.writeUInt32BE(reconnectInMs >>> 0, 0);
  payload.writeUInt32BE(tryForMs >>> 0, 4);
  return encodeFrame(FrameType.Restarting, payload);
}

/** A Restarting payload, or null when it is shorter than its two numbers. */
export function decodeRestarting(
  buf: Buffer,
  start: number,
  end: number,
): { reconnectInMs: number; tryForMs: number } | null {
  if (end - start < 8) return null;
  return { reconnectInMs: buf.readUInt32BE(start), tryForMs: buf.readUInt32BE(start + 4) };
}

/** RecvPacket (server to client) or SendPacket (client to server): key then packet, copied once. */
export function encodePacketFrame(type: number, key: Uint8Array, src: Uint8Array, start: number, end: number): Buffer {
  const len = KEY_LEN + (end - start);
  const out = Buffer.allocUnsafe(FRAME_HEADER_LEN + len);
  writeFrameHeader(out, 0, type, len);
  out.set(key, FRAME_HEADER_LEN);
  out.set(src.subarray(start, end), FRAME_HEADER_LEN + KEY_LEN);
  return out;
}
