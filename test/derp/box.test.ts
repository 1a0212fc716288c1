import { describe, expect, it } from 'vitest';
import nacl from 'tweetnacl';
import { BoxError, BoxPrivateKey, openWithShared, sealWithShared } from '../../electron/derp/box.js';
import {
  formatNodePrivate,
  formatNodePublic,
  generateKeyPair,
  parseNodePrivate,
  parseNodePublic,
  parseNodePublicLoose,
  shortKey,
} from '../../electron/derp/keys.js';

describe('NaCl box', () => {
  it('derives the same shared key as tweetnacl box.before (native X25519 + HSalsa20)', () => {
    for (let i = 0; i < 20; i++) {
      const a = nacl.box.keyPair();
      const b = nacl.box.keyPair();
      expect(Buffer.from(new BoxPrivateKey(a.secretKey).sharedKey(b.publicKey))).toEqual(
        Buffer.from(nacl.box.before(b.publicKey, a.secretKey)),
      );
    }
  });

  it('seals as nonce || box so that tweetnacl opens it, and opens what tweetnacl seals', () => {
    const a = nacl.box.keyPair();
    const b = nacl.box.keyPair();
    const sealed = sealWithShared(new BoxPrivateKey(a.secretKey).sharedKey(b.publicKey), Buffer.from('{"version":2}'));
    const opened = nacl.box.open(sealed.subarray(24), sealed.subarray(0, 24), a.publicKey, b.secretKey);
    expect(Buffer.from(opened!).toString()).toBe('{"version":2}');
    const nonce = nacl.randomBytes(24);
    const theirs = Buffer.concat([nonce, nacl.box(Buffer.from('hi'), nonce, b.publicKey, a.secretKey)]);
    expect(Buffer.from(openWithShared(new BoxPrivateKey(b.secretKey).sharedKey(a.publicKey), theirs)).toString()).toBe(
      'hi',
    );
  });

  it('never repeats a nonce, across many seals and the random draws behind them', () => {
    const a = nacl.box.keyPair();
    const b = nacl.box.keyPair();
    const shared = new BoxPrivateKey(a.secretKey).sharedKey(b.publicKey);
    const theirs = nacl.box.before(a.publicKey, b.secretKey);
    const nonces = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const sealed = sealWithShared(shared, Buffer.from(`message ${i}`));
      nonces.add(sealed.subarray(0, 24).toString('hex'));
      const opened = nacl.box.open.after(sealed.subarray(24), sealed.subarray(0, 24), theirs);
      expect(Buffer.from(opened!).toString()).toBe(`message ${i}`);
    }
    expect(nonces.size).toBe(2000);
  });

  it('refuses boxes sealed to another key, tampered or truncated', () => {
    const a = nacl.box.keyPair();
    const b = nacl.box.keyPair();
    const c = nacl.box.keyPair();
    const sealed = sealWithShared(new BoxPrivateKey(a.secretKey).sharedKey(c.publicKey), Buffer.from('x'));
    const shared = new BoxPrivateKey(b.secretKey).sharedKey(a.publicKey);
    expect(() => openWithShared(shared, sealed)).toThrow(BoxError);
    expect(() => openWithShared(shared, sealed.subarray(0, 30))).toThrow(/too short/);
  });
});

describe('key text forms', () => {
  it('round-trips nodekey: and privkey: and rejects malformed keys with a clear message', () => {
    const kp = generateKeyPair();
    expect(parseNodePublic(formatNodePublic(kp.publicKey))).toEqual(kp.publicKey);
    expect(parseNodePrivate(formatNodePrivate(kp.privateKey))).toEqual(kp.privateKey);
    expect(parseNodePublicLoose(kp.publicKey.toString('hex'))).toEqual(kp.publicKey);
    expect(() => parseNodePublic('nodekey:abc')).toThrow(
      'node public key must be "nodekey:" followed by 64 hex characters',
    );
    expect(() => parseNodePrivate(formatNodePublic(kp.publicKey))).toThrow('must start with "privkey:"');
    expect(shortKey(Buffer.alloc(32))).toBe('[AAAAA]');
  });

  it('generates clamped Curve25519 private keys whose public half matches tweetnacl', () => {
    const kp = generateKeyPair();
    expect(kp.privateKey[0] & 7).toBe(0);
    expect(kp.privateKey[31] & 0xc0).toBe(0x40);
    expect(Buffer.from(nacl.box.keyPair.fromSecretKey(kp.privateKey).publicKey)).toEqual(kp.publicKey);
  });
});
