/**
 * The monitor's bounds against nodes that never answer (a TCP server that accepts and stays silent): probes that
 * tick every 200 ms but take a second each neither pile up nor exceed the concurrency cap, and every run ends by
 * its deadline with a failure that says why.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Monitor } from '../../electron/monitor/monitor.js';
import { DERPPROBE_INTERVALS } from '../../electron/monitor/probes.js';
import type { DerpMap } from '../../shared/derpmap/model.js';
import type { MonitorSnapshot } from '../../shared/monitor.js';
import { sleep } from '../helpers/relay.js';

let silent: net.Server;
let port: number;
let open = 0;
let maxOpen = 0;
let accepted = 0;

beforeAll(async () => {
  const held: net.Socket[] = [];
  silent = net.createServer((s) => {
    accepted++;
    open++;
    maxOpen = Math.max(maxOpen, open);
    held.push(s);
    s.on('error', () => {});
    s.on('close', () => open--);
    // Read and drop what the client sends, so that its close is seen (a paused socket never reaches 'end').
    s.resume();
  });
  silent.on('close', () => held.forEach((s) => s.destroy()));
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  port = (silent.address() as net.AddressInfo).port;
});
afterAll(() => {
  silent?.close();
});

function silentMap(nodes: number): DerpMap {
  return {
    Regions: Object.fromEntries(
      Array.from({ length: nodes }, (_, i) => [
        String(950 + i),
        {
          RegionID: 950 + i,
          RegionCode: `s${i}`,
          RegionName: `silent ${i}`,
          Nodes: [{ Name: `s${i}`, RegionID: 950 + i, HostName: '127.0.0.1', DERPPort: port, STUNPort: -1 }],
        },
      ]),
    ),
  };
}

describe('monitor bounds', () => {
  it('keeps one run per probe, at most `concurrency` at once, each ended by its deadline', async () => {
    const monitor = new Monitor({
      source: { kind: 'map', map: silentMap(4), label: 'silent nodes' },
      guard: async (f) => f,
      intervals: { ...DERPPROBE_INTERVALS, mapMs: 60_000, tlsMs: 200, meshMs: 200, stunMs: 200 },
      concurrency: 3,
      timeoutMs: 3000,
    });
    await monitor.start();
    const t0 = Date.now();
    let snapshot: MonitorSnapshot;
    try {
      // 8 probes (TLS and DERP round trip of 4 nodes); each run waits out its 1 s step timeout.
      expect(monitor.snapshot().probes).toHaveLength(9);
      await sleep(3500);
    } finally {
      snapshot = monitor.snapshot();
      monitor.stop();
    }
    const elapsed = Date.now() - t0;
    const probes = snapshot.probes.filter((p) => p.class !== 'derp_map');
    expect(probes).toHaveLength(8);
    const runs = probes.reduce((n, p) => n + p.attempts.ok + p.attempts.fail, 0);
    // 3 slots, plus connections whose close is still on its way when the next run connects; unbounded: 8.
    expect(maxOpen).toBeLessThanOrEqual(5);
    expect(maxOpen).toBeGreaterThan(0);
    // 3 slots of runs of about a second each; without the bounds 8 probes at 200 ms would have started ~140.
    expect(runs).toBeLessThanOrEqual(3 * Math.ceil(elapsed / 1000));
    expect(accepted).toBeLessThanOrEqual(3 * Math.ceil(elapsed / 1000) + 3);
    for (const p of probes.filter((q) => q.end !== null)) {
      expect(p.ok).toBe(false);
      expect(p.end! - p.start!).toBeLessThanOrEqual(3000 + 500);
      expect(p.error).toMatch(/within 1000 ms|timed out|timeout/i);
    }
  }, 20_000);

  it('skips the ticks of a probe whose last run is still going', async () => {
    const monitor = new Monitor({
      source: { kind: 'map', map: silentMap(1), label: 'one silent node' },
      guard: async (f) => f,
      intervals: { ...DERPPROBE_INTERVALS, mapMs: 60_000, tlsMs: 200, meshMs: 0, stunMs: 0 },
      concurrency: 8,
      timeoutMs: 3000,
    });
    await monitor.start();
    const t0 = Date.now();
    let snapshot: MonitorSnapshot;
    try {
      await sleep(2500);
    } finally {
      snapshot = monitor.snapshot();
      monitor.stop();
    }
    const tls = snapshot.probes.find((p) => p.class === 'tls')!;
    // Each run waits out its 1 s step timeout; a run per tick would have made about 12.
    expect(tls.attempts.fail).toBeGreaterThanOrEqual(1);
    expect(tls.attempts.fail).toBeLessThanOrEqual(Math.ceil((Date.now() - t0) / 1000));
  });
});
