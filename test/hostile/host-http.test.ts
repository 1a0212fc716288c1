/**
 * `derpdesk host` under hostile input: thousands of generated HTTP requests (request lines, targets, Host and
 * Origin headers, WebSocket handshakes, raw bytes) on the page and upgrade paths, then garbage on the bridge
 * before and after authentication. Seeded (HOSTILE_SEED to replay), concurrency-limited, loopback only. After
 * every batch an authenticated client must still get relay.getState answered.
 */
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { MAX_CALLS_IN_FLIGHT, MAX_MESSAGE_BYTES } from '../../electron/headless/bridge.js';
import { CONTENT_SECURITY_POLICY, type RunningHost } from '../../electron/headless/host.js';
import { BRIDGE_CLOSE_UNAUTHORIZED, CALL_NAMES } from '../../shared/api.js';
import { rawRequest, type RawAnswer } from '../helpers/http.js';
import { startTestHost, type TestHost } from '../helpers/host.js';
import { prng } from '../helpers/prng.js';

const SEED = Number(process.env.HOSTILE_SEED ?? 0x5eed);
const HTTP_REQUESTS = 3000;
const CONCURRENCY = 16;
/** Short, so that silent sockets are closed within the test; the logic is the same as the 5 s default. */
const AUTH_DEADLINE_MS = 1200;

let t: TestHost;
let host: RunningHost;

beforeAll(async () => {
  t = await startTestHost('hostile', { host: { hostNames: ['derp.example.test'], authDeadlineMs: AUTH_DEADLINE_MS } });
  host = t.host;
  writeFileSync(path.join(t.dir, 'secret.txt'), 'outside the static dir');
});
afterAll(async () => {
  await t?.close();
});

async function pool<T>(items: T[], limit: number, run: (item: T) => Promise<void>): Promise<void> {
  let i = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (i < items.length) await run(items[i++]);
    }),
  );
}

/** Opens the bridge the right way and asks for the relay state: the host is alive and serving. */
async function stillServes(): Promise<void> {
  const ws = new WebSocket(`ws://127.0.0.1:${host.port}/api`, { origin: `http://127.0.0.1:${host.port}` });
  try {
    const answer = await new Promise<unknown>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no answer to relay.getState within 3 s')), 3000);
      ws.on('open', () => ws.send(JSON.stringify({ auth: host.token })));
      ws.on('message', (d) => {
        const m = JSON.parse(String(d));
        if (m.authed) ws.send(JSON.stringify({ id: 7, call: 'relay.getState', args: [] }));
        else if (m.id === 7) {
          clearTimeout(t);
          resolve(m);
        }
      });
      ws.on('close', (code) => reject(new Error(`bridge closed with ${code}`)));
      ws.on('error', reject);
    });
    expect(answer).toEqual({ id: 7, ok: true, result: { status: 'stopped' } });
  } finally {
    ws.terminate();
  }
}

interface Generated {
  text: string | Buffer;
  /** Whether the Host and Origin headers were this host's own, and the target /api for an upgrade. */
  ownHost: boolean;
  ownOrigin: boolean;
  upgrade: boolean;
  target: string;
}

function generateRequests(seed: number, count: number, port: number): Generated[] {
  const r = prng(seed);
  // No PRI: Node's parser then waits for the rest of an HTTP/2 preface, which only headersTimeout ends.
  const METHODS = [
    'GET',
    'GET',
    'GET',
    'HEAD',
    'POST',
    'PUT',
    'DELETE',
    'OPTIONS',
    'TRACE',
    'CONNECT',
    'PATCH',
    'get',
    'G\x00T',
    'GET GET',
  ];
  const PARTS = [
    '/',
    '/api',
    '/index.html',
    '/assets/',
    'app.js',
    '..',
    '../',
    '%',
    '%zz',
    '%E0%A4%A',
    '%00',
    '%2e%2e%2f',
    '%2F',
    '%c0%af',
    '?',
    '?token=x',
    '#',
    '\u00e9',
    '\u{1f600}',
    '//',
    '\\',
    ';',
    '*',
    '%%',
    '%u0041',
    '\x7f',
    'secret.txt',
    'api',
    '.%2e/',
  ];
  const ABSOLUTE = [
    'http://[',
    'http://127.0.0.1/',
    `http://127.0.0.1:${port}/api`,
    'https://evil.example/',
    '127.0.0.1:443',
    'http://[::1]:80/%',
    '*',
  ];
  const OWN_HOSTS = [
    '127.0.0.1',
    `127.0.0.1:${port}`,
    `localhost:${port}`,
    'LOCALHOST',
    `[::1]:${port}`,
    'derp.example.test',
    '127.0.0.9:1',
  ];
  const OTHER_HOSTS = [
    'evil.example',
    `evil.example:${port}`,
    '127.0.0.1.nip.io',
    'localhost.evil.example',
    '10.0.0.1',
    '[::2]',
    '',
    '[',
    'a b',
    'x:y',
    'h'.repeat(300),
    '127.0.0.1:99999',
    '-x',
    'derp.example.test.evil.example',
  ];
  const ORIGINS = [
    'http://evil.example',
    'null',
    'http://[',
    `https://127.0.0.1:${port}`,
    `http://127.0.0.1:${port + 1}`,
    'file://',
    `http://localhost:${port}`,
    '',
  ];
  const KEYS = ['dGhlIHNhbXBsZSBub25jZQ==', 'short', '', '!!!!!!!!!!!!!!!!!!!!!!=='];
  const out: Generated[] = [];
  for (let n = 0; n < count; n++) {
    if (r.chance(0.04)) {
      out.push({
        text: Buffer.from(Array.from({ length: r.int(2000) }, () => r.int(256))),
        ownHost: false,
        ownOrigin: false,
        upgrade: false,
        target: '',
      });
      continue;
    }
    // A third start from a request that would succeed and change little, so that the answers span 101 and 200
    // as well as every refusal.
    const nearlyValid = r.chance(0.35);
    const method = nearlyValid ? 'GET' : r.pick(METHODS);
    const target = nearlyValid
      ? r.pick(['/api', '/api', '/', '/assets/app.js', '/api?token=x', '/%61pi'])
      : r.chance(0.1)
        ? r.pick(ABSOLUTE)
        : '/' + Array.from({ length: r.int(6) }, () => r.pick(PARTS)).join(r.pick(['', '/']));
    const version =
      nearlyValid || r.chance(0.95)
        ? 'HTTP/1.1'
        : r.pick(['HTTP/1.0', 'HTTP/2.0', 'HTTP/9.9', 'HTTP/1.1 extra', 'FTP/1.0', '']);
    const lines = [`${method} ${target} ${version}`];
    let ownHost = false;
    if (nearlyValid || !r.chance(0.05)) {
      ownHost = r.chance(nearlyValid ? 0.85 : 0.6);
      lines.push(`Host: ${ownHost ? r.pick(OWN_HOSTS) : r.pick(OTHER_HOSTS)}`);
      if (r.chance(0.03)) lines.push(`Host: ${r.pick(OTHER_HOSTS)}`);
    }
    const hostValue = lines[1]?.slice(6) ?? '';
    let ownOrigin = true;
    if (r.chance(0.4)) {
      const own = r.chance(0.4);
      ownOrigin = own;
      lines.push(`Origin: ${own ? `http://${hostValue}` : r.pick(ORIGINS)}`);
    }
    const upgrade = r.chance(nearlyValid ? 0.6 : 0.4);
    if (upgrade) {
      const valid = nearlyValid && r.chance(0.8);
      lines.push(
        `Upgrade: ${valid ? 'websocket' : r.pick(['websocket', 'WebSocket', 'h2c', ''])}`,
        `Connection: ${valid ? 'Upgrade' : r.pick(['Upgrade', 'upgrade', 'keep-alive, Upgrade', 'close'])}`,
      );
      if (valid || r.chance(0.9)) lines.push(`Sec-WebSocket-Key: ${valid ? KEYS[0] : r.pick(KEYS)}`);
      if (valid || r.chance(0.9)) lines.push(`Sec-WebSocket-Version: ${valid ? '13' : r.pick(['13', '8', '99', 'x'])}`);
      if (r.chance(0.1)) lines.push(`Sec-WebSocket-Protocol: ${r.pick(['a,,b', ' ', 'x y', 'chat'])}`);
    }
    if (!nearlyValid && r.chance(0.1))
      lines.push(
        r.pick([
          'Content-Length: abc',
          'Content-Length: 5',
          'Transfer-Encoding: chunked',
          'X-Junk: \x01\x02',
          'NoColon',
          ': empty-name',
          `X-Long: ${'a'.repeat(20_000)}`,
          'Cookie: token=x',
        ]),
      );
    out.push({ text: lines.join('\r\n') + '\r\n\r\n', ownHost, ownOrigin, upgrade, target });
  }
  return out;
}

function decodedPath(target: string): string | null {
  try {
    return decodeURIComponent(target.split(/[?#]/, 1)[0]);
  } catch {
    return null;
  }
}

describe('derpdesk host under hostile HTTP', () => {
  it(`answers ${HTTP_REQUESTS} generated requests with a refusal or a page, never a crash or a hang (seed ${SEED})`, async () => {
    const requests = generateRequests(SEED, HTTP_REQUESTS, host.port);
    const statuses = new Map<number, number>();
    const problems: string[] = [];
    const t0 = Date.now();
    for (let batch = 0; batch < requests.length; batch += 1000) {
      await pool(requests.slice(batch, batch + 1000), CONCURRENCY, async (g) => {
        let a: RawAnswer;
        try {
          a = await rawRequest(host.port, g.text);
        } catch (err) {
          problems.push(`${(err as Error).message}`);
          return;
        }
        statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
        const what = JSON.stringify(String(g.text).slice(0, 120));
        if (![0, 101, 200, 400, 403, 404, 405, 408, 421, 431, 503].includes(a.status))
          problems.push(`${a.status} for ${what}`);
        if ((a.status === 200 || a.status === 101) && !(g.ownHost && g.ownOrigin))
          problems.push(`${a.status} despite a foreign Host or Origin: ${what}`);
        if (a.status === 101 && !(g.upgrade && decodedPath(g.target) === '/api'))
          problems.push(`101 off /api: ${what}`);
        if (
          a.status !== 0 &&
          a.status !== 101 &&
          (a.headers['content-security-policy'] !== CONTENT_SECURITY_POLICY ||
            a.headers['cache-control'] !== 'no-store')
        ) {
          problems.push(`${a.status} without the security headers: ${what}`);
        }
        if (a.body.includes('outside the static dir')) problems.push(`served a file outside the static dir: ${what}`);
      });
      await stillServes();
    }
    const elapsed = Date.now() - t0;
    console.log(
      `hostile HTTP, seed ${SEED}: ${requests.length} requests in ${elapsed} ms, statuses ${JSON.stringify(Object.fromEntries(statuses))}`,
    );
    expect(problems.slice(0, 20)).toEqual([]);
    // The generator reaches every kind of answer, or it is not testing what it claims.
    for (const s of [101, 200, 400, 403, 404, 421])
      expect(statuses.get(s) ?? 0, `answers with ${s}`).toBeGreaterThan(0);
  });
});

type Close = { code: number; received: string[] };

/** Opens /api, sends `messages` one after another, and waits for the host to close the socket. */
function exchange(
  messages: Array<{ data: string | Buffer; binary?: boolean }>,
  timeoutMs = AUTH_DEADLINE_MS + 3000,
): Promise<Close> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${host.port}/api`);
    const received: string[] = [];
    const t = setTimeout(() => {
      ws.terminate();
      reject(new Error(`socket still open after ${timeoutMs} ms`));
    }, timeoutMs);
    ws.on('open', () => {
      for (const m of messages) ws.send(m.data, { binary: m.binary ?? false });
    });
    ws.on('message', (d) => received.push(String(d)));
    ws.on('close', (code) => {
      clearTimeout(t);
      resolve({ code, received });
    });
    ws.on('error', () => {});
  });
}

/** A WebSocket handshake by hand, then raw bytes that are not valid frames. */
function rawFrames(bytes: Buffer): Promise<void> {
  return new Promise((resolve) => {
    const s = net.connect(host.port, '127.0.0.1', () => {
      s.write(
        `GET /api HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`,
      );
      s.write(bytes);
    });
    const t = setTimeout(() => s.destroy(), AUTH_DEADLINE_MS + 2000);
    s.on('data', () => {});
    s.on('close', () => {
      clearTimeout(t);
      resolve();
    });
    s.on('error', () => {});
  });
}

describe('derpdesk host under hostile bridge messages', () => {
  it('closes unauthenticated sockets on any garbage, answering nothing and pushing no event', async () => {
    const r = prng(SEED + 1);
    const token = host.token;
    const SHAPES = [
      'null',
      '[]',
      '"str"',
      '42',
      '{}',
      '{"auth":5}',
      '{"auth":null}',
      '{"auth":""}',
      `{"auth":[${JSON.stringify(token)}]}`,
      '{"auth":{"toString":1}}',
      `{"Auth":${JSON.stringify(token)}}`,
      `{"token":${JSON.stringify(token)}}`,
      '{"id":1,"call":"relay.getState","args":[]}',
      '{"id":1,"call":"relay.start","args":[]}',
      `{"__proto__":{"auth":${JSON.stringify(token)}}}`,
    ];
    const WRONG = [
      token.slice(1),
      `${token}x`,
      token.toUpperCase() === token ? token.toLowerCase() : token.toUpperCase(),
      ` ${token}`,
      `${token}\u0000`,
      token.slice(0, -1) + '\u00e9',
    ];
    type Case = { messages: Array<{ data: string | Buffer; binary?: boolean }>; codes: number[] };
    const cases: Case[] = [];
    for (let n = 0; n < 300; n++) {
      const kind = r.int(6);
      if (kind === 0)
        cases.push({
          messages: [{ data: Buffer.from(Array.from({ length: 1 + r.int(64) }, () => r.int(256))), binary: true }],
          codes: [1003],
        });
      else if (kind === 1)
        cases.push({
          messages: [{ data: r.pick(['{', 'not json', '{"auth":', '\u0000', "{'auth':1}", 'NaN', '[1,]']) }],
          codes: [1007],
        });
      else if (kind === 2) cases.push({ messages: [{ data: r.pick(SHAPES) }], codes: [BRIDGE_CLOSE_UNAUTHORIZED] });
      else if (kind === 3)
        cases.push({
          messages: [{ data: JSON.stringify({ auth: r.pick(WRONG) }) }, { data: JSON.stringify({ auth: token }) }],
          codes: [BRIDGE_CLOSE_UNAUTHORIZED],
        });
      else if (kind === 4)
        cases.push({ messages: [{ data: JSON.stringify({ auth: token }), binary: true }], codes: [1003] });
      else
        cases.push({
          messages: [
            { data: JSON.stringify({ id: 1, call: 'relay.getState', args: [] }) },
            { data: JSON.stringify({ auth: token }) },
          ],
          codes: [BRIDGE_CLOSE_UNAUTHORIZED],
        });
    }
    // Oversized, and silent while stats events fire every second: both still get nothing.
    cases.push({ messages: [{ data: 'x'.repeat(MAX_MESSAGE_BYTES + 1) }], codes: [1009] });
    for (let n = 0; n < 5; n++) cases.push({ messages: [], codes: [BRIDGE_CLOSE_UNAUTHORIZED] });

    const problems: string[] = [];
    await pool(cases, CONCURRENCY, async (c) => {
      const got = await exchange(c.messages);
      const what = JSON.stringify(c.messages.map((m) => String(m.data).slice(0, 60)));
      if (got.received.length > 0)
        problems.push(`unauthenticated socket received ${JSON.stringify(got.received.slice(0, 2))} after ${what}`);
      if (!c.codes.includes(got.code)) problems.push(`closed with ${got.code}, expected ${c.codes} after ${what}`);
    });
    await pool(
      Array.from({ length: 20 }, (_, n) =>
        Buffer.from(Array.from({ length: 1 + prng(SEED + n).int(200) }, (_, i) => (i * 37 + n) & 0xff)),
      ),
      8,
      rawFrames,
    );
    expect(problems.slice(0, 20)).toEqual([]);
    await stillServes();
  });

  it('answers every garbage call of an authenticated socket with an error under its id, and stays up', async () => {
    const r = prng(SEED + 2);
    const SAFE = ['relay.getState', 'settings.get', 'peers.list', 'stats.history', 'relay.mapEntry', 'trust.get'];
    const JUNK = [
      null,
      0,
      -1,
      1e308,
      '',
      'x'.repeat(1000),
      [],
      {},
      [[[[[]]]]],
      { __proto__: { polluted: true } },
      true,
    ];
    const problems: string[] = [];
    let answered = 0;
    const sockets = Array.from({ length: 40 }, (_, n) => n);
    await pool(sockets, 8, async () => {
      const plan: Array<{ id: number; text: string; ok: boolean | null }> = [];
      for (let id = 1; id <= 60; id++) {
        const kind = r.int(5);
        let msg: unknown;
        let ok: boolean | null = false;
        if (kind === 0)
          msg = {
            id,
            call: r.pick([
              'no.such',
              '__proto__',
              'constructor',
              'toString',
              'relay.getState ',
              'RELAY.GETSTATE',
              '',
              'hasOwnProperty',
            ]),
            args: [],
          };
        else if (kind === 1)
          msg = { id, call: r.pick(CALL_NAMES), args: Array.from({ length: 3 + r.int(3) }, () => r.pick(JUNK)) };
        else if (kind === 2)
          msg = { id, call: r.pick(CALL_NAMES), args: r.pick(JUNK.filter((j) => !Array.isArray(j))) };
        else if (kind === 3) msg = { id, call: r.pick(JUNK), args: r.pick(JUNK) };
        else {
          msg = { id, call: r.pick(SAFE), args: [] };
          ok = null; // answered ok or, past the in-flight limit, with an error
        }
        plan.push({ id, text: JSON.stringify(msg), ok });
      }
      const ending = r.pick([
        { data: Buffer.from([1, 2, 3]), binary: true, code: 1003 },
        { data: 'not json', binary: false, code: 1007 },
        { data: 'x'.repeat(MAX_MESSAGE_BYTES + 1), binary: false, code: 1009 },
      ]);
      const ws = new WebSocket(`ws://127.0.0.1:${host.port}/api`);
      const answers = new Map<number, { ok: boolean; error?: string }>();
      const code = await new Promise<number>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('authenticated garbage: socket not closed in 8 s')), 8000);
        ws.on('open', () => ws.send(JSON.stringify({ auth: host.token })));
        ws.on('message', (d) => {
          const m = JSON.parse(String(d));
          if (m.authed) {
            for (const p of plan) ws.send(p.text);
            // Also a message with no usable id: answered under id -1.
            ws.send(JSON.stringify({ call: 'no.such', args: [] }));
            return;
          }
          if ('event' in m) return;
          if (answers.has(m.id)) problems.push(`id ${m.id} answered twice`);
          answers.set(m.id, m);
          if (answers.size === plan.length + 1) ws.send(ending.data, { binary: ending.binary });
        });
        ws.on('close', (c) => {
          clearTimeout(t);
          resolve(c);
        });
        ws.on('error', () => {});
      });
      if (code !== ending.code) problems.push(`closed with ${code}, expected ${ending.code}`);
      for (const p of plan) {
        const a = answers.get(p.id);
        if (!a) problems.push(`no answer to ${p.text.slice(0, 80)}`);
        else if (p.ok === false && a.ok) problems.push(`accepted ${p.text.slice(0, 80)}`);
        else if (!a.ok && typeof a.error !== 'string')
          problems.push(`error without a message for ${p.text.slice(0, 80)}`);
      }
      if (answers.get(-1)?.ok !== false) problems.push('a call without an id was not answered under id -1');
      answered += answers.size;
    });
    expect(problems.slice(0, 20)).toEqual([]);
    expect(answered).toBe(40 * 61);
    await stillServes();
  });

  it('answers a burst of calls past the in-flight limit with errors, not a queue without bound', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${host.port}/api`);
    const answers: Array<{ id: number; ok: boolean; error?: string }> = [];
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('burst not answered in 5 s')), 5000);
      ws.on('open', () => ws.send(JSON.stringify({ auth: host.token })));
      ws.on('message', (d) => {
        const m = JSON.parse(String(d));
        if (m.authed) {
          // One frame-batch: the host parses them all before any call settles.
          for (let id = 1; id <= 500; id++) ws.send(JSON.stringify({ id, call: 'relay.getState', args: [] }));
        } else if (!('event' in m)) {
          answers.push(m);
          if (answers.length === 500) {
            clearTimeout(t);
            resolve();
          }
        }
      });
      ws.on('error', reject);
    });
    ws.close();
    expect(new Set(answers.map((a) => a.id)).size).toBe(500);
    expect(answers.filter((a) => a.ok).length).toBeGreaterThanOrEqual(MAX_CALLS_IN_FLIGHT);
    expect(answers.filter((a) => !a.ok).length).toBeGreaterThan(0);
    for (const a of answers.filter((x) => !x.ok)) expect(a.error).toContain('calls in flight');
    await stillServes();
  });
});
