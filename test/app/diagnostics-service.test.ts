/** Diagnostics through the API: a background run with progress events, a bounded history on disk, exports. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createAppServices } from '../../electron/app/services.js';
import { RootsPolicy } from '../../electron/app/file-access.js';
import { silentLogger } from '../../electron/util/log.js';
import type { ApiEvents } from '../../shared/api.js';
import { eventually, startRelay } from '../helpers/relay.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'derpdesk-diagsvc-'));
const s = createAppServices({ dataDir: dir, logger: silentLogger, files: new RootsPolicy([dir]) });
afterAll(async () => {
  await s.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe('diagnostics service', () => {
  it('runs in the background with progress, stores the run, and exports it', async () => {
    const relay = await startRelay();
    const progress: Array<ApiEvents['diagnostics.progress']> = [];
    const done: Array<ApiEvents['diagnostics.done']> = [];
    s.events.on('diagnostics.progress', (p) => progress.push(p));
    s.events.on('diagnostics.done', (d) => done.push(d));
    try {
      const { runId } = await s.handlers['diagnostics.run']({
        source: { kind: 'relay', url: `http://127.0.0.1:${relay.port}`, stunPort: -1 },
      });
      await eventually(() => done.length === 1, 15_000, 'run done');
      expect(done[0]).toMatchObject({ runId, entry: { id: runId, nodes: 1, fails: 0 } });
      expect(done[0].entry!.regionNames).toEqual({ '900': { code: 'target', name: '127.0.0.1' } });
      expect(progress.filter((p) => p.runId === runId).map((p) => p.node.steps.at(-1)!.step)).toContain(
        'derp-roundtrip',
      );
      expect((await s.handlers['diagnostics.history']()).map((h) => h.id)).toEqual([runId]);
      expect(JSON.parse(readFileSync(path.join(dir, 'diagnostics-history.json'), 'utf8'))[0].entry.id).toBe(runId);
      const csv = await s.handlers['diagnostics.export'](runId, 'csv');
      expect(csv.split('\n')[0]).toBe('region,code,node,host,step,status,ms,detail,advice');
      expect(csv).toMatch(/^900,target,127\.0\.0\.1,127\.0\.0\.1,derp,ok,/m);
      const md = await s.handlers['diagnostics.export'](runId, 'markdown');
      expect(md).toContain('| target | 127.0.0.1 | derp-roundtrip | ok |');
      expect(md).toMatch(/ · 1 node · 0 failures · \d+ warnings?\n/);
      expect(JSON.parse(await s.handlers['diagnostics.export'](runId, 'json')).summary.preferredRegion).toBe(900);
    } finally {
      await relay.stop();
    }
  });

  it("checks a whole map over plain HTTP when the source says so (this app's relay with TLS off)", async () => {
    const relay = await startRelay();
    const done: Array<ApiEvents['diagnostics.done']> = [];
    s.events.on('diagnostics.done', (d) => done.push(d));
    try {
      const node = { Name: '7a', RegionID: 7, HostName: '127.0.0.1', DERPPort: relay.port, STUNPort: -1 };
      const map = { Regions: { '7': { RegionID: 7, RegionCode: 'home', RegionName: 'Home', Nodes: [node] } } };
      const { runId } = await s.handlers['diagnostics.run']({
        source: { kind: 'map', map, label: 'this relay', scheme: 'http' },
      });
      await eventually(() => done.some((d) => d.runId === runId), 15_000, 'run done');
      const stored = await s.handlers['diagnostics.get'](runId);
      expect(stored!.report.nodes[0].steps.find((x) => x.step === 'derp-roundtrip')!.status).toBe('ok');
      expect(stored!.entry).toMatchObject({ label: 'this relay', fails: 0 });
    } finally {
      await relay.stop();
    }
  });

  it('reports a run that cannot start as an error', async () => {
    await expect(
      s.handlers['diagnostics.run']({ source: { kind: 'relay', url: 'http://127.0.0.1:99999' } }),
    ).rejects.toThrow('http://127.0.0.1:99999 is not a valid URL');
    await expect(
      s.handlers['diagnostics.run']({ source: { kind: 'file', path: path.join(dir, 'nonexistent.yaml') } }),
    ).rejects.toThrow(`cannot read ${path.join(dir, 'nonexistent.yaml')}: no such file or directory`);
  });

  it('checks "one relay" only by URL: a path is refused, not read past the path guard; host:port gets the URLs', async () => {
    const outside = path.join(os.tmpdir(), 'derpdesk-outside-the-roots.yaml');
    await expect(s.handlers['diagnostics.run']({ source: { kind: 'relay', url: outside } })).rejects.toThrow(
      `"${outside}" is not a relay URL: give https://host[:port] or http://host:port; to check a map file, choose`,
    );
    await expect(s.handlers['diagnostics.run']({ source: { kind: 'relay', url: '127.0.0.1:3340' } })).rejects.toThrow(
      '(http://127.0.0.1:3340 for a relay without TLS, https://127.0.0.1:3340 with TLS)',
    );
  });
});
