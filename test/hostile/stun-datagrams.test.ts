/**
 * Hostile datagrams against the STUN server over real loopback UDP: requests from source port 0 (sent through a
 * raw socket, which needs root), random garbage, and a flood from one address. After each, the server must still
 * answer a real Binding Request, from our client and from third-party clients.
 */
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stunProbe } from '../../electron/stun/client.js';
import { encodeBindingRequest } from '../../electron/stun/message.js';
import { StunServer, stunVarz } from '../../electron/stun/server.js';
import { DEFAULT_STUN_RATE_LIMIT } from '../../electron/stun/source-limit.js';
import { mulberry32 } from '../helpers/prng.js';
import { eventually } from '../helpers/relay.js';
import { classicStunOutput, run, startLoopbackStun } from '../helpers/stun.js';

/** Sends one UDP datagram with source port 0 by writing the UDP header ourselves on a raw socket. */
const RAW_UDP_FROM_PORT_ZERO = `
import socket, struct, sys
family, host, port, payload = sys.argv[1], sys.argv[2], int(sys.argv[3]), bytes.fromhex(sys.argv[4])
header = struct.pack('!HHHH', 0, port, 8 + len(payload), 0)
if family == '4':
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_UDP)
else:
    s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_UDP)
    s.setsockopt(socket.IPPROTO_IPV6, 7, 6)  # IPV6_CHECKSUM at offset 6: IPv6 forbids a zero UDP checksum
s.sendto(header + payload, (host, 0))
`;

let server: StunServer;
let port4: number;
let port6: number;

beforeAll(async () => {
  ({ server, port4, port6 } = await startLoopbackStun());
});
afterAll(() => server.stop());

async function answers(host: string, port: number): Promise<void> {
  const r = await stunProbe({ host, port, timeoutMs: 300, retries: 3 });
  expect(r.mappedAddress).toBe(host);
}

describe('STUN server under hostile datagrams', () => {
  it.each([
    ['IPv4', '4', '127.0.0.1', () => port4],
    ['IPv6', '6', '::1', () => port6],
  ])(
    'drops and counts a %s Binding Request from source port 0, and keeps answering',
    async (_name, family, host, port) => {
      const before = server.stats.droppedSourcePortZero;
      await run('python3', [
        '-c',
        RAW_UDP_FROM_PORT_ZERO,
        family,
        host,
        String(port()),
        encodeBindingRequest(randomBytes(12)).toString('hex'),
      ]);
      await eventually(
        () => server.stats.droppedSourcePortZero === before + 1,
        3000,
        'the port-0 request to be counted',
      );
      expect(stunVarz(server.stats).join('')).toMatch(
        /^derpdesk_stun_requests_dropped\{reason="source_port_zero"\} [1-9]\d*$/m,
      );
      await answers(host, port());
    },
  );

  it('ignores 2000 seeded random datagrams (some STUN-shaped) and keeps answering', async () => {
    const rand = mulberry32(0x57a2);
    const sock = dgram.createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
    const before = server.stats.notStun;
    const header = encodeBindingRequest(Buffer.alloc(12));
    for (let i = 0; i < 2000; i++) {
      const len = Math.floor(rand() * 600);
      const d = Buffer.alloc(len);
      for (let j = 0; j < len; j++) d[j] = Math.floor(rand() * 256);
      // Every third datagram starts like a Binding Request so the parser's deeper paths get garbage too.
      if (i % 3 === 0 && len >= 20) header.copy(d, 0, 0, 8);
      await new Promise<void>((r) => sock.send(d, port4, '127.0.0.1', () => r()));
    }
    sock.close();
    // The kernel may drop some of a burst this size; what arrived is read before the probe that follows it.
    await answers('127.0.0.1', port4);
    expect(server.stats.notStun - before).toBeGreaterThan(100);
  });

  it('answers one flooding source at most at its rate limit, and still answers another source', async () => {
    const flood = dgram.createSocket('udp4');
    await new Promise<void>((r) => flood.bind(0, '127.0.0.3', r));
    let received = 0;
    flood.on('message', () => received++);
    const before = {
      success: server.stats.success,
      limited: server.stats.droppedRateLimited,
      ipv4: server.stats.ipv4,
      notStun: server.stats.notStun,
    };
    const t0 = performance.now();
    const request = encodeBindingRequest(randomBytes(12));
    for (let i = 0; i < 1000; i += 25) {
      await Promise.all(
        Array.from({ length: 25 }, () => new Promise<void>((r) => flood.send(request, port4, '127.0.0.1', () => r()))),
      );
      // One poll phase for the server (it reads up to 32 datagrams a turn), so the kernel buffer does not overflow.
      await new Promise((r) => setImmediate(r));
    }
    // Datagrams from one socket arrive in order: once this marker is counted, every surviving request was read.
    flood.send('end of flood', port4, '127.0.0.1');
    await eventually(() => server.stats.notStun === before.notStun + 1, 5000, 'the end-of-flood marker');
    const elapsedS = (performance.now() - t0) / 1000;
    const arrived = server.stats.ipv4 - before.ipv4;
    const answered = server.stats.success - before.success;
    await eventually(() => received === answered, 3000, 'the answers to arrive');
    flood.close();
    const { perSecond, burst } = DEFAULT_STUN_RATE_LIMIT;
    expect(answered).toBeLessThanOrEqual(Math.ceil(burst + perSecond * elapsedS) + 1);
    expect(arrived).toBeGreaterThan(burst * 2);
    expect(server.stats.droppedRateLimited - before.limited).toBe(arrived - answered);
    expect(stunVarz(server.stats).join('')).toMatch(
      /^derpdesk_stun_requests_dropped\{reason="rate_limited"\} [1-9]\d*$/m,
    );
    await answers('127.0.0.1', port4);
  });

  it("Debian's stun client still gets its mapped address after all of the above", async () => {
    expect(await classicStunOutput('127.0.0.1', port4)).toMatch(/MappedAddress = 127\.0\.0\.1:\d+/);
  });
});
