/**
 * The monitor in the app: started through the API handlers against a real relay, it sends snapshots and a
 * notice when the relay stops; the session and the history survive a restart of the services (the session until it
 * is stopped), the history stays under its size cap; the notices are rate-limited per node.
 */
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dispatch } from '../../electron/app/dispatch.js';
import { createAppServices } from '../../electron/app/services.js';
import { BUCKET_MS, HistoryStore } from '../../electron/monitor/history.js';
import { TransitionTracker } from '../../electron/monitor/transitions.js';
import { silentLogger } from '../../electron/util/log.js';
import type { MonitorTransition, NodeState } from '../../shared/monitor.js';
import { eventually, startRelay } from '../helpers/relay.js';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(path.join(os.tmpdir(), 'derpdesk-monitor-svc-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const node = (status: NodeState['status']): NodeState => ({
  regionId: 900,
  regionCode: 'x',
  node: 'n1',
  host: 'h',
  status,
  failingSince: status === 'failing' ? 1 : null,
  failures: status === 'failing' ? [{ probe: 'derp/x/n1/tls', error: 'refused', since: 1 }] : [],
  latencyMs: null,
});

describe('monitor transitions', () => {
  it('notices ok -> failing -> ok, at most once per gap per node, ending in the current state', () => {
    const t = new TransitionTracker(1000);
    expect(t.update([node('unknown')], 0)).toEqual([]);
    expect(t.update([node('ok')], 10)).toEqual([]);
    expect(t.update([node('failing')], 20)).toEqual([
      { regionId: 900, regionCode: 'x', node: 'n1', to: 'failing', at: 20, error: 'derp/x/n1/tls: refused' },
    ]);
    // Flapping within the gap: nothing, until the gap is over; then the state it is in.
    expect(t.update([node('ok')], 500)).toEqual([]);
    expect(t.update([node('failing')], 700)).toEqual([]);
    expect(t.update([node('ok')], 900)).toEqual([]);
    expect(t.update([node('ok')], 1100).map((x) => x.to)).toEqual(['ok']);
    expect(t.update([node('ok')], 5000)).toEqual([]);
  });
});

describe('monitor history', () => {
  it('counts results per 5-minute bucket, survives a reload, and drops the oldest past the size cap', async () => {
    const dir = tempDir();
    const h = new HistoryStore(dir, { maxBytes: 4000, saveEveryMs: 10 });
    await h.load();
    const now = Date.now();
    h.record(900, 'a', now, true, 12);
    h.record(900, 'a', now, false, null);
    h.record(900, 'a', now, true, 8);
    await h.flush();
    const again = new HistoryStore(dir);
    await again.load();
    const [a] = await again.get(now - 3_600_000);
    expect(a).toMatchObject({ regionId: 900, node: 'a' });
    expect(a.buckets).toEqual([{ t: now - (now % BUCKET_MS), ok: 2, fail: 1, latencyMs: 10 }]);

    // Six days of buckets for three nodes is far more than 4000 bytes: the oldest go, the newest stay.
    for (let i = 6 * 288; i >= 0; i--) for (const n of ['a', 'b', 'c']) h.record(900, n, now - i * BUCKET_MS, true, 5);
    await h.flush();
    expect(statSync(path.join(dir, 'monitor-history.json')).size).toBeLessThanOrEqual(4000);
    const kept = h.get(0).find((n) => n.node === 'a')!.buckets;
    expect(kept.at(-1)!.t).toBe(now - (now % BUCKET_MS));
    expect(kept[0].t).toBeGreaterThan(now - 6 * 86_400_000);
  });
});

describe('monitor service', () => {
  it('starts from the API, sends snapshots, notices a relay that stops, and keeps history across restarts', async () => {
    const dataDir = tempDir();
    const relay = await startRelay();
    const services = createAppServices({ dataDir, logger: silentLogger });
    const transitions: MonitorTransition[] = [];
    let updates = 0;
    services.events.on('monitor.transition', (t) => transitions.push(t));
    services.events.on('monitor.update', () => updates++);
    try {
      const first = await services.handlers['monitor.start']({
        source: { kind: 'relay', url: `http://127.0.0.1:${relay.port}`, stunPort: -1 },
        intervalSec: 1,
      });
      expect(first).toMatchObject({ running: true, label: `http://127.0.0.1:${relay.port}` });
      expect(first.probes.map((p) => p.name)).toEqual(['derpmap-probe', 'derp/target/127.0.0.1/127.0.0.1/mesh']);
      await eventually(
        async () => (await services.handlers['monitor.status']()).nodes[0]?.status === 'ok',
        8000,
        'node ok',
      );
      await eventually(() => updates > 0, 3000, 'a snapshot event');
      await expect(
        services.handlers['monitor.start']({ source: { kind: 'url', url: 'http://127.0.0.1:1/map.json' } }),
      ).rejects.toThrow(/cannot fetch http:\/\/127\.0\.0\.1:1\/map\.json/);
      expect((await services.handlers['monitor.status']()).running).toBe(true);
      await relay.stop();
      await eventually(() => transitions.length > 0, 8000, 'a transition');
      expect(transitions[0]).toMatchObject({ node: '127.0.0.1', to: 'failing' });
      expect(transitions[0].error).toMatch(/^derp\/target\/127\.0\.0\.1\/127\.0\.0\.1\/mesh: /);
      const stopped = await services.handlers['monitor.stop']();
      expect(stopped.running).toBe(false);
      expect(stopped.nodes[0].status).toBe('failing');
    } finally {
      await services.dispose();
      await relay.stop().catch(() => {});
    }
    const reopened = createAppServices({ dataDir, logger: silentLogger });
    try {
      const [h] = await reopened.handlers['monitor.history'](24);
      expect(h.node).toBe('127.0.0.1');
      expect(h.buckets.reduce((n, b) => n + b.ok, 0)).toBeGreaterThan(0);
      expect(h.buckets.reduce((n, b) => n + b.fail, 0)).toBeGreaterThan(0);
    } finally {
      await reopened.dispose();
    }
  }, 30_000);

  it('refuses bad arguments before the handler runs', async () => {
    const services = createAppServices({ dataDir: tempDir(), logger: silentLogger });
    try {
      await expect(
        dispatch(services.handlers, 'monitor.start', [{ source: { kind: 'url', url: 'x' }, intervalSec: 0 }]),
      ).rejects.toThrow('monitor.start: argument 1 (req.intervalSec) must be at least 1');
      await expect(dispatch(services.handlers, 'monitor.history', [1000])).rejects.toThrow(
        'monitor.history: argument 1 (hours) must be at most 168',
      );
    } finally {
      await services.dispose();
    }
  });

  it('refuses a map file outside the allowed folders, with the reason', async () => {
    const services = createAppServices({ dataDir: tempDir(), logger: silentLogger });
    try {
      await expect(
        services.handlers['monitor.start']({ source: { kind: 'file', path: '/etc/passwd' } }),
      ).rejects.toThrow(/\/etc\/passwd/);
      expect((await services.handlers['monitor.status']()).running).toBe(false);
    } finally {
      await services.dispose();
    }
  });

  it('resumes the running session when the app starts again, until the user stops it', async () => {
    const dataDir = tempDir();
    const relay = await startRelay();
    const source = { kind: 'relay', url: `http://127.0.0.1:${relay.port}`, stunPort: -1 } as const;
    try {
      const first = createAppServices({ dataDir, logger: silentLogger });
      await first.handlers['monitor.start']({ source, intervalSec: 1 });
      await first.dispose();

      const again = createAppServices({ dataDir, logger: silentLogger });
      try {
        await eventually(async () => (await again.handlers['monitor.status']()).running, 8000, 'the session resumed');
        const snap = await again.handlers['monitor.status']();
        expect(snap).toMatchObject({ label: source.url, source });
        await eventually(
          async () => (await again.handlers['monitor.status']()).nodes[0]?.status === 'ok',
          8000,
          'the resumed session probing',
        );
        await again.handlers['monitor.stop']();
      } finally {
        await again.dispose();
      }
      expect(existsSync(path.join(dataDir, 'monitor-session.json'))).toBe(false);
      const third = createAppServices({ dataDir, logger: silentLogger });
      try {
        await new Promise((r) => setTimeout(r, 500));
        expect((await third.handlers['monitor.status']()).running).toBe(false);
      } finally {
        await third.dispose();
      }
    } finally {
      await relay.stop();
    }
  }, 30_000);

  it('keeps trying to resume a map it cannot read yet, and says so', async () => {
    const dataDir = tempDir();
    let up = false;
    const server = http.createServer((_req, res) => {
      if (!up) return res.writeHead(503).end();
      res.writeHead(200, { 'Content-Type': 'application/json' });
      const node = { Name: 'n1', RegionID: 970, HostName: '127.0.0.1', DERPPort: 1, STUNPort: -1 };
      res.end(JSON.stringify({ Regions: { 970: { RegionID: 970, RegionCode: 'r', RegionName: 'r', Nodes: [node] } } }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/derpmap.json`;
    writeFileSync(
      path.join(dataDir, 'monitor-session.json'),
      JSON.stringify({ source: { kind: 'url', url }, intervalSec: 1 }),
    );
    const services = createAppServices({ dataDir, logger: silentLogger });
    try {
      await eventually(
        async () => (await services.handlers['monitor.status']()).mapError !== null,
        8000,
        'the failed resume shown',
      );
      expect(await services.handlers['monitor.status']()).toMatchObject({
        running: false,
        label: url,
        mapError: expect.stringMatching(/503.*\(trying again every 1 s\)$/),
      });
      up = true;
      await eventually(
        async () => (await services.handlers['monitor.status']()).running,
        8000,
        'resumed once readable',
      );
      expect((await services.handlers['monitor.status']()).mapError).toBeNull();
    } finally {
      await services.dispose();
      server.close();
    }
  }, 30_000);
});
