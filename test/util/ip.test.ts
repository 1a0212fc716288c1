/** IP text to bytes, shared by PeerPresent frames and STUN answers: canonical forms, "::", zones, and refusals. */
import { describe, expect, it } from 'vitest';
import { isMappedIPv4, parseIPv4, parseIPv6, unmapIPv4 } from '../../electron/util/ip.js';

const hex = (b: Buffer | null) => b?.toString('hex') ?? null;

describe('util/ip', () => {
  it('parses IPv6 text with and without "::" and a zone, as 16 bytes', () => {
    expect(hex(parseIPv6('::1'))).toBe('00000000000000000000000000000001');
    expect(hex(parseIPv6('::'))).toBe('0'.repeat(32));
    expect(hex(parseIPv6('fe80::1%eth0'))).toBe('fe800000000000000000000000000001');
    expect(hex(parseIPv6('2001:db8:0:0:1:0:0:1'))).toBe('20010db8000000000001000000000001');
    expect(hex(parseIPv6('2001:DB8::8:800:200C:417A'))).toBe('20010db80000000000080800200c417a');
    expect(hex(parseIPv6('1::'))).toBe('00010000000000000000000000000000');
  });

  it('refuses what is not IPv6 text', () => {
    for (const bad of [
      '',
      ':1',
      '1:2',
      '1:::2',
      '1::2::3',
      '12345::',
      'g::1',
      '1:2:3:4:5:6:7:8:9',
      '1:2:3:4:5:6:7:8::',
      '1.2.3.4',
    ])
      expect(parseIPv6(bad), bad).toBeNull();
  });

  it('parses and refuses dotted quads', () => {
    expect(hex(parseIPv4('192.0.2.7'))).toBe('c0000207');
    for (const bad of ['', '1.2.3', '1.2.3.4.5', '256.1.1.1', '1..2.3', '1.2.3.a', '1234.1.1.1'])
      expect(parseIPv4(bad), bad).toBeNull();
  });

  it('takes IPv4-mapped IPv6 text for the IPv4 address it carries, and nothing else', () => {
    expect(isMappedIPv4('::ffff:192.0.2.7')).toBe(true);
    expect(unmapIPv4('::ffff:192.0.2.7')).toBe('192.0.2.7');
    expect(isMappedIPv4('::ffff:c000:207')).toBe(false);
    expect(unmapIPv4('2001:db8::1')).toBe('2001:db8::1');
  });
});
