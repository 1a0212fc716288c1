/** The JSON bodies of ClientInfo and ServerInfo, with the field spellings Tailscale's Go structs produce. */
import { PROTOCOL_VERSION } from './frames.js';

export interface ClientInfo {
  version: number;
  /** 64 hex characters, or absent/empty for ordinary clients. */
  meshKey?: string;
  CanAckPings?: boolean;
  IsProber?: boolean;
  AppName?: string;
}

export interface ServerInfo {
  version: number;
  TokenBucketBytesPerSecond?: number;
  TokenBucketBytesBurst?: number;
}

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder();
/** What every handshake sends, encoded once. */
const PLAIN_SERVER_INFO = utf8Encoder.encode(JSON.stringify({ version: PROTOCOL_VERSION }));

export function encodeClientInfo(info: Partial<ClientInfo>): Uint8Array {
  const body: ClientInfo = { version: PROTOCOL_VERSION, ...info };
  return utf8Encoder.encode(JSON.stringify(body));
}

/** Lenient like Go's encoding/json: unknown fields ignored, wrong types rejected. */
export function decodeClientInfo(bytes: Uint8Array): ClientInfo {
  const parsed: unknown = JSON.parse(utf8Decoder.decode(bytes));
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error('client info is not a JSON object');
  }
  const o = parsed as Record<string, unknown>;
  const info: ClientInfo = { version: 0 };
  if (o.version !== undefined) {
    if (typeof o.version !== 'number') throw new Error('client info "version" is not a number');
    info.version = o.version;
  }
  if (o.meshKey !== undefined && o.meshKey !== null) {
    if (typeof o.meshKey !== 'string') throw new Error('client info "meshKey" is not a string');
    info.meshKey = o.meshKey;
  }
  for (const k of ['CanAckPings', 'IsProber'] as const) {
    if (o[k] !== undefined) {
      if (typeof o[k] !== 'boolean') throw new Error(`client info "${k}" is not a boolean`);
      info[k] = o[k] as boolean;
    }
  }
  if (typeof o.AppName === 'string') info.AppName = o.AppName;
  return info;
}

/** Without `info`, the plain `{"version":2}`; callers only read the bytes. */
export function encodeServerInfo(info?: ServerInfo): Uint8Array {
  return info ? utf8Encoder.encode(JSON.stringify(info)) : PLAIN_SERVER_INFO;
}

export function decodeServerInfo(bytes: Uint8Array): ServerInfo {
  const parsed: unknown = JSON.parse(utf8Decoder.decode(bytes));
  if (typeof parsed !== 'object' || parsed === null) throw new Error('server info is not a JSON object');
  const o = parsed as Record<string, unknown>;
  return { ...o, version: typeof o.version === 'number' ? o.version : 0 } as ServerInfo;
}
