import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  ATTR_SOFTWARE,
  BINDING_REQUEST,
  FINGERPRINT_XOR,
  encodeBindingRequest,
  fingerprintOf,
  ipToString,
  parseBindingResponse,
  parseMessage,
} from '../../electron/stun/message.js';
import { BindingResponder, sourceFamily } from '../../electron/stun/responder.js';
import { mulberry32 } from '../helpers/prng.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const TXID = hex('b7e7a701bc34d686fa87dfae');

// RFC 5769 section 2: published test vectors.
const SAMPLE_REQUEST = hex(`
  000100582112a442b7e7a701bc34d686fa87dfae
  80220010 5354554e207465737420636c69656e74
  00240004 6e0001ff
  80290008 932ff9b151263b36
  00060009 6576746a3a68367659202020
  00080014 9aeaa70cbfd8cb56781ef2b5b2d3f249c1b571a2
  80280004 e57a3bcf`);
const SAMPLE_IPV4_RESPONSE = hex(`
  0101003c2112a442b7e7a701bc34d686fa87dfae
  8022000b 7465737420766563746f7220
  00200008 0001a147e112a643
  00080014 2b91f599fd9e90c38c7489f92af9ba53f06be7d7
  80280004 c07d4c96`);
const SAMPLE_IPV6_RESPONSE = hex(`
  010100482112a442b7e7a701bc34d686fa87dfae
  8022000b 7465737420766563746f7220
  00200014 0002a1470113a9faa5d3f179bc25f4b5bed2b9d9
  00080014 a382954e4be67bf11784c97c8292c275bfe3ed41
  80280004 c8fb0b4c`);

describe('RFC 5769 test vectors', () => {
  it('parses the sample request and verifies its FINGERPRINT', () => {
    const m = parseMessage(SAMPLE_REQUEST);
    expect(m.ok).toBe(true);
    if (!m.ok) return;
    expect(m.header.type).toBe(BINDING_REQUEST);
    expect(m.header.txid).toEqual(TXID);
    expect(m.attrs.find((a) => a.type === ATTR_SOFTWARE)?.value.toString()).toBe('STUN test client');
  });

  it('decodes the IPv4 and IPv6 sample responses to 192.0.2.1:32853 and 2001:db8:1234:5678:11:2233:4455:6677:32853', () => {
    const v4 = parseBindingResponse(SAMPLE_IPV4_RESPONSE, TXID);
    expect(v4.ok && `${ipToString(v4.addr)}:${v4.addr.port}`).toBe('192.0.2.1:32853');
    const v6 = parseBindingResponse(SAMPLE_IPV6_RESPONSE, TXID);
    expect(v6.ok && `${ipToString(v6.addr)}:${v6.addr.port}`).toBe('2001:db8:1234:5678:11:2233:4455:6677:32853');
  });

  it('rejects a vector with one flipped bit (FINGERPRINT mismatch)', () => {
    const bad = Buffer.from(SAMPLE_IPV4_RESPONSE);
    bad[30] ^= 1;
    expect(parseMessage(bad)).toEqual({ ok: false, reason: 'FINGERPRINT does not match' });
  });
});

describe('our messages', () => {
  it("encodes Tailscale's request form byte for byte", () => {
    const req = encodeBindingRequest(TXID);
    expect(req.toString('hex')).toBe(
      '0001' +
        '0014' +
        '2112a442' +
        TXID.toString('hex') +
        '8022' +
        '0008' +
        Buffer.from('tailnode').toString('hex') +
        '8028' +
        '0004' +
        req.subarray(-4).toString('hex'),
    );
    expect(parseMessage(req).ok).toBe(true);
  });

  it('answers with XOR-MAPPED-ADDRESS, SOFTWARE and FINGERPRINT that RFC 5769-style parsing accepts', () => {
    const req = encodeBindingRequest(TXID);
    for (const [ip, port] of [
      ['192.0.2.1', 32853],
      ['2001:db8:1234:5678:11:2233:4455:6677', 32853],
      ['::ffff:10.1.2.3', 1],
    ] as const) {
      const res = new BindingResponder(Buffer.from('derpdesk')).respond(req, ip, port)!;
      const back = parseBindingResponse(res, TXID);
      expect(back.ok && `${ipToString(back.addr)}:${back.addr.port}`).toBe(`${ip.replace('::ffff:', '')}:${port}`);
    }
    // The IPv4 answer to the RFC's transaction is the RFC's XOR-MAPPED-ADDRESS value.
    const res = new BindingResponder(Buffer.from('test vector')).respond(req, '192.0.2.1', 32853)!;
    expect(res.subarray(24, 32).toString('hex')).toBe('0001a147e112a643');
  });

  it('answers RFC 3489 (no cookie) requests with MAPPED-ADDRESS', () => {
    const classic = hex('00010000' + '0102030405060708090a0b0c0d0e0f10');
    const m = parseMessage(classic);
    expect(m.ok && m.header.hasCookie).toBe(false);
    const res = new BindingResponder(Buffer.from('x')).respond(classic, '198.51.100.7', 4242)!;
    expect(res.subarray(4, 20)).toEqual(classic.subarray(4, 20));
    expect(res.subarray(20, 32).toString('hex')).toBe('00010008' + '0001' + '1092' + 'c6336407');
  });

  it('parses dotted quads strictly', () => {
    const responder = new BindingResponder(Buffer.from('x'));
    const classic = hex('00010000' + '0102030405060708090a0b0c0d0e0f10');
    expect(responder.respond(classic, '10.0.0.255', 1)!.subarray(28, 32)).toEqual(Buffer.from([10, 0, 0, 255]));
    for (const bad of ['1.2.3', '1.2.3.4.5', '256.1.1.1', '1..2.3', '1.2.3.4a', '', '::ffff:1.2.3', 'fe80::1::2'])
      expect(responder.respond(classic, bad, 1)).toBeNull();
    expect([sourceFamily('192.0.2.1'), sourceFamily('::ffff:192.0.2.1'), sourceFamily('2001:db8::1')]).toEqual([
      4, 4, 6,
    ]);
  });

  it('writes every IPv6 text form dgram reports, and refuses what is not IPv6', () => {
    const responder = new BindingResponder(Buffer.from('x'));
    const req = encodeBindingRequest(TXID);
    const mapped = (ip: string) => {
      const back = parseBindingResponse(responder.respond(req, ip, 7)!, TXID);
      return back.ok ? ipToString(back.addr) : back.reason;
    };
    for (const [text, canonical] of [
      ['::', '::'],
      ['::1', '::1'],
      ['1::', '1::'],
      ['2001:db8::7', '2001:db8::7'],
      ['2001:DB8:0:0:0:0:0:7', '2001:db8::7'],
      ['fe80::1%eth0', 'fe80::1'],
      ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'],
      ['2001:db8:1234:5678:11:2233:4455:6677', '2001:db8:1234:5678:11:2233:4455:6677'],
    ])
      expect(mapped(text)).toBe(canonical);
    for (const bad of [
      ':1',
      '1:',
      ':::',
      '1::2::3',
      '12345::',
      '1:2:3:4:5:6:7',
      '1:2:3:4:5:6:7:8:9',
      'g::1',
      '::1.2.3.4',
    ])
      expect(responder.respond(req, bad, 7), bad).toBeNull();
  });

  it('computes FINGERPRINT as zlib does, for short and long messages alike', () => {
    const rand = mulberry32(0x5354);
    for (const len of [0, 1, 20, 40, 255, 256, 257, 1200]) {
      const b = Buffer.alloc(len + 8);
      for (let i = 0; i < b.length; i++) b[i] = Math.floor(rand() * 256);
      expect(fingerprintOf(b, len), `${len} bytes`).toBe((crc32(b.subarray(0, len)) ^ FINGERPRINT_XOR) >>> 0);
    }
  });

  it('answers a second request byte for byte like the first: the template is copied, never written', () => {
    const responder = new BindingResponder(Buffer.from('derpdesk'));
    const req = encodeBindingRequest(TXID);
    const first = Buffer.from(responder.respond(req, '2001:db8::7', 9)!);
    responder.respond(encodeBindingRequest(Buffer.alloc(12, 0xff)), '2001:db8::8', 10);
    responder.respond(hex('00010000' + '0102030405060708090a0b0c0d0e0f10'), '198.51.100.7', 4242);
    expect(responder.respond(req, '2001:db8::7', 9)).toEqual(first);
  });

  it('rejects malformed and truncated messages with a reason, never an exception', () => {
    const good = encodeBindingRequest(TXID);
    const cases: Array<[Buffer, string]> = [
      [good.subarray(0, 10), 'too short'],
      [Buffer.concat([good, Buffer.alloc(4)]), 'does not match the datagram'],
      [
        (() => {
          const b = Buffer.from(good);
          b[0] |= 0x80;
          return b;
        })(),
        'top two bits',
      ],
      [
        (() => {
          const b = Buffer.from(good);
          b.writeUInt16BE(0x0fff, 22);
          return b;
        })(),
        'overruns the message',
      ],
      [
        (() => {
          const b = Buffer.from(good);
          b.writeUInt16BE(3, 2);
          return b;
        })(),
        'not a multiple of 4',
      ],
      [
        (() => {
          const b = Buffer.from(good);
          b[b.length - 1] ^= 0xff;
          return b;
        })(),
        'FINGERPRINT does not match',
      ],
    ];
    for (const [buf, why] of cases) {
      const r = parseMessage(buf);
      expect(r.ok).toBe(false);
      expect(r.ok ? '' : r.reason).toContain(why);
    }
    let seed = 7;
    for (let i = 0; i < 2000; i++) {
      const len = (seed = (seed * 48271) % 2147483647) % 120;
      const b = Buffer.alloc(len, (seed >> 8) & 0xff);
      expect(() => parseMessage(b)).not.toThrow();
    }
  });
});
