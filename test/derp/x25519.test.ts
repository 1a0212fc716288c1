import { describe, expect, it } from 'vitest';
import nacl from 'tweetnacl';
import { generateKeyPair, keyPairFromPrivate } from '../../electron/derp/keys.js';
import { NATIVE_X25519, importPrivate, publicFromPrivate, sharedPoint } from '../../electron/derp/x25519.js';

// RFC 7748 section 6.1: Alice's and Bob's keys and their shared secret.
const ALICE_PRIVATE = Buffer.from('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a', 'hex');
const ALICE_PUBLIC = '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a';
const BOB_PRIVATE = Buffer.from('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb', 'hex');
const BOB_PUBLIC = 'de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f';
const SHARED = '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742';

describe('X25519', () => {
  it('runs natively on this Node', () => {
    expect(NATIVE_X25519).toBe(true);
  });

  it('derives the RFC 7748 public keys and shared secret', () => {
    expect(publicFromPrivate(ALICE_PRIVATE).toString('hex')).toBe(ALICE_PUBLIC);
    expect(publicFromPrivate(BOB_PRIVATE).toString('hex')).toBe(BOB_PUBLIC);
    expect(sharedPoint(importPrivate(ALICE_PRIVATE), Buffer.from(BOB_PUBLIC, 'hex')).toString('hex')).toBe(SHARED);
    expect(keyPairFromPrivate(BOB_PRIVATE).publicKey.toString('hex')).toBe(BOB_PUBLIC);
  });

  it('generates key pairs whose public half matches tweetnacl, many times over without stalling', () => {
    // Thousands of generations with garbage collections in between: generateKeyPairSync deadlocked here.
    for (let i = 0; i < 5000; i++) {
      const kp = generateKeyPair();
      if (i % 250 === 0) expect(kp.publicKey).toEqual(Buffer.from(nacl.scalarMult.base(kp.privateKey)));
    }
  });
});
