/**
 * DERP v2 framing: every frame is a 1-byte type, a 4-byte big-endian payload length, then the payload.
 * Names follow Tailscale's derp package so the two can be read side by side.
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

export const FrameType = {
  ServerKey: 0x01,
  ClientInfo: 0x02,
  ServerInfo: 0x03,
  SendPacket: 0x04,
  RecvPacket: 0x05,
  KeepAlive: 0x06,
  NotePreferred: 0x07,
  PeerGone: 0x08,
  PeerPresent: 0x09,
  ForwardPacket: 0x0a,
  WatchConns: 0x10,
  ClosePeer: 0x11,
  Ping: 0x12,
  Pong: 0x13,
  Health: 0x14,
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

export const KEEP_ALIVE_FRAME: Buffer = encodeFrame(FrameType.KeepAlive);

export function encodePeerGone(key: Uint8Array, reason: number): Buffer {
  return encodeFrame(FrameType.PeerGone, key, Uint8Array.of(reason));
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

export function encodeRestarting(reconnectInMs: number, tryForMs: number): Buffer {
  const payload = Buffer.allocUnsafe(8);
  payload.writeUInt32BE(reconnectInMs >>> 0, 0);
  payload.writeUInt32BE(tryForMs >>> 0, 4);
  return encodeFrame(FrameType.Restarting, payload);
}

/** RecvPacket (server to client) or SendPacket (client to server): key then packet, copied once. */
export function encodePacketFrame(
  type: number,
  key: Uint8Array,
  src: Uint8Array,
  start: number,
  end: number,
): Buffer {
  const len = KEY_LEN + (end - start);
  const out = Buffer.allocUnsafe(FRAME_HEADER_LEN + len);
  writeFrameHeader(out, 0, type, len);
  out.set(key, FRAME_HEADER_LEN);
  out.set(src.subarray(start, end), FRAME_HEADER_LEN + KEY_LEN);
  return out;
}
