import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  entryProblems,
  hostResolves,
  isLoopbackHost,
  proposeFix,
  reachableAddresses,
} from '../../electron/app/entry-check.js';
import { buildMapEntry } from '../../electron/app/map-entry.js';
import { createAppServices, type AppServices } from '../../electron/app/services.js';
import { startStunRunner } from '../../electron/app/stun-runner.js';
import { StatsHistory, type CounterSnapshot } from '../../electron/app/stats-sampler.js';
import { runChecks } from '../../electron/diagnostics/engine.js';
import { silentLogger } from '../../electron/util/log.js';
import type { DerpMap } from '../../shared/derpmap/model.js';
import type { CheckReport } from '../../shared/diagnostics.js';
import { DEFAULT_SETTINGS, type RelaySettings } from '../../shared/settings.js';

const snap = (at: number, n: number): CounterSnapshot => ({
  at,
  bytesIn: n * 1000,
  bytesOut: n * 900,
  packetsIn: n * 10,
  packetsOut: n * 9,
  drops: n,
  clients: 3,
  stunRequests: n * 2,
});

describe('StatsHistory', () => {
  it('turns counters into per-second rates and keeps the last 300 samples, oldest first', () => {
    const h = new StatsHistory();
    for (let i = 0; i <= 400; i++) h.add(snap(i * 1000, i * i));
    const five = h.history('5m');
    expect(five.length).toBe(300);
    expect(five[0].t).toBe(101_000);
    expect(five[299].t).toBe(400_000);
    // From n=399² to n=400²: 799 units in one second.
    expect(five[299].bytesInPerSec).toBe(799_000);
    expect(five[299].packetsOutPerSec).toBe(799 * 9);
    expect(five[299].stunPerSec).toBe(799 * 2);
    expect(five[299].clients).toBe(3);
  });

  it('treats counters that go backwards (relay restarted) as starting from zero', () => {
    const h = new StatsHistory();
    h.add(snap(0, 100));
    const s = h.add(snap(2000, 4));
    expect(s.bytesInPerSec).toBe(2000);
  });

  it('keeps an hour at 10 s and a day at 2 min, each point the average of its seconds and the peak of clients', () => {
    const h = new StatsHistory();
    // 26 hours of one sample a second; drops rise by the second's number within each minute (0..59, mean 29.5).
    let drops = 0;
    const day = 26 * 3600;
    for (let i = 1; i <= day; i++) {
      drops += i % 60;
      h.add({ ...snap(i * 1000, 0), drops, clients: i % 600 === 0 ? 9 : 2 });
    }
    const hour = h.history('1h');
    expect(hour.length).toBe(360);
    expect(hour[359].t).toBe(day * 1000);
    expect(hour[0].t).toBe((day - 3590) * 1000);
    // A 10 s step ending at a multiple of 10 s covers seconds ending in 1..10.
    const tenS = hour[100];
    const secondsOf = (t: number) => Array.from({ length: 10 }, (_, k) => (t / 1000 - 9 + k) % 60);
    expect(tenS.dropsPerSec).toBeCloseTo(secondsOf(tenS.t).reduce((a, b) => a + b) / 10, 6);
    const whole = h.history('24h');
    expect(whole.length).toBe(720);
    expect(whole[719].t).toBe(day * 1000);
    expect(whole[719].t - whole[0].t).toBe(719 * 120_000);
    for (const p of whole) expect(p.dropsPerSec).toBeCloseTo(29.5, 6);
    // Every 10 minutes 9 clients for one second: a 2-minute step holding that second shows the peak.
    expect(whole.filter((p) => p.clients === 9).length).toBe(144);
    expect(whole.every((p) => p.clients === 9 || p.clients === 2)).toBe(true);
  });
});

describe('DERP map entry', () => {
  it('writes headscale YAML and Tailscale JSON for this relay', () => {
    const s = {
      ...DEFAULT_SETTINGS,
      regionId: 901,
      regionCode: 'home',
      regionName: 'Home relay',
      hostName: 'derp.example.com',
      ipv4: '203.0.113.7',
      tlsMode: 'manual' as const,
      httpPort: 80,
    };
    const e = buildMapEntry(s, { derpPort: 443, stunPort: 3478 });
    expect(JSON.parse(e.json)).toEqual({
      Regions: {
        '901': {
          RegionID: 901,
          RegionCode: 'home',
          RegionName: 'Home relay',
          Nodes: [{ Name: '901a', RegionID: 901, HostName: 'derp.example.com', IPv4: '203.0.113.7', CanPort80: true }],
        },
      },
    });
    expect(e.yaml).toBe(
      [
        'regions:',
        '  901:',
        '    regionid: 901',
        '    regioncode: home',
        '    regionname: "Home relay"',
        '    nodes:',
        '      - name: 901a',
        '        regionid: 901',
        '        hostname: derp.example.com',
        '        ipv4: 203.0.113.7',
        '        stunport: 0',
        '        stunonly: false',
        '        derpport: 0',
        '        canport80: true',
        '',
      ].join('\n'),
    );
  });

  it('marks plain-HTTP relays InsecureForTests and writes non-default ports, STUN off as -1', () => {
    const e = buildMapEntry(DEFAULT_SETTINGS, { derpPort: 3340, stunPort: null });
    const node = JSON.parse(e.json).Regions['900'].Nodes[0];
    expect(node).toMatchObject({ DERPPort: 3340, STUNPort: -1, InsecureForTests: true });
    expect(e.yaml).toContain('        stunport: -1\n');
    expect(e.yaml).toContain('        insecurefortests: true\n');
  });
});

describe('whether real clients can use the entry', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'derpdesk-entry-'));
  const services: AppServices[] = [];
  afterAll(async () => {
    await Promise.all(services.map((s) => s.dispose()));
    rmSync(dir, { recursive: true, force: true });
  });

  async function started(name: string, over: Partial<RelaySettings>) {
    const s = createAppServices({ dataDir: path.join(dir, name), logger: silentLogger, startStun: startStunRunner });
    services.push(s);
    const saved = await s.handlers['settings.save']({ ...DEFAULT_SETTINGS, ...over });
    if (!saved.ok) throw new Error(JSON.stringify(saved.errors));
    const state = await s.handlers['relay.start']();
    if (state.status !== 'running') throw new Error(JSON.stringify(state));
    return s;
  }

  const failures = (r: CheckReport) =>
    r.nodes.flatMap((n) => n.steps.filter((st) => st.status === 'fail').map((st) => `${st.step}: ${st.detail}`));

  it('says why the default entry does not work for clients, and proposes settings that pass our own check', async () => {
    const plain = await started('default', { listenAddr: '127.0.0.1:0', stunListen: '127.0.0.1:0' });
    const entry = await plain.handlers['relay.mapEntry']();
    const said = entry.problems.map((p) => p.what).join('\n');
    expect(said).toMatch(/TLS is off.*HTTPS/);
    expect(said).toMatch(/Clients would dial localhost, a loopback address/);
    expect(said).toMatch(/listens on 127\.0\.0\.1:0 only/);
    expect(said).toMatch(/STUN listens on 127\.0\.0\.1:0 only/);
    expect(failures(await runChecks(JSON.parse(entry.json) as DerpMap, { timeoutMs: 3000 }))).not.toEqual([]);

    const [address] = reachableAddresses();
    expect(address, 'this test needs a non-loopback address on the machine').toBeDefined();
    expect(entry.fix).toEqual({
      changes: {
        tlsMode: 'self-signed',
        listenAddr: ':0',
        stunListen: ':0',
        hostName: address,
        ...(address.includes(':') ? { ipv6: address } : { ipv4: address }),
      },
      remaining: [],
    });

    const fixed = await started('fixed', { ...DEFAULT_SETTINGS, ...entry.fix!.changes });
    const good = await fixed.handlers['relay.mapEntry']();
    expect(good.problems).toEqual([]);
    expect(good.fix).toBeNull();
    const node = (JSON.parse(good.json) as DerpMap).Regions['900'].Nodes[0];
    expect(node.CertName).toMatch(/^sha256-raw:[0-9a-f]{64}$/);
    expect(node.InsecureForTests).toBeUndefined();
    const report = await runChecks(JSON.parse(good.json) as DerpMap, { timeoutMs: 5000 });
    expect(failures(report)).toEqual([]);
    const ok = report.nodes[0].steps.filter((st) => st.status === 'ok').map((st) => st.step);
    expect(ok).toEqual(expect.arrayContaining(['tls', 'derp', 'derp-roundtrip', 'stun4']));
  }, 30_000);

  it('asks DNS only about a name clients would look up, and says no only when DNS does', async () => {
    expect(await hostResolves({ ...DEFAULT_SETTINGS, hostName: 'derp.invalid' })).toBe(false);
    expect(await hostResolves({ ...DEFAULT_SETTINGS, hostName: 'derp.invalid', ipv4: '192.0.2.9' })).toBeNull();
    expect(await hostResolves({ ...DEFAULT_SETTINGS, hostName: '192.0.2.9' })).toBeNull();
    expect(await hostResolves(DEFAULT_SETTINGS)).toBeNull();
  });

  it('accepts a real host name with its own certificate, and sees loopback in every spelling', () => {
    const real = {
      ...DEFAULT_SETTINGS,
      tlsMode: 'manual' as const,
      listenAddr: ':443',
      stunListen: ':3478',
      hostName: 'derp.example.com',
    };
    expect(entryProblems(real, undefined)).toEqual([]);
    expect(proposeFix(real, ['192.0.2.9'])).toBeNull();
    for (const h of ['localhost', 'LOCALHOST.', '127.0.0.2', '::1', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1'])
      expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ['derp.example.com', '192.0.2.1', '::', '2001:db8::1']) expect(isLoopbackHost(h), h).toBe(false);
    // An IPv4 override decides where clients dial, whatever the host name says.
    expect(entryProblems({ ...real, hostName: 'localhost', ipv4: '203.0.113.7' }, undefined)).toEqual([]);
    // A name DNS does not know keeps its name (CertName pins the certificate) and gets an address beside it.
    expect(entryProblems(real, undefined, false).map((p) => p.what)).toEqual([
      'derp.example.com has no address in DNS, and the entry gives no IPv4 or IPv6: clients cannot find the relay.',
    ]);
    expect(proposeFix(real, ['192.0.2.9'], false)).toEqual({ changes: { ipv4: '192.0.2.9' }, remaining: [] });
    expect(proposeFix({ ...real, hostName: 'localhost' }, [])).toEqual({
      changes: {},
      remaining: [expect.stringMatching(/no address other than loopback/)],
    });
  });
});
