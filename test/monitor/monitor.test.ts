/**
 * The monitor against real relays on loopback (test/monitor/lab.ts): each broken node is reported by the probe
 * that is for it within two intervals, the healthy meshed region passes every probe, and everything recovers
 * within two intervals once fixed (the expired certificate's fix also changes the map file, which is re-read).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Monitor } from '../../electron/monitor/monitor.js';
import { DERPPROBE_INTERVALS } from '../../electron/monitor/probes.js';
import type { ProbeState } from '../../shared/monitor.js';
import { eventually } from '../helpers/relay.js';
import { startLab, type Lab } from './lab.js';

const INTERVAL = 3000;
/** Two intervals, plus a second for a loaded machine to finish the run that notices. */
const WITHIN = 2 * INTERVAL + 1000;

let lab: Lab;
let monitor: Monitor;

beforeAll(async () => {
  lab = await startLab();
  monitor = new Monitor({
    source: { kind: 'file', path: lab.mapFile },
    guard: async (f) => f,
    intervals: { ...DERPPROBE_INTERVALS, mapMs: 500, tlsMs: INTERVAL, meshMs: INTERVAL, stunMs: INTERVAL },
    concurrency: 4,
  });
  await monitor.start();
}, 30_000);
afterAll(async () => {
  monitor?.stop();
  await lab?.close();
});

const probe = (name: string): ProbeState | undefined => monitor.snapshot().probes.find((p) => p.name === name);
const verdicts = (names: string[]) => names.map((n) => [n, probe(n)?.ok ?? null]);

describe('monitor', () => {
  it("plans derpprobe's probes: TLS, STUN, and mesh for every ordered pair of a region's nodes", () => {
    const names = monitor.snapshot().probes.map((p) => p.name);
    expect(names).toEqual([
      'derpmap-probe',
      'derp/mesh/901a/tls',
      'derp/mesh/901a/udp',
      'derp/mesh/901a/901a/mesh',
      'derp/mesh/901a/901b/mesh',
      'derp/mesh/901b/tls',
      'derp/mesh/901b/udp',
      'derp/mesh/901b/901a/mesh',
      'derp/mesh/901b/901b/mesh',
      'derp/down/902a/tls',
      'derp/down/902a/udp',
      'derp/down/902a/902a/mesh',
      'derp/nostun/903a/tls',
      'derp/nostun/903a/udp',
      'derp/nostun/903a/903a/mesh',
      'derp/expired/904a/tls',
      'derp/expired/904a/udp',
      'derp/expired/904a/904a/mesh',
    ]);
    expect(probe('derp/mesh/901a/901b/mesh')?.labels).toEqual({
      region: 'mesh',
      region_id: '901',
      hostname: '127.0.0.1',
      derp_path: 'mesh',
    });
    expect(probe('derp/mesh/901a/udp')?.labels.address_family).toBe('ipv4');
  });

  it('reports the stopped relay, the missing STUN server and the expired certificate within two intervals', async () => {
    const expectFailing = ['derp/down/902a/tls', 'derp/down/902a/902a/mesh', 'derp/down/902a/udp'];
    const expectOk = [
      'derp/mesh/901a/tls',
      'derp/mesh/901a/901b/mesh',
      'derp/mesh/901b/901a/mesh',
      'derp/mesh/901b/udp',
      'derp/nostun/903a/tls',
      'derp/nostun/903a/903a/mesh',
      'derp/expired/904a/udp',
    ];
    await eventually(
      () =>
        [...expectFailing, 'derp/nostun/903a/udp', 'derp/expired/904a/tls'].every((n) => probe(n)?.ok === false) &&
        expectOk.every((n) => probe(n)?.ok === true),
      WITHIN,
      'every verdict',
    ).catch((err: Error) => {
      throw new Error(`${err.message}: ${JSON.stringify(verdicts([...expectFailing, ...expectOk]))}`);
    });
    expect(probe('derp/down/902a/tls')?.error).toMatch(/connection refused|no TLS handshake/);
    expect(probe('derp/nostun/903a/udp')?.error).toMatch(/^no STUN reply from 127\.0\.0\.1:\d+/);
    expect(probe('derp/expired/904a/tls')?.error).toMatch(/^certificate expired on/);
    expect(probe('derp/expired/904a/tls')!.certNotAfter!).toBeLessThan(Date.now());
    expect(probe('derp/mesh/901a/tls')!.certNotAfter!).toBeGreaterThan(Date.now() + 30 * 86_400_000);

    const nodes = monitor.snapshot().nodes;
    expect(nodes.slice(0, 3).map((n) => [n.node, n.status])).toEqual(
      expect.arrayContaining([
        ['902a', 'failing'],
        ['903a', 'failing'],
        ['904a', 'failing'],
      ]),
    );
    expect(nodes.find((n) => n.node === '901a')).toMatchObject({ status: 'ok', failures: [] });
    expect(nodes.find((n) => n.node === '903a')!.failures.map((f) => f.probe)).toEqual(['derp/nostun/903a/udp']);
  }, 30_000);

  it('recovers within two intervals once the relay is back, STUN is on and the certificate is renewed', async () => {
    const failingSince = probe('derp/down/902a/tls')!.failingSince;
    expect(failingSince).not.toBeNull();
    await lab.fix();
    await eventually(
      () => monitor.snapshot().probes.every((p) => p.ok === true),
      WITHIN + 500,
      'every probe passing',
    ).catch((err: Error) => {
      const bad = monitor.snapshot().probes.filter((p) => !p.ok);
      throw new Error(`${err.message}: ${JSON.stringify(bad.map((p) => [p.name, p.error]))}`);
    });
    expect(monitor.snapshot().nodes.every((n) => n.status === 'ok' && n.failingSince === null)).toBe(true);
    const tls = probe('derp/down/902a/tls')!;
    expect(tls.attempts.fail).toBeGreaterThan(0);
    expect(tls.attempts.ok).toBeGreaterThan(0);
    expect(tls.failingSince).toBeNull();
  }, 30_000);

  it('keeps probing the last good map while the file cannot be read, and says why', async () => {
    const good = readFileSync(lab.mapFile, 'utf8');
    const count = monitor.snapshot().probes.length;
    writeFileSync(lab.mapFile, '{"Regions": ');
    try {
      await eventually(() => monitor.snapshot().mapError !== null, 3000, 'the map error');
      expect(monitor.snapshot().mapError).toContain('not valid JSON');
      expect(monitor.snapshot().probes).toHaveLength(count);
    } finally {
      writeFileSync(lab.mapFile, good);
    }
    await eventually(() => monitor.snapshot().mapError === null, 3000, 'the map read again');
  });
});
