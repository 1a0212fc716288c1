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
import { eventually, sleep, startRelay } from '../helpers/relay.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'derpdesk-admission-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Connects and reports whether the relay kept the connection (denied clients are closed after the handshake). */
async function admitted(url: string, keyPair = generateKeyPair()): Promise<boolean> {
  const c = await DerpClient.connect({ url, keyPair }).catch(() => null);
  if (!c) return false;
  try {
    await c.ping(2000);
    return true;
  } catch {
    return false;
  } finally {
    c.close();
  }
}

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
    const list = new AllowList(file, silentLogger);
    await list.load();
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
      await sleep(1100);
      expect(await admitted(relay.url, bob)).toBe(true);
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
  let answer: (key: string) => { status: number; body: string; delayMs?: number } = () => ({ status: 200, body: '{"Allow":true}' });

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
    const relay = await startRelay({ admissionCheck: createAdmissionCheck({ verifyUrl: { url: base, failOpen: false }, logger: silentLogger }) });
    try {
      const ok = generateKeyPair();
      answer = (k) => (k === formatNodePublic(ok.publicKey) ? { status: 200, body: '{"Allow":true}' } : { status: 200, body: '{"Allow":false}' });
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
      const relay = await startRelay({ admissionCheck: createAdmissionCheck({ verifyUrl: { url: unreachable, failOpen }, logger: silentLogger }) });
      try {
        expect(await admitted(relay.url)).toBe(failOpen);
      } finally {
        await relay.stop();
      }
    }
    // A refusal is not a transport error: fail-open does not admit it.
    answer = () => ({ status: 500, body: '' });
    const relay = await startRelay({ admissionCheck: createAdmissionCheck({ verifyUrl: { url: base, failOpen: true }, logger: silentLogger }) });
    try {
      expect(await admitted(relay.url)).toBe(false);
    } finally {
      await relay.stop();
    }
  });

  it('times out a slow controller after the configured time', async () => {
    answer = () => ({ status: 200, body: '{"Allow":true}', delayMs: 1500 });
    const relay = await startRelay({ admissionCheck: createAdmissionCheck({ verifyUrl: { url: base, failOpen: false, timeoutMs: 300 }, logger: silentLogger }) });
    try {
      expect(await admitted(relay.url)).toBe(false);
      await eventually(() => relay.service.derp.deniedClients().some((d) => d.reason === 'admission controller unreachable (timed out)'), 2000, 'timeout denial');
    } finally {
      await relay.stop();
    }
  });
});
