/**
 * Curve25519 node keys and their text forms (`nodekey:`, `privkey:`, `discokey:`), as Tailscale writes them.
 */
import { randomBytes } from 'node:crypto';
import { KEY_LEN } from './frames.js';
import { publicFromPrivate } from './x25519.js';

export const NODE_PUBLIC_PREFIX = 'nodekey:';
export const NODE_PRIVATE_PREFIX = 'privkey:';
export const DISCO_PUBLIC_PREFIX = 'discokey:';

const HEX_KEY = /^[0-9a-fA-F]{64}$/;

export interface NodeKeyPair {
  privateKey: Buffer;
  publicKey: Buffer;
}

/** Clamped as Tailscale's key.NewNode does, so the stored bytes are the scalar actually used. */
export function clampPrivate(k: Uint8Array): Buffer {
  const out = Buffer.from(k);
  out[0] &= 248;
  out[31] = (out[31] & 127) | 64;
  return out;
}

export function generateKeyPair(): NodeKeyPair {
  return keyPairFromPrivate(clampPrivate(randomBytes(KEY_LEN)));
}

export function keyPairFromPrivate(privateKey: Uint8Array): NodeKeyPair {
  if (privateKey.length !== KEY_LEN) throw new Error(`private key must be ${KEY_LEN} bytes, got ${privateKey.length}`);
  return { privateKey: Buffer.from(privateKey), publicKey: publicFromPrivate(privateKey) };
}

function parsePrefixedHex(text: string, prefix: string, what: string): Buffer {
  const t = text.trim();
  if (!t.startsWith(prefix)) throw new Error(`${what} must start with "${prefix}"`);
  const hex = t.slice(prefix.length);
  if (!HEX_KEY.test(hex)) throw new Error(`${what} must be "${prefix}" followed by 64 hex characters`);
  return Buffer.from(hex, 'hex');
}

export function parseNodePublic(text: string): Buffer {
  return parsePrefixedHex(text, NODE_PUBLIC_PREFIX, 'node public key');
}

export function parseNodePrivate(text: string): Buffer {
  return parsePrefixedHex(text, NODE_PRIVATE_PREFIX, 'node private key');
}

/** Accepts both `nodekey:<hex>` and the bare 64-hex form that Derp-Public-Key and logs use. */
export function parseNodePublicLoose(text: string): Buffer {
  const t = text.trim();
  if (HEX_KEY.test(t)) return Buffer.from(t, 'hex');
  return parseNodePublic(t);
}

export function formatNodePublic(key: Uint8Array): string {
  return NODE_PUBLIC_PREFIX + Buffer.from(key).toString('hex');
}

export function formatNodePrivate(key: Uint8Array): string {
  return NODE_PRIVATE_PREFIX + Buffer.from(key).toString('hex');
}

/** The `[abcde]` short form Tailscale prints in logs: first five base64 characters of the key. */
export function shortKey(key: Uint8Array): string {
  return `[${Buffer.from(key).toString('base64').slice(0, 5)}]`;
}

export function isHexKey(text: string): boolean {
  return HEX_KEY.test(text);
}
