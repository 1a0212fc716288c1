/**
 * Thousands of generated requests against the relay's HTTP listener: random bytes, percent garbage, absolute-form
 * and unparsable targets, overlong lines and headers, missing or bare line ends, NUL bytes, contradictory upgrade
 * headers and garbage after an upgrade. Seeded, so a failure reproduces (the failing case is printed); bounded in
 * count, concurrency and time. Afterwards real DERP clients must still relay, and nothing may have thrown.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DerpClient } from '../../electron/derp/client.js';
import { prng } from '../helpers/prng.js';
import { startRelay, type TestRelay } from '../helpers/relay.js';

const SEED = 0xde4d;
const CASES = 2000;
const CONCURRENCY = 32;
const HANDSHAKE_MS = 500;
const TIME_BUDGET_MS = 10_000;

const { next: rand, int, pick, bytes: randomBytes } = prng(SEED);
const GARBAGE_CHARS = [
  '%',
  'z',
  'Z',
  '0',
  '[',
  ']',
  '\x00',
  ' ',
  '\t',
  '?',
  '#',
  '\xff',
  '/',
  'é',
  ':',
  '@',
  '\\',
  '"',
  '<',
  '\x7f',
  'a',
  '2',
  'F',
];
const garbage = (n: number) => Array.from({ length: n }, () => pick(GARBAGE_CHARS)).join('');

const METHODS = [
  'GET',
  'GET',
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'OPTIONS',
  'CONNECT',
  'PRI',
  'G\x00T',
  '',
  'get',
  'GET GET',
  'X'.repeat(300),
];
const TARGETS = [
  '/',
  '/derp',
  '/derp',
  '/derp/probe',
  '/derp/latency-check',
  '/generate_204',
  '/debug/varz',
  '/robots.txt',
  '/%',
  '/%zz',
  '/%2',
  '/%%',
  '/derp%00',
  '/derp?%zz',
  '/derp#x',
  'http://[',
  'http://[::1]:80/derp',
  'http://x/derp?y',
  'HTTP://X/debug/varz',
  'https://x:99999/derp',
  'ftp://x/derp',
  '*',
  '//',
  '/..',
  '/../../etc/passwd',
  'derp',
  '',
  ' ',
  '/\x00',
  '/é',
];
const VERSIONS = ['HTTP/1.1', 'HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/1.1x', 'HTTP/9', '', 'http/1.1'];
const HEADERS = [
  'Host: relay',
  'Host:',
  'Host: a\x00b',
  'Upgrade: DERP',
  'Upgrade: DERP',
  'Upgrade: websocket',
  'Upgrade: derp, websocket',
  'Upgrade:',
  'Connection: Upgrade',
  'Connection: Upgrade',
  'Connection: close',
  'Connection: keep-alive',
  'Derp-Fast-Start: 1',
  'Derp-Fast-Start: 1',
  'Derp-Fast-Start: yes',
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
  'Sec-WebSocket-Key: ???',
  'Sec-WebSocket-Version: 13',
  'Sec-WebSocket-Version: 99',
  'Sec-WebSocket-Protocol: derp',
  'Sec-WebSocket-Protocol: ,,,',
  'Ideal-Node: elsewhere',
  'X-Forwarded-For: 203.0.113.1',
  'X-Tailscale-Challenge: ts_x',
  'X-Tailscale-Challenge: \xff\xfe',
  'Content-Length: 5',
  'Content-Length: -1',
  'Content-Length: 99999999999999999999',
  'Content-Length: 1, 2',
  'Transfer-Encoding: chunked',
  'Transfer-Encoding: chunked, identity',
  'Expect: 100-continue',
];
/** Headers HTTP itself refuses: a few of these keep the parser's error paths busy. */
const BROKEN_HEADERS = ['no colon here', 'Bad Name: x', ' folded: continuation', ':', 'X-Nul: a\x00b'];

interface Case {
  label: string;
  bytes: Buffer;
  /** Half-close after writing (most clients do); otherwise the handshake deadline must close it. */
  end: boolean;
}

function requestCase(i: number): Case {
  // Half the cases are well-formed requests (a third of those upgrades) varied only in their headers and target.
  const wellFormed = rand() < 0.5;
  const eol = wellFormed || rand() < 0.7 ? '\r\n' : pick(['\n', '\r', '\r\r\n', '']);
  const target =
    wellFormed || rand() < 0.6 ? pick(TARGETS) : rand() < 0.5 ? '/' + garbage(int(40)) : 'http://' + garbage(int(30));
  const line =
    rand() < 0.03
      ? `GET /${'a'.repeat(70_000)} HTTP/1.1`
      : `${wellFormed ? 'GET' : pick(METHODS)} ${target} ${wellFormed ? 'HTTP/1.1' : pick(VERSIONS)}`;
  const headers = Array.from({ length: int(5) }, () => pick(HEADERS));
  if (wellFormed && rand() < 0.33) headers.push('Upgrade: DERP', 'Connection: Upgrade');
  if (!wellFormed && rand() < 0.3) headers.push(pick(BROKEN_HEADERS));
  if (rand() < 0.05) headers.push(`X-Huge: ${'h'.repeat(int(80_000))}`);
  if (rand() < 0.1) headers.push(`${garbage(int(20))}: ${garbage(int(40))}`);
  const head = [line, ...headers].join(eol) + (rand() < 0.9 ? eol + eol : '');
  const tail = rand() < 0.4 ? randomBytes(int(300)) : Buffer.alloc(0);
  return {
    label: `#${i} ${JSON.stringify(head.slice(0, 200))} + ${tail.length} bytes`,
    bytes: Buffer.concat([Buffer.from(head, 'latin1'), tail]),
    end: rand() < 0.95,
  };
}

function generate(i: number): Case {
  if (rand() < 0.15) {
    const bytes = randomBytes(1 + int(600));
    return { label: `#${i} random ${bytes.subarray(0, 40).toString('hex')}…`, bytes, end: rand() < 0.95 };
  }
  return requestCase(i);
}

/** Sends one case and returns the first line the relay answered ('' when it just closed, 'fast-start' for a bare ServerKey frame). */
function exchange(port: number, c: Case): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1' });
    let got = Buffer.alloc(0);
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`still open ${HANDSHAKE_MS * 4} ms after ${c.label}: the handshake deadline did not close it`));
    }, HANDSHAKE_MS * 4);
    s.on('connect', () => {
      // Split the bytes at a random point: parsers must cope with any chunking.
      const cut = int(c.bytes.length + 1);
      s.write(c.bytes.subarray(0, cut));
      s.write(c.bytes.subarray(cut));
      if (c.end) s.end();
    });
    s.on('data', (d) => {
      if (got.length < 64) got = Buffer.concat([got, d]);
    });
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(timer);
      const serverKeyFrame = got[0] === 0x01 && got.subarray(5, 9).toString('latin1') === 'DERP';
      resolve(serverKeyFrame ? 'fast-start' : got.toString('latin1').split('\r\n')[0]);
    });
  });
}

let relay: TestRelay;
beforeAll(async () => {
  relay = await startRelay({ timing: { handshakeTimeoutMs: HANDSHAKE_MS }, maxHandshakesPerIp: CONCURRENCY * 4 });
});
afterAll(() => relay.stop());

describe('relay HTTP listener under generated hostile requests', () => {
  it(`survives ${CASES} seeded cases (seed ${SEED.toString(16)}) within ${TIME_BUDGET_MS / 1000} s, then still relays`, async () => {
    const cases = Array.from({ length: CASES }, (_, i) => generate(i));
    const statuses = new Map<string, number>();
    const t0 = performance.now();
    let next = 0;
    const worker = async () => {
      while (next < cases.length) {
        const c = cases[next++];
        const first = await exchange(relay.port, c);
        const status =
          first === '' || first === 'fast-start'
            ? first || 'closed'
            : (/^HTTP\/1\.1 (\d{3}) /.exec(first)?.[1] ?? `odd: ${first}`);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        if (status.startsWith('odd') || status.startsWith('5')) throw new Error(`answer "${first}" to ${c.label}`);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const elapsed = performance.now() - t0;
    expect(elapsed).toBeLessThan(TIME_BUDGET_MS);
    // The generator reaches the interesting answers, not only hang-ups.
    for (const s of ['101', '200', '400', '404', '426', '431'])
      expect(statuses.get(s) ?? 0, `status ${s} in ${JSON.stringify([...statuses])}`).toBeGreaterThan(0);
    expect(relay.logs.filter((l) => l.includes('handler failed'))).toEqual([]);

    const [a, b] = await Promise.all([DerpClient.connect({ url: relay.url }), DerpClient.connect({ url: relay.url })]);
    const got = new Promise<string>((r) => (b.onPacket = (_src, p) => r(p.toString())));
    a.send(b.publicKey, Buffer.from('after the fuzz'));
    expect(await got).toBe('after the fuzz');
    a.close();
    b.close();
  });
});
