/**
 * The desktop app's file policy: paths the user picked in a native dialog (Electron's, faked here), typed into the
 * settings, or inside the data directory; and `files.choose` wired from the window through IPC to the dialog.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { GrantsPolicy } from '../../electron/app/file-access.js';
import { createAppServices } from '../../electron/app/services.js';
import { showFileDialog } from '../../electron/main/file-dialog.js';
import { registerIpc } from '../../electron/main/ipc.js';
import { silentLogger } from '../../electron/util/log.js';
import { channelOf, type ChooseFileRequest } from '../../shared/api.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'derpdesk-grants-'));
const dataDir = path.join(dir, 'data');
mkdirSync(dataDir);
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const MAP_YAML =
  'regions:\n  900:\n    regionid: 900\n    regioncode: x\n    regionname: X\n    nodes:\n      - name: 900a\n        regionid: 900\n        hostname: x.example.com\n';

function fakeDialog(answers: Array<string | null>) {
  const next = () => answers.shift() ?? null;
  return {
    showOpenDialog: vi.fn(async (..._a: unknown[]) => {
      const p = next();
      return { canceled: p === null, filePaths: p === null ? [] : [p] };
    }),
    showSaveDialog: vi.fn(async (..._a: unknown[]) => {
      const p = next();
      return { canceled: p === null, filePath: p ?? '' };
    }),
  };
}

describe('showFileDialog', () => {
  it('opens over the window with a title and filters for the purpose, and returns the pick or null', async () => {
    const d = fakeDialog(['/home/me/derp.yaml', null, '/home/me/new.yaml']);
    const win = { id: 1 };
    expect(
      await showFileDialog(d as never, win as never, { mode: 'open', purpose: 'map', defaultPath: '/home/me' }),
    ).toBe('/home/me/derp.yaml');
    expect(d.showOpenDialog).toHaveBeenCalledWith(
      win,
      expect.objectContaining({ title: 'Open DERP map', defaultPath: '/home/me', properties: ['openFile'] }),
    );
    expect(
      (d.showOpenDialog.mock.calls[0][1] as { filters: Array<{ extensions: string[] }> }).filters[0].extensions,
    ).toEqual(['yaml', 'yml', 'json']);
    expect(await showFileDialog(d as never, null, { mode: 'open', purpose: 'allowlist' })).toBeNull();
    expect(d.showOpenDialog.mock.calls[1]).toHaveLength(1);
    expect(await showFileDialog(d as never, null, { mode: 'save', purpose: 'map' })).toBe('/home/me/new.yaml');
    expect(d.showSaveDialog).toHaveBeenCalledWith(expect.objectContaining({ title: 'Save DERP map' }));
  });
});

describe('GrantsPolicy', () => {
  it('allows what was picked (by its real path), typed into settings, named by a picked file (read only), or in the data dir', async () => {
    const picked = path.join(dir, 'picked.yaml');
    const link = path.join(dir, 'link.yaml');
    writeFileSync(picked, MAP_YAML);
    symlinkSync(picked, link);
    const dialog = vi.fn(async (_r: ChooseFileRequest) => link as string | null);
    const policy = new GrantsPolicy(dataDir, dialog);
    expect(policy.canChoose).toBe(true);
    await expect(policy.check(picked, 'read', 'request')).rejects.toThrow(
      `${picked} was not chosen in a file dialog; use Browse… to pick it (derpdesk opens and saves only files you pick)`,
    );
    expect(await policy.choose({ mode: 'open', purpose: 'map' })).toBe(link);
    expect(await policy.check(picked, 'write', 'request')).toBe(picked);
    expect(await policy.check(link, 'read', 'request')).toBe(picked);
    expect(await policy.check('/etc/derp/allow.txt', 'write', 'settings')).toBe('/etc/derp/allow.txt');
    expect(await policy.check('/etc/derp/derp.yaml', 'read', 'reference')).toBe('/etc/derp/derp.yaml');
    await expect(policy.check('/etc/derp/derp.yaml', 'write', 'reference')).rejects.toThrow(
      'was not chosen in a file dialog',
    );
    expect(await policy.check(path.join(dataDir, 'maps', 'm.yaml'), 'write', 'request')).toBe(
      path.join(dataDir, 'maps', 'm.yaml'),
    );
    await expect(policy.check(path.join(dataDir, '..', 'other.yaml'), 'read', 'request')).rejects.toThrow(
      'was not chosen in a file dialog',
    );
  });

  it('grants nothing when the dialog is cancelled', async () => {
    const policy = new GrantsPolicy(dataDir, async () => null);
    expect(await policy.choose({ mode: 'save', purpose: 'map' })).toBeNull();
    await expect(policy.check(path.join(dir, 'x.yaml'), 'write', 'request')).rejects.toThrow(
      'was not chosen in a file dialog',
    );
  });
});

describe('files.choose through IPC', () => {
  it('asks the dialog, then lets the window open and save the picked files and nothing else', async () => {
    const opened = path.join(dir, 'open-me.yaml');
    const savedAs = path.join(dir, 'save-as.yaml');
    writeFileSync(opened, MAP_YAML);
    const d = fakeDialog([opened, savedAs]);
    const services = createAppServices({
      dataDir,
      logger: silentLogger,
      files: new GrantsPolicy(dataDir, (req) => showFileDialog(d as never, null, req)),
    });
    const handlers = new Map<string, (e: { senderFrame: unknown }, ...a: unknown[]) => Promise<unknown>>();
    const frame = { url: 'file:///app/index.html' };
    registerIpc(
      { handle: (c: string, h: never) => handlers.set(c, h), removeHandler: () => {} } as never,
      services,
      (f) => f === frame,
    );
    const call = (name: string, ...args: unknown[]) =>
      handlers.get(channelOf(name as never))!({ senderFrame: frame }, ...args);
    try {
      expect(await call('files.canChoose')).toBe(true);
      await expect(call('map.open', { kind: 'file', path: opened })).rejects.toThrow('was not chosen in a file dialog');
      expect(await call('files.choose', { mode: 'open', purpose: 'map' })).toBe(opened);
      const map = (await call('map.open', { kind: 'file', path: opened })) as { map: unknown; text: string };
      expect(await call('map.save', { path: savedAs, map: map.map, format: 'yaml', baseText: '' })).toMatchObject({
        ok: false,
        error: expect.stringContaining('was not chosen in a file dialog'),
      });
      expect(await call('files.choose', { mode: 'save', purpose: 'map' })).toBe(savedAs);
      expect(await call('map.save', { path: savedAs, map: map.map, format: 'yaml', baseText: '' })).toMatchObject({
        ok: true,
      });
      expect(readFileSync(savedAs, 'utf8')).toBe(MAP_YAML);
      await expect(call('files.choose', { mode: 'open', purpose: 'passwd' })).rejects.toThrow(
        'files.choose: argument 1 (req.purpose) must be one of "map"',
      );
    } finally {
      await services.dispose();
    }
  });
});
