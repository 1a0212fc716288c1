/**
 * X25519 through Node's native crypto, with tweetnacl where the runtime lacks it. Keys are imported as JWK:
 * OpenSSL 3's DER decoder costs ~450 us per private key and ~140 us per public key, JWK ~20 us. Public keys are
 * derived as X25519(private, 9), never with generateKeyPairSync: on Node 20 a garbage collection during the JWK
 * export of a generated key can finalise its key-generation job, which takes the key's lock the export holds,
 * and the process deadlocks (seen here under handshake load).
 */
import { createPrivateKey, createPublicKey, diffieHellman, type KeyObject } from 'node:crypto';
import nacl from 'tweetnacl';

const KEY_LEN = 32;
const BASE_POINT = Uint8Array.of(9, ...new Uint8Array(31));
// A private JWK must carry "x"; OpenSSL derives the public half from "d" and ignores it (checked below).
const PLACEHOLDER_X = Buffer.alloc(KEY_LEN).toString('base64url');

/** base64url of the bytes, read in place (Buffer.from(raw) would copy them first). */
function base64url(raw: Uint8Array): string {
  return Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64url');
}

function importPublic(raw: Uint8Array): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: base64url(raw) }, format: 'jwk' });
}

export function importPrivate(raw: Uint8Array): KeyObject {
  return createPrivateKey({
    key: { kty: 'OKP', crv: 'X25519', d: base64url(raw), x: PLACEHOLDER_X },
    format: 'jwk',
  });
}

/** The X25519 shared point of a prepared private key and a raw public key. */
export function sharedPoint(privateKey: KeyObject, theirPublic: Uint8Array): Buffer {
  return diffieHellman({ privateKey, publicKey: importPublic(theirPublic) });
}

function nativeWorks(): boolean {
  try {
    const probe = Uint8Array.from({ length: KEY_LEN }, (_, i) => i + 1);
    return sharedPoint(importPrivate(probe), BASE_POINT).equals(nacl.scalarMult.base(probe));
  } catch {
    return false;
  }
}

/** Whether native X25519 is in use (false: tweetnacl everywhere). */
export const NATIVE_X25519 = nativeWorks();

export function publicFromPrivate(privateKey: Uint8Array): Buffer {
  return NATIVE_X25519
    ? sharedPoint(importPrivate(privateKey), BASE_POINT)
    : Buffer.from(nacl.scalarMult.base(Uint8Array.from(privateKey)));
}
