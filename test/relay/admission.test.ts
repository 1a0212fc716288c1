/** Client verification: the allowlist file and derper's verify-client-url contract (headscale's /verify). */
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DerpClient } from '../../electron/derp/client.js';
import { formatNodePublic, generateKeyPair } from '../../electron/derp/keys.js';
import { AllowList, createAdmissionCheck, parseAllowList } from '../../electron/relay/admission.js';
import { silentLogger } from '../../electron/util/log.js';
import { admitted, eventually, startRelay } from '../helpers/relay.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'derpdesk-admission-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Connects and reports whether the relay kept the connection (denied clients are closed after the handshake). */
describe('allowlist', () => {
  it('parses nodekey lines with comments and reports bad lines by number', () => {
    const k = formatNodePublic(generateKeyPair().publicKey);
    const r = parseAllowList(`# my devices\n${k}  # laptop\n\nnodekey:zz\n`);
    expect([...r.keys]).toEqual([k]);
    expect(r.problems).toEqual(['line 4: node public key must be "nodekey:" followed by 64 hex characters']);
  });

  it('admits listed keys only, re-reads the file when it changes, and lists refusals', async () => {
    const alice = generateKeyPair();
    const bob = generateKeyPair();
    const file = path.join(dir, 'allow.txt');
    writeFileSync(file, `${formatNodePublic(alice.publicKey)}\n`);
    let clock = Date.now();
    const said: string[] = [];
    const list = new AllowList(file, { ...silentLogger, info: (m) => said.push(m) }, () => clock);
    await list.load();
    expect(said).toEqual([`admission: allowlist ${file}: 1 key`]);
    const relay = await startRelay({ admissionCheck: createAdmissionCheck({ allowList: list, logger: silentLogger }) });
    try {
      expect(await admitted(relay.url, alice)).toBe(true);
      expect(await admitted(relay.url, bob)).toBe(false);
      const denied = relay.service.derp.deniedClients();
      expect(denied.at(-1)).toMatchObject({ key: formatNodePublic(bob.publicKey), remoteAddress: '127.0.0.1' });
      expect(denied.at(-1)!.reason).toContain('not in the allowlist');
      expect(relay.logs.some((l) => l.includes(`${formatNodePublic(bob.publicKey)} rejected`))).toBe(true);
      expect(relay.service.derp.stats().counters.clientsDenied).toBe(1);

      writeFileSync(file, `${formatNodePublic(alice.publicKey)}\n${formatNodePublic(bob.publicKey)}\n`);
      utimesSync(file, new Date(), new Date(Date.now() + 5000));
      // The file is checked at most once a second.
      expect(await admitted(relay.url, bob)).toBe(false);
      clock += 1000;
      expect(await admitted(relay.url, bob)).toBe(true);
      expect(said.at(-1)).toBe(`admission: allowlist ${file}: 2 keys`);
    } finally {
      await relay.stop();
    }
  });

  it('lets mesh peers in without asking', async () => {
    const meshKey = 'cd'.repeat(32);
    const relay = await startRelay({ meshKey, admissionCheck: async () => 'nobody gets in' });
    try {
      const c = await DerpClient.connect({ url: relay.url, meshKey });
      expect(await c.ping()).toBeGreaterThan(0);
      c.close();
      expect(await admitted(relay.url)).toBe(false);
    } finally {
      await relay.stop();
    }
  });
});

describe('verify-client-url', () => {
  let controller: http.Server;
  let base: string;
  const seen: Array<{ NodePublic: string; Source: string }> = [];
  let answer: (key: string) => { status: number; body: string; delayMs?: number } = () => ({
    status: 200,
    body: '{"Allow":true}',
  });

  beforeAll(async () => {
    controller = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        const r = JSON.parse(body) as { NodePublic: string; Source: string };
        seen.push(r);
        const a = answer(r.NodePublic);
        setTimeout(() => res.writeHead(a.status, { 'Content-Type': 'application/json' }).end(a.body), a.delayMs ?? 0);
      });
    });
    await new Promise<void>((r) => controller.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(controller.address() as AddressInfo).port}/verify`;
  });
  afterAll(() => new Promise<void>((r) => controller.close(() => r())));

  it('posts derper\'s request and admits only 200 with {"Allow":true}', async () => {
    const relay = await startRelay({
      admissionCheck: createAdmissionCheck({ verifyUrl: { url: base, failOpen: false }, logger: silentLogger }),
    });
    try {
      const ok = generateKeyPair();
      answer = (k) =>
        k === formatNodePublic(ok.publicKey)
          ? { status: 200, body: '{"Allow":true}' }
          : { status: 200, body: '{"Allow":false}' };
      expect(await admitted(relay.url, ok)).toBe(true);
      expect(seen.at(-1)).toEqual({ NodePublic: formatNodePublic(ok.publicKey), Source: '127.0.0.1' });
      expect(await admitted(relay.url)).toBe(false);
      answer = () => ({ status: 403, body: '{"Allow":true}' });
      expect(await admitted(relay.url)).toBe(false);
      expect(relay.service.derp.deniedClients().at(-1)!.reason).toBe('admission controller answered 403 Forbidden');
      answer = () => ({ status: 200, body: 'yes please' });
      expect(await admitted(relay.url)).toBe(false);
    } finally {
      await relay.stop();
    }
  });

  it('fails open on transport errors only when told to', async () => {
    const unreachable = 'http://127.0.0.1:1/verify';
    for (const failOpen of [true, false]) {
      const relay = await startRelay({
        admissionCheck: createAdmissionCheck({ verifyUrl: { url: unreachable, failOpen }, logger: silentLogger }),
      });
      try {
        expect(await admitted(relay.url)).toBe(failOpen);
      } finally {
        await relay.stop();
      }
    }
    // A refusal is not a transport error: fail-open does not admit it.
    answer = () => ({ status: 500, body: '' });
    const relay = await startRelay({
      admissionCheck: createAdmissionCheck({ verifyUrl: { url: base, failOpen: true }, logger: silentLogger }),
    });
    try {
      expect(await admitted(relay.url)).toBe(false);
    } finally {
      await relay.stop();
    }
  });

  it('times out a slow controller after the configured time', async () => {
    answer = () => ({ status: 200, body: '{"Allow":true}', delayMs: 1500 });
    const relay = await startRelay({
      admissionCheck: createAdmissionCheck({
        verifyUrl: { url: base, failOpen: false, timeoutMs: 300 },
        logger: silentLogger,
      }),
    });
    try {
      expect(await admitted(relay.url)).toBe(false);
      await eventually(
        () =>
          relay.service.derp.deniedClients().some((d) => d.reason === 'admission controller unreachable (timed out)'),
        2000,
        'timeout denial',
      );
    } finally {
      await relay.stop();
    }
  });
});

describe('verify-client-url against a hostile or odd controller', () => {
  const HUGE_BYTES = 50 << 20;
  let controller: http.Server;
  let origin: string;
  let hugeBytesWritten = -1;
  const allowedKey = generateKeyPair();

  beforeAll(async () => {
    controller = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        const path = req.url ?? '/';
        if (path === '/verify' && req.method === 'POST') {
          const allow =
            (JSON.parse(body) as { NodePublic: string }).NodePublic === formatNodePublic(allowedKey.publicKey);
          res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ Allow: allow }));
        } else if (path === '/verify') {
          res.writeHead(405).end('POST only');
        } else if (path === '/found') {
          res.writeHead(302, { Location: '/verify' }).end();
        } else if (path === '/temporary') {
          res.writeHead(307, { Location: '/verify' }).end();
        } else if (path === '/loop') {
          res.writeHead(302, { Location: '/loop' }).end();
        } else if (path === '/huge') {
          void streamHuge(res);
        } else {
          res.writeHead(404).end();
        }
      });
    });
    await new Promise<void>((r) => controller.listen(0, '127.0.0.1', r));
    origin = `http://127.0.0.1:${(controller.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    controller.closeAllConnections();
    return new Promise<void>((r) => controller.close(() => r()));
  });

  /** A 200 whose body starts like an admission and goes on for 50 MB, as fast as the reader takes it. */
  async function streamHuge(res: http.ServerResponse): Promise<void> {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    const chunk = Buffer.alloc(64 << 10, 0x20);
    const head = '{"Allow":true,"pad":"';
    res.write(head);
    let written = head.length;
    let closed = false;
    res.once('close', () => (closed = true));
    while (written < HUGE_BYTES && !closed) {
      written += chunk.length;
      if (!res.write(chunk)) await new Promise((r) => res.once('drain', r).once('close', r));
    }
    hugeBytesWritten = written;
    res.end();
  }

  const relayWith = (url: string, failOpen: boolean) =>
    startRelay({ admissionCheck: createAdmissionCheck({ verifyUrl: { url, failOpen }, logger: silentLogger }) });

  it('follows a 307 with the POST, as derper does', async () => {
    const relay = await relayWith(`${origin}/temporary`, false);
    try {
      expect(await admitted(relay.url, allowedKey)).toBe(true);
      expect(await admitted(relay.url)).toBe(false);
    } finally {
      await relay.stop();
    }
  });

  it('does not admit through a redirect under fail-open: a 302 turns the POST into a GET the controller refuses', async () => {
    const relay = await relayWith(`${origin}/found`, true);
    try {
      expect(await admitted(relay.url)).toBe(false);
      expect(relay.service.derp.deniedClients().at(-1)!.reason).toBe(
        'admission controller answered 405 Method Not Allowed',
      );
    } finally {
      await relay.stop();
    }
  });

  it('denies after 10 redirects under fail-open instead of calling a loop unreachable', async () => {
    const relay = await relayWith(`${origin}/loop`, true);
    try {
      expect(await admitted(relay.url)).toBe(false);
      expect(relay.service.derp.deniedClients().at(-1)!.reason).toBe(
        'admission controller redirected more than 10 times',
      );
    } finally {
      await relay.stop();
    }
  });

  it('stops reading a 50 MB answer after 4 KiB and denies the client, saying why', async () => {
    const relay = await relayWith(`${origin}/huge`, true);
    try {
      const rssBefore = process.memoryUsage().rss;
      expect(await admitted(relay.url)).toBe(false);
      expect(relay.service.derp.deniedClients().at(-1)!.reason).toBe(
        'admission controller\'s answer is longer than 4096 bytes; it should be {"Allow":true} or {"Allow":false}',
      );
      await eventually(() => hugeBytesWritten >= 0, 5000, 'the controller to see the reader go away');
      // Socket buffers on both sides hold a few MB at most; a reader that read on would take all 50.
      expect(hugeBytesWritten).toBeLessThan(HUGE_BYTES / 4);
      expect(process.memoryUsage().rss - rssBefore).toBeLessThan(40 << 20);
    } finally {
      await relay.stop();
    }
  });

  it('keeps relaying between admitted clients while another is being refused', async () => {
    const friends = [generateKeyPair(), generateKeyPair()];
    const viaHuge = createAdmissionCheck({
      verifyUrl: { url: `${origin}/huge`, failOpen: true },
      logger: silentLogger,
    })!;
    const relay = await startRelay({
      admissionCheck: async (req) => (friends.some((f) => f.publicKey.equals(req.key)) ? null : viaHuge(req)),
    });
    try {
      const a = await DerpClient.connect({ url: relay.url, keyPair: friends[0] });
      const refused = admitted(relay.url);
      const b = await DerpClient.connect({ url: relay.url, keyPair: friends[1] });
      const got = new Promise<string>((r) => (b.onPacket = (_src, p) => r(p.toString())));
      a.send(b.publicKey, Buffer.from('still relaying'));
      expect(await got).toBe('still relaying');
      expect(await refused).toBe(false);
      a.close();
      b.close();
    } finally {
      await relay.stop();
    }
  });
});
