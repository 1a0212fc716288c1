/** The diagnostics handlers: a map file is read through the guard, and the run gets the map labelled with the path. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { DiagnosticsService } from '../../../electron/app/diagnostics-service.js';
import { diagnosticsHandlers } from '../../../electron/app/handlers/diagnostics.js';
import type { PathGuard } from '../../../electron/app/path-guard.js';
import type { CheckRequest } from '../../../shared/api.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'derpdesk-diag-handlers-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = path.join(dir, 'derp.json');
writeFileSync(
  file,
  JSON.stringify({
    Regions: {
      '900': {
        RegionID: 900,
        RegionCode: 'x',
        RegionName: 'X',
        Nodes: [{ Name: '900a', RegionID: 900, HostName: 'derp.example.com' }],
      },
    },
  }),
);

function fakeDiagnostics() {
  const runs: CheckRequest[] = [];
  return {
    runs,
    diagnostics: {
      run: async (req: CheckRequest) => {
        runs.push(req);
        return { runId: 'r1' };
      },
    } as unknown as DiagnosticsService,
  };
}

describe('diagnostics handlers', () => {
  it('diagnostics.run of a map file runs the map read through the guard, labelled with the path', async () => {
    const { runs, diagnostics } = fakeDiagnostics();
    const guarded: string[] = [];
    const guard: PathGuard = async (f) => {
      guarded.push(f);
      return f;
    };
    const h = diagnosticsHandlers({ diagnostics, guard });
    expect(await h['diagnostics.run']({ source: { kind: 'file', path: file }, region: '900' })).toEqual({
      runId: 'r1',
    });
    expect(guarded).toContain(file);
    expect(runs).toEqual([
      {
        source: {
          kind: 'map',
          map: expect.objectContaining({ Regions: expect.objectContaining({ '900': expect.anything() }) }),
          label: file,
        },
        region: '900',
      },
    ]);
  });

  it('diagnostics.run of a headscale config.yaml checks the map headscale would serve (its embedded region)', async () => {
    const config = path.join(dir, 'config.yaml');
    writeFileSync(
      config,
      [
        'server_url: https://hs.example.com',
        'derp:',
        '  server:',
        '    enabled: true',
        '    region_id: 999',
        '    region_code: hs',
        '    region_name: headscale',
        '    stun_listen_addr: 0.0.0.0:3478',
        '  urls: []',
        `  paths: [${JSON.stringify(file)}]`,
        '',
      ].join('\n'),
    );
    const { runs, diagnostics } = fakeDiagnostics();
    const h = diagnosticsHandlers({ diagnostics, guard: async (f) => f });
    await h['diagnostics.run']({ source: { kind: 'file', path: config } });
    const src = runs[0].source;
    expect(src.kind === 'map' && Object.keys(src.map.Regions).sort()).toEqual(['900', '999']);
    expect(src.kind === 'map' && src.label).toBe(config);
  });

  it('a refused path starts no run; other sources go to the run unchanged', async () => {
    const { runs, diagnostics } = fakeDiagnostics();
    const h = diagnosticsHandlers({
      diagnostics,
      guard: async (f) => Promise.reject(new Error(`${f} is outside the folders`)),
    });
    await expect(h['diagnostics.run']({ source: { kind: 'file', path: file } })).rejects.toThrow(
      `${file} is outside the folders`,
    );
    expect(runs).toEqual([]);
    const relay: CheckRequest = { source: { kind: 'relay', url: 'https://derp.example.com' } };
    await h['diagnostics.run'](relay);
    expect(runs).toEqual([relay]);
  });
});
