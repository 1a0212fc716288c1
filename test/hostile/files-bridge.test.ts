/**
 * The attacks from the issue, as a token holder makes them: over `derpdesk host`'s WebSocket bridge, with the
 * roots `derpdesk host` builds from --files-root.
 */
import { existsSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RootsPolicy } from '../../electron/app/file-access.js';
import { DEFAULT_SETTINGS } from '../../shared/settings.js';
import { Bridge } from '../helpers/bridge.js';
import { startTestHost, type TestHost } from '../helpers/host.js';

let t: TestHost;
let dir: string;
let bridge: Bridge;

beforeAll(async () => {
  // The roots derpdesk host builds from --files-root: the data dir and one folder of maps.
  t = await startTestHost('bridge', { files: (d) => new RootsPolicy([path.join(d, 'data'), path.join(d, 'maps')]) });
  dir = t.dir;
  mkdirSync(path.join(dir, 'maps'));
  bridge = await Bridge.open(t.host.port, t.host.token);
});
afterAll(async () => {
  bridge?.close();
  await t?.close();
});

type Reply = { id: number; ok: boolean; result?: unknown; error?: string };

async function call(name: string, ...args: unknown[]): Promise<Reply> {
  return (await bridge.call(name, ...args)) as Reply;
}

describe('a token holder', () => {
  it('cannot read /proc/self/environ through settings.save and allowlist.get', async () => {
    const saved = await call('settings.save', { ...DEFAULT_SETTINGS, allowKeysFile: '/proc/self/environ' });
    expect(saved).toMatchObject({
      ok: true,
      result: {
        ok: false,
        errors: { allowKeysFile: expect.stringContaining('is outside the folders derpdesk host may use') },
      },
    });
    const got = await call('allowlist.get');
    expect(got).toEqual({ id: got.id, ok: true, result: null });
    expect(JSON.stringify(got)).not.toContain('PATH=');
  });

  it('cannot write ~/.bash_profile with a map whose plain scalar spans lines', async () => {
    const target = path.join(os.homedir(), '.bash_profile');
    const existed = existsSync(target);
    const baseText =
      'regions:\n  900:\n    regionid: 900\n    regioncode: x\n    regionname: X\n      echo pwned\n    nodes:\n      - name: 900a\n        regionid: 900\n        hostname: x.example.com\n';
    const opened = await call('map.open', { kind: 'text', text: baseText, name: 'x.yaml' });
    expect(opened.ok).toBe(true);
    const map = (opened as { result: { map: unknown } }).result.map;
    const outside = await call('map.save', { path: target, map, format: 'yaml', baseText });
    expect(outside).toMatchObject({
      ok: true,
      result: { ok: false, error: expect.stringContaining('is outside the folders derpdesk host may use') },
    });
    expect(existsSync(target)).toBe(existed);
    const inside = path.join(dir, 'maps', '.bash_profile');
    const multi = await call('map.save', { path: inside, map, format: 'yaml', baseText });
    expect(multi).toMatchObject({
      ok: true,
      result: { ok: false, error: expect.stringContaining('runs over several lines') },
    });
    expect(existsSync(inside)).toBe(false);
  });

  it('gets one error shape for malformed arguments', async () => {
    expect(await call('map.headscale', { configPath: { length: 1 } })).toMatchObject({
      ok: false,
      error: 'map.headscale: argument 1 (req.configPath) must be a string',
    });
    expect(await call('files.choose', { mode: 'open', purpose: 'map' })).toMatchObject({
      ok: false,
      error: expect.stringContaining('derpdesk host has no file dialog'),
    });
  });
});
