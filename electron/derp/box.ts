/**
 * NaCl box (Curve25519 + XSalsa20 + Poly1305) as DERP uses it: a random 24-byte nonce sent in clear,
 * followed by the box. The Curve25519 step uses Node's native X25519 when available (it is ~50x faster
 * than pure JS and handshakes are dominated by it); the rest is tweetnacl, so no primitive is our own.
 */
import { randomBytes, type KeyObject } from 'node:crypto';
import nacl from 'tweetnacl';
import { NONCE_LEN } from './frames.js';
import { NATIVE_X25519, importPrivate, sharedPoint } from './x25519.js';

const ZERO16 = new Uint8Array(16);
const SIGMA = new TextEncoder().encode('expand 32-byte k');
const BOX_OVERHEAD = nacl.box.overheadLength;
// tweetnacl exports its primitives as `lowlevel` but its typings omit them.
const hsalsa20 = (
  nacl as unknown as {
    lowlevel: { crypto_core_hsalsa20(out: Uint8Array, inp: Uint8Array, k: Uint8Array, c: Uint8Array): void };
  }
).lowlevel.crypto_core_hsalsa20;

export class BoxError extends Error {}

/** A private key prepared once for repeated key agreement. */
export class BoxPrivateKey {
  private readonly native: KeyObject | null;

  constructor(readonly raw: Uint8Array) {
    this.native = NATIVE_X25519 ? importPrivate(raw) : null;
  }

  /** crypto_box_beforenm: HSalsa20 of the X25519 shared point. */
  sharedKey(theirPublic: Uint8Array): Uint8Array {
    if (!this.native) return nacl.box.before(theirPublic, this.raw);
    const point = sharedPoint(this.native, theirPublic);
    const k = new Uint8Array(32);
    hsalsa20(k, ZERO16, point, SIGMA);
    return k;
  }
}

/**
 * Nonces are cut from one randomBytes call per NONCES_PER_DRAW: a call costs ~7 us for 24 bytes and ~16 us for
 * 6 KiB (measured here), so one per nonce was ~2% of a relay's CPU per handshake. Every nonce is used once.
 */
const NONCES_PER_DRAW = 256;
let nonces = Buffer.alloc(0);
let nextNonce = 0;

function freshNonce(): Buffer {
  if (nextNonce + NONCE_LEN > nonces.length) {
    nonces = randomBytes(NONCE_LEN * NONCES_PER_DRAW);
    nextNonce = 0;
  }
  const nonce = nonces.subarray(nextNonce, nextNonce + NONCE_LEN);
  nextNonce += NONCE_LEN;
  return nonce;
}

/** nonce || box(message), the layout of ClientInfo and ServerInfo payloads. */
export function sealWithShared(shared: Uint8Array, message: Uint8Array): Buffer {
  const nonce = freshNonce();
  const boxed = nacl.box.after(message, nonce, shared);
  return Buffer.concat([nonce, boxed]);
}

export function openWithShared(shared: Uint8Array, sealed: Uint8Array): Uint8Array {
  if (sealed.length < NONCE_LEN + BOX_OVERHEAD) throw new BoxError(`sealed message too short (${sealed.length} bytes)`);
  const nonce = sealed.subarray(0, NONCE_LEN);
  const opened = nacl.box.open.after(sealed.subarray(NONCE_LEN), nonce, shared);
  if (!opened) throw new BoxError('box does not open: wrong key or corrupted message');
  return opened;
}
