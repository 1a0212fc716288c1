/** The settings handlers: partial saves take defaults; the allowlist needs a file set, and is written with a newline. */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RootsPolicy } from '../../../electron/app/file-access.js';
import { createFileRules } from '../../../electron/app/file-rules.js';
import { settingsHandlers } from '../../../electron/app/handlers/settings.js';
import { SettingsStore } from '../../../electron/app/settings-store.js';
import { DEFAULT_SETTINGS } from '../../../shared/settings.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'derpdesk-settings-handlers-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const KEY = `nodekey:${'ab'.repeat(32)}`;

function handlers(name: string) {
  const dataDir = path.join(dir, name);
  const settings = new SettingsStore(dataDir);
  return {
    h: settingsHandlers({ settings, rules: createFileRules(dataDir, new RootsPolicy([dir]), settings) }),
    dataDir,
  };
}

describe('settings handlers', () => {
  it('settings.save fills the fields it was not given from the defaults', async () => {
    const { h } = handlers('partial');
    const r = await h['settings.save']({ regionCode: 'home' });
    expect(r).toMatchObject({ ok: true, snapshot: { settings: { ...DEFAULT_SETTINGS, regionCode: 'home' } } });
    expect((await h['settings.get']()).settings.regionCode).toBe('home');
  });

  it('the allowlist calls need an allowlist file in the settings', async () => {
    const { h } = handlers('unset');
    expect(await h['allowlist.get']()).toBeNull();
    expect(await h['allowlist.save'](KEY)).toEqual({
      ok: false,
      problems: ['set an allowlist file in the relay settings first'],
    });
  });

  it('allowlist.save checks the text, then writes it owner-only with a final newline; allowlist.get reads it back', async () => {
    const { h } = handlers('set');
    const file = path.join(dir, 'allow.txt');
    expect(await h['settings.save']({ ...DEFAULT_SETTINGS, allowKeysFile: file })).toMatchObject({ ok: true });
    expect(await h['allowlist.get']()).toEqual({ file, text: '' });
    expect(await h['allowlist.save']('echo hi\r')).toEqual({
      ok: false,
      problems: ['line 1: carriage return; use Unix line endings'],
    });
    expect(await h['allowlist.save'](`# home\n${KEY}`)).toEqual({ ok: true });
    expect(readFileSync(file, 'utf8')).toBe(`# home\n${KEY}\n`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(await h['allowlist.get']()).toEqual({ file, text: `# home\n${KEY}\n` });
  });
});
