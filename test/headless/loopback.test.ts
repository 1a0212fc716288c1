/** What `--listen` counts as loopback: parsed addresses and the literal name `localhost`, nothing that looks like one. */
import { describe, expect, it } from 'vitest';
import { isLoopbackAddress } from '../../electron/headless/loopback.js';

describe('isLoopbackAddress', () => {
  it('accepts 127.0.0.0/8, ::1 in any spelling, IPv4-mapped loopback, and localhost', () => {
    for (const a of [
      '127.0.0.1',
      '127.0.0.2',
      '127.255.255.255',
      '::1',
      '0:0:0:0:0:0:0:1',
      '0::1',
      '::ffff:127.0.0.1',
      '::ffff:7f00:1',
      '0:0:0:0:0:ffff:127.1.2.3',
      'localhost',
      'LocalHost',
    ]) {
      expect(isLoopbackAddress(a), a).toBe(true);
    }
  });

  it('refuses names that merely look like loopback, other addresses, and non-canonical IPv4 spellings', () => {
    for (const a of [
      '127.evil.com',
      '127.0.0.1.nip.io',
      '127.0.0.1.',
      'localhost.',
      'localhost.evil.com',
      'evil-localhost',
      '127.1',
      '0177.0.0.1',
      '127.000.0.1',
      '2130706433',
      '0x7f000001',
      '0.0.0.0',
      '::',
      '',
      '10.0.0.1',
      '128.0.0.1',
      '126.255.255.255',
      '::2',
      '::ffff:10.0.0.1',
      '::ffff:128.0.0.1',
      'fe80::1',
      '[::1]',
      ' 127.0.0.1',
      '127.0.0.1 ',
    ]) {
      expect(isLoopbackAddress(a), JSON.stringify(a)).toBe(false);
    }
  });
});
