/**
 * derper's remaining flags: /bootstrap-dns (published and unpublished names, TXT rollout) resolved against a real
 * DNS server (pebble-challtestsrv), -home, -derp=false, the /debug/ index, -verify-clients against a LocalAPI
 * socket speaking tailscaled's whois contract, and Go duration flags.
 */
import { spawnSync } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planRelay } from '../../electron/cli/relay.js';
import { DerpClient } from '../../electron/derp/client.js';
import { formatNodePublic, generateKeyPair } from '../../electron/derp/keys.js';
import { createAdmissionCheck } from '../../electron/relay/admission.js';
import {
  BootstrapDns,
  inRolloutShare,
  parseBootstrapNames,
  serverResolver,
} from '../../electron/relay/bootstrap-dns.js';
import { parseGoDuration } from '../../electron/util/go-duration.js';
import { silentLogger } from '../../electron/util/log.js';
import { runCli, startCli, waitExit } from '../helpers/cli.js';
import { rawRequest } from '../helpers/http.js';
import { MockDns } from '../helpers/pebble.js';
import { admitted, eventually, sleep, startRelay } from '../helpers/relay.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'derpdesk-site-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function get(port: number, p: string, headers: Record<string, string> = {}) {
  return fetch(`http://127.0.0.1:${port}${p}`, { headers, redirect: 'manual' });
}

describe('Go durations, as derper flags take them', () => {
  it('parses Go syntax and refuses the rest', () => {
    expect(parseGoDuration('10m')).toBe(600_000);
    expect(parseGoDuration('1m30s')).toBe(90_000);
    expect(parseGoDuration('1.5h')).toBe(5_400_000);
    expect(parseGoDuration('250ms')).toBe(250);
    expect(parseGoDuration('0')).toBe(0);
    for (const bad of ['', '10', 'm', '-1s', '1d', '1s 2s']) expect(parseGoDuration(bad)).toBeNull();
  });

  it('plans derper command lines with the TCP knobs, and names a bad value', () => {
    const plan = planRelay(['-a', ':3340', '-tcp-write-timeout', '0', '-tcp-keepalive-time', '1m']);
    if (plan === 'help') throw new Error('help');
    expect(plan.writeTimeoutMs).toBe(Infinity);
    expect(plan.tcpKeepAliveMs).toBe(60_000);
    expect(plan.userTimeoutIgnored).toBeNull();
    const dev = ['-a', ':3340'];
    expect(() => planRelay([...dev, '-tcp-write-timeout', 'soon'])).toThrow(
      /-tcp-write-timeout "soon" is not a duration/,
    );
    expect(() => planRelay([...dev, '-home', 'ftp://x'])).toThrow(
      /-home "ftp:\/\/x" is not empty, "blank" or an http\(s\) URL/,
    );
    expect(() => planRelay([...dev, '-bootstrap-dns-names', 'ok.example,bad name'])).toThrow(
      /"bad name" is not a host name/,
    );
    const userTimeout = planRelay([...dev, '-tcp-user-timeout', '30s']);
    expect(userTimeout !== 'help' && userTimeout.userTimeoutIgnored).toBe('30s');
  });
});

describe('/bootstrap-dns', () => {
  let dns: MockDns;
  beforeAll(async () => {
    dns = await MockDns.start('');
    await dns.set('add-a', { host: 'controlplane.example.test', addresses: ['192.0.2.10', '192.0.2.11'] });
    await dns.set('add-aaaa', { host: 'controlplane.example.test', addresses: ['2001:db8::10'] });
    await dns.set('add-a', { host: 'hidden.example.test', addresses: ['192.0.2.20'] });
    await dns.set('set-txt', { host: 'rollout-all.example.test.', value: '100' });
    await dns.set('add-a', { host: 'dark.example.test', addresses: ['192.0.2.30'] });
    await dns.set('set-txt', { host: 'rollout-none.example.test.', value: '0' });
  });
  afterAll(() => dns.stop());

  it("answers published names as derper's JSON, unpublished ones only when asked for by q and in the rollout", async () => {
    const boot = new BootstrapDns({
      published: parseBootstrapNames('controlplane.example.test,missing.example.test', '-bootstrap-dns-names'),
      unpublished: parseBootstrapNames(
        'hidden.example.test/rollout-all.example.test,dark.example.test/rollout-none.example.test',
        '-unpublished-bootstrap-dns-names',
      ),
      resolver: serverResolver([dns.address]),
      logger: silentLogger,
    });
    await boot.start();
    const relay = await startRelay({ bootstrapDns: boot });
    try {
      const all = await get(relay.port, '/bootstrap-dns');
      expect(all.headers.get('content-type')).toBe('application/json');
      expect(all.headers.get('connection')).toBe('close');
      const text = await all.text();
      expect(text).toMatch(/^\{\n\t"controlplane\.example\.test": \[\n\t\t"/);
      const published = JSON.parse(text) as Record<string, string[]>;
      expect(Object.keys(published)).toEqual(['controlplane.example.test']);
      expect([...published['controlplane.example.test']].sort()).toEqual(['192.0.2.10', '192.0.2.11', '2001:db8::10']);

      expect(await (await get(relay.port, '/bootstrap-dns?q=hidden.example.test')).json()).toEqual({
        'hidden.example.test': ['192.0.2.20'],
      });
      // Out of the rollout (0%) or unknown: the published list, never the hidden address.
      expect(await (await get(relay.port, '/bootstrap-dns?q=dark.example.test')).json()).toEqual(published);
      expect(await (await get(relay.port, '/bootstrap-dns?q=other.example.test')).json()).toEqual(published);
      expect(boot.counters).toMatchObject({ requests: 4, unpublishedHits: 2, unpublishedPercentMisses: 1 });
      const varz = await (await get(relay.port, '/debug/varz')).text();
      expect(varz).toContain('counter_bootstrap_dns_requests 4');
      // A hostile query (huge, malformed escapes) gets the published list, and the relay keeps relaying.
      for (const q of ['x'.repeat(4000), '%zz%E0%A4', 'hidden.example.test%00'])
        expect(await (await get(relay.port, `/bootstrap-dns?q=${q}`)).json()).toEqual(published);
      expect((await get(relay.port, `/bootstrap-dns?q=${'x'.repeat(60_000)}`)).status).toBe(431);
      expect(await admitted(relay.url)).toBe(true);
    } finally {
      boot.stop();
      await relay.stop();
    }
  });

  it('keeps a name that stops resolving out of the next answer, and answers {} with no names', async () => {
    const boot = new BootstrapDns({
      published: parseBootstrapNames('gone.example.test', '-bootstrap-dns-names'),
      unpublished: [],
      resolver: serverResolver([dns.address]),
      logger: silentLogger,
    });
    await dns.set('add-a', { host: 'gone.example.test', addresses: ['192.0.2.40'] });
    await boot.refresh();
    const relay = await startRelay({ bootstrapDns: boot });
    const bare = await startRelay();
    try {
      expect(await (await get(relay.port, '/bootstrap-dns')).json()).toEqual({ 'gone.example.test': ['192.0.2.40'] });
      await dns.set('clear-a', { host: 'gone.example.test' });
      await boot.refresh();
      expect(await (await get(relay.port, '/bootstrap-dns')).json()).toEqual({});
      expect(await (await get(bare.port, '/bootstrap-dns')).text()).toBe('{}');
    } finally {
      await relay.stop();
      await bare.stop();
    }
  });

  it('gives each client a stable rollout answer', () => {
    const share = 0.3;
    const ips = Array.from({ length: 2000 }, (_, i) => `10.${(i >> 8) & 255}.${i & 255}.7`);
    const inside = ips.filter((ip) => inRolloutShare(ip, share)).length / ips.length;
    expect(inside).toBeGreaterThan(0.25);
    expect(inside).toBeLessThan(0.35);
    expect(ips.every((ip) => inRolloutShare(ip, share) === inRolloutShare(ip, share))).toBe(true);
  });
});

describe('-home, -derp=false and /debug/', () => {
  it('serves the default page with a debug link for loopback, a blank page, or a redirect', async () => {
    const def = await startRelay();
    const blank = await startRelay({ home: { kind: 'blank' } });
    const away = await startRelay({ home: { kind: 'redirect', url: 'https://example.com/derp-info' } });
    try {
      const page = await (await get(def.port, '/')).text();
      expect(page).toContain('<h1>DERP</h1>');
      expect(page).toContain("href='/debug/'");
      expect(await (await get(def.port, '/', { 'X-Forwarded-For': '198.51.100.1' })).text()).not.toContain('/debug/');
      const b = await get(blank.port, '/');
      expect(b.status).toBe(200);
      expect(await b.text()).toBe('');
      const r = await get(away.port, '/');
      expect(r.status).toBe(302);
      expect(r.headers.get('location')).toBe('https://example.com/derp-info');
    } finally {
      await Promise.all([def.stop(), blank.stop(), away.stop()]);
    }
  });

  it('answers /derp with 404 when DERP is off, and keeps the probes and bootstrap DNS', async () => {
    const relay = await startRelay({ derpEnabled: false });
    try {
      await expect(DerpClient.connect({ url: relay.url, keyPair: generateKeyPair() })).rejects.toThrow(/404/);
      const upgrade = await rawRequest(
        relay.port,
        'GET /derp HTTP/1.1\r\nHost: x\r\nUpgrade: DERP\r\nConnection: Upgrade\r\n\r\n',
      );
      expect(upgrade.status).toBe(404);
      expect(upgrade.body).toBe('derp server disabled\n');
      expect((await get(relay.port, '/derp/probe')).status).toBe(200);
      expect((await get(relay.port, '/bootstrap-dns')).status).toBe(200);
      expect(await (await get(relay.port, '/')).text()).toContain('Status: <b>disabled</b>');
    } finally {
      await relay.stop();
    }
  });

  it('lists the debug endpoints and facts for loopback only, with names escaped', async () => {
    const relay = await startRelay({ hostname: 'derp<b>.example', meshKey: 'a'.repeat(64) });
    try {
      expect((await get(relay.port, '/debug')).headers.get('location')).toBe('/debug/');
      const index = await get(relay.port, '/debug/');
      expect(index.status).toBe(200);
      const html = await index.text();
      expect(html).toContain('<b>TLS hostname:</b> derp&lt;b&gt;.example');
      expect(html).toContain('<b>Mesh key:</b> configured');
      expect(html).toContain('<a href="/debug/varz">/debug/varz</a>');
      expect((await get(relay.port, '/debug/', { 'X-Forwarded-For': '198.51.100.1' })).status).toBe(403);
    } finally {
      await relay.stop();
    }
  });
});

describe('-verify-clients: the local tailscaled decides', () => {
  let localApi: http.Server;
  const socketPath = path.join(tmp, 'tailscaled.sock');
  const known = generateKeyPair();
  const asked: Array<{ path: string; host: string | undefined }> = [];
  let broken = false;

  beforeAll(async () => {
    localApi = http.createServer((req, res) => {
      asked.push({ path: req.url ?? '', host: req.headers.host });
      const addr = new URL(req.url ?? '/', 'http://x').searchParams.get('addr');
      if (broken) res.writeHead(400).end("invalid 'addr' parameter");
      else if (addr === formatNodePublic(known.publicKey)) res.writeHead(200).end('{"Node":{}}');
      else res.writeHead(404).end('peer not found');
    });
    await new Promise<void>((r) => localApi.listen(socketPath, r));
  });
  afterAll(() => new Promise<void>((r) => localApi.close(() => r())));

  it('admits a node key tailscaled knows, refuses others, and says why', async () => {
    const relay = await startRelay({
      admissionCheck: createAdmissionCheck({ tailscaledSocket: socketPath, logger: silentLogger }),
    });
    try {
      expect(await admitted(relay.url, known)).toBe(true);
      expect(asked.at(-1)).toEqual({
        path: `/localapi/v0/whois?addr=${encodeURIComponent(formatNodePublic(known.publicKey))}`,
        host: 'local-tailscaled.sock',
      });
      const stranger = generateKeyPair();
      expect(await admitted(relay.url, stranger)).toBe(false);
      expect(relay.service.derp.deniedClients().at(-1)!.reason).toBe(
        `${formatNodePublic(stranger.publicKey)} not authorized (not found in local tailscaled)`,
      );
      broken = true;
      expect(await admitted(relay.url, known)).toBe(false);
      expect(relay.service.derp.deniedClients().at(-1)!.reason).toMatch(/tailscaled is too old/);
    } finally {
      broken = false;
      await relay.stop();
    }
  });

  it('refuses everyone while no tailscaled listens (it never fails open)', async () => {
    const relay = await startRelay({
      admissionCheck: createAdmissionCheck({ tailscaledSocket: path.join(tmp, 'absent.sock'), logger: silentLogger }),
    });
    try {
      expect(await admitted(relay.url, known)).toBe(false);
      expect(relay.service.derp.deniedClients().at(-1)!.reason).toMatch(/cannot ask the local tailscaled .* ENOENT/);
    } finally {
      await relay.stop();
    }
  });
});

describe('derpdesk relay with the site flags', () => {
  it('documents them and serves bootstrap DNS from the system resolver with DERP off', async () => {
    const help = await runCli(['relay', '--help'], { DERPDESK_DATA_DIR: tmp });
    for (const f of [
      '-derp',
      '-home what',
      '-bootstrap-dns-names names',
      '-unpublished-bootstrap-dns-names names',
      '-verify-clients',
      '-socket path',
      '-tcp-keepalive-time duration',
      '-tcp-user-timeout duration',
      '-tcp-write-timeout duration',
    ])
      expect(help.stdout).toContain(f);
    const r = await startCli(
      [
        'relay',
        '-a',
        '127.0.0.1:0',
        '-stun=false',
        '-derp=false',
        '-home',
        'blank',
        '-bootstrap-dns-names',
        'localhost',
        '-verify-clients',
        '-socket',
        path.join(tmp, 'nobody.sock'),
      ],
      /listening on http:\/\/127\.0\.0\.1:(\d+)\/derp/,
      { DERPDESK_DATA_DIR: tmp },
    );
    try {
      const port = Number(r.match[1]);
      await eventually(
        async () => 'localhost' in ((await (await get(port, '/bootstrap-dns')).json()) as object),
        5000,
        'localhost in /bootstrap-dns',
      );
      const answer = (await (await get(port, '/bootstrap-dns')).json()) as Record<string, string[]>;
      expect(answer.localhost).toContain('127.0.0.1');
      expect(await (await get(port, '/')).text()).toBe('');
      expect((await get(port, '/derp')).status).toBe(404);
      expect(r.output()).toContain('-derp=false: /derp answers 404');
      expect(r.output()).toContain(`-verify-clients: no tailscaled socket at ${path.join(tmp, 'nobody.sock')}`);
    } finally {
      r.child.kill('SIGTERM');
      await waitExit(r.child);
    }
  });
});

describe('-tcp-keepalive-time', () => {
  it('arms TCP keepalives on accepted connections with the given idle time, as the kernel reports them', async (ctx) => {
    if (spawnSync('ss', ['-V']).status !== 0) ctx.skip();
    const relay = await startRelay({ tcpKeepAliveMs: 90_000 });
    const off = await startRelay({ tcpKeepAliveMs: 0 });
    try {
      const timers = async (port: number) => {
        const c = net.connect(port, '127.0.0.1');
        await new Promise((r) => c.once('connect', r));
        await sleep(100);
        const out = spawnSync('ss', ['-tnoH', 'state', 'established', `( sport = :${port} )`]).stdout.toString();
        c.destroy();
        return out;
      };
      // ss prints the keepalive timer of the relay's side, e.g. timer:(keepalive,1min29sec,0).
      expect(await timers(relay.port)).toMatch(/timer:\(keepalive,1min2\d+sec,0\)/);
      expect(await timers(off.port)).not.toContain('keepalive');
    } finally {
      await Promise.all([relay.stop(), off.stop()]);
    }
  });
});
