/** The STUN server over real UDP on loopback: our client, hostile datagrams, and Debian's third-party clients. */
import dgram from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StunProbeError, stunProbe } from '../../electron/stun/client.js';
import { StunServer, stunVarz } from '../../electron/stun/server.js';
import { classicStunOutput, requireBinary, run, startLoopbackStun } from '../helpers/stun.js';

let server: StunServer;
let port4: number;
let port6: number;

beforeAll(async () => {
  ({ server, port4, port6 } = await startLoopbackStun());
});
afterAll(() => server.stop());

function sendRaw(bytes: Buffer, port: number): Promise<Buffer | null> {
  const s = dgram.createSocket('udp4');
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      s.close();
      resolve(null);
    }, 300);
    s.on('message', (m) => {
      clearTimeout(t);
      s.close();
      resolve(m);
    });
    s.send(bytes, port, '127.0.0.1');
  });
}

describe('STUN server', () => {
  it('answers our client over IPv4 and IPv6 loopback with the mapped address', async () => {
    const v4 = await stunProbe({ host: '127.0.0.1', port: port4 });
    expect(v4).toMatchObject({ mappedAddress: '127.0.0.1', family: 4, attempts: 1 });
    expect(v4.mappedPort).toBeGreaterThan(0);
    expect(v4.rttMs).toBeGreaterThan(0);
    const v6 = await stunProbe({ host: '::1', port: port6 });
    expect(v6).toMatchObject({ mappedAddress: '::1', family: 6 });
    expect(server.stats.ipv4).toBeGreaterThanOrEqual(1);
    expect(server.stats.ipv6).toBeGreaterThanOrEqual(1);
  });

  it('drops garbage, truncated and non-Binding messages without replying, and keeps serving', async () => {
    const before = server.stats.notStun;
    const request = Buffer.from('000100002112a442' + '00'.repeat(12), 'hex');
    const bindingSuccess = Buffer.from(request);
    bindingSuccess[1] = 0x01;
    bindingSuccess[0] = 0x01;
    for (const b of [Buffer.from('hello'), request.subarray(0, 19), Buffer.alloc(1200, 0xff), bindingSuccess]) {
      expect(await sendRaw(b, port4)).toBeNull();
    }
    expect(server.stats.notStun - before).toBe(4);
    expect((await stunProbe({ host: '127.0.0.1', port: port4 })).mappedAddress).toBe('127.0.0.1');
  });

  it('answers a bare RFC 5389 request and a classic RFC 3489 request', async () => {
    const modern = await sendRaw(Buffer.from('000100002112a442' + 'ab'.repeat(12), 'hex'), port4);
    expect(modern?.readUInt16BE(0)).toBe(0x0101);
    expect(modern?.readUInt16BE(20)).toBe(0x0020);
    const classic = await sendRaw(Buffer.from('00010000' + 'cd'.repeat(16), 'hex'), port4);
    expect(classic?.readUInt16BE(20)).toBe(0x0001);
  });

  it('listens on a host name (looked up once, at bind) and answers from there', async () => {
    const named = new StunServer();
    await named.start([{ host: 'localhost', port: 0 }]);
    try {
      const [{ host, port }] = named.addresses();
      expect((await stunProbe({ host, port })).mappedAddress).toBe(host);
    } finally {
      await named.stop();
    }
  });

  it('times out against a closed port with a clear message', async () => {
    const s = dgram.createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
    const closedPort = s.address().port;
    s.close();
    await expect(stunProbe({ host: '127.0.0.1', port: closedPort, timeoutMs: 100, retries: 2 })).rejects.toThrow(
      StunProbeError,
    );
  });

  it("renders derper's stun_requests and stun_addrfamily metrics", () => {
    const text = stunVarz(server.stats).join('');
    expect(text).toMatch(/^stun_requests\{disposition="success"\} [1-9]\d*$/m);
    expect(text).toMatch(/^stun_requests\{disposition="not_stun"\} [1-9]\d*$/m);
    expect(text).toMatch(/^stun_addrfamily\{family="ipv6"\} [1-9]\d*$/m);
  });

  it('names the busy address', async () => {
    const other = new StunServer();
    await expect(other.start([{ host: '127.0.0.1', port: port4 }])).rejects.toThrow(
      `STUN: address 127.0.0.1:${port4} is already in use`,
    );
  });
});

describe('third-party STUN clients against our server', () => {
  it("coturn's turnutils_stunclient reports the mapped address over IPv4 and IPv6", async () => {
    await requireBinary('turnutils_stunclient', 'coturn');
    const v4 = await run('turnutils_stunclient', ['-p', String(port4), '127.0.0.1'], { timeout: 10_000 });
    expect(v4.stdout + v4.stderr).toMatch(/UDP reflexive addr: 127\.0\.0\.1:\d+/);
    const v6 = await run('turnutils_stunclient', ['-p', String(port6), '::1'], { timeout: 10_000 });
    expect(v6.stdout + v6.stderr).toMatch(/UDP reflexive addr: ::1:\d+/);
  });

  it("stun-client's stun (RFC 3489 era) reports the mapped address", async () => {
    await requireBinary('stun', 'stun-client');
    // The client defaults to port 3478 but takes host:port: an ephemeral port cannot collide with a STUN
    // server already running on this machine.
    const classic = new StunServer();
    await classic.start([{ host: '127.0.0.1', port: 0 }]);
    try {
      const port = classic.addresses()[0].port;
      expect(await classicStunOutput('127.0.0.1', port)).toMatch(/MappedAddress = 127\.0\.0\.1:\d+/);
    } finally {
      await classic.stop();
    }
  });
});
