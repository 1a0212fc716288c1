/**
 * The application menu, recent maps, About, start at login and the desktop settings file, through the desktop host
 * with fake Electron objects (real files, real file policy, real services).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { appMenuTemplate } from '../../electron/main/app-menu.js';
import { DESKTOP_DEFAULTS, DesktopSettingsStore, MAX_RECENT_FILES } from '../../electron/main/desktop-settings.js';
import { quoteExecArg } from '../../electron/main/login-item.js';
import { dispatch } from '../../electron/app/dispatch.js';
import { createAppServices } from '../../electron/app/services.js';
import { silentLogger } from '../../electron/util/log.js';
import type { CallName } from '../../shared/api.js';
import { startDesktopHarness, type DesktopHarness } from './desktop-harness.js';
import { click, findItem, type Template } from './fake-electron.js';

const MAP_YAML = 'regions:\n  900:\n    regionid: 900\n    regioncode: x\n    regionname: X\n    nodes: []\n';

let h: DesktopHarness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

function accelerators(menu: Template): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (items: Template) => {
    for (const i of items) {
      if (i.id && i.accelerator) out[i.id] = String(i.accelerator);
      if (Array.isArray(i.submenu)) walk(i.submenu);
    }
  };
  walk(menu);
  return out;
}

describe('application menu', () => {
  it('has the page, save, open and undo/redo shortcuts, and sends them to the window', async () => {
    h = await startDesktopHarness();
    const menu = h.fake.state.menu;
    expect(accelerators(menu)).toEqual({
      'open-map': 'CmdOrCtrl+O',
      'save-map': 'CmdOrCtrl+S',
      undo: 'CmdOrCtrl+Z',
      redo: 'CmdOrCtrl+Y',
      'page-relay': 'CmdOrCtrl+1',
      'page-map': 'CmdOrCtrl+2',
      'page-diagnostics': 'CmdOrCtrl+3',
      'page-monitor': 'CmdOrCtrl+4',
    });
    const win = h.windows[0];
    click(menu, 'page-map');
    expect(win.sent).toEqual([]);
    win.finishLoad();
    for (const id of ['save-map', 'undo', 'redo', 'page-diagnostics', 'page-monitor']) click(menu, id);
    expect(win.sent).toEqual([
      { type: 'navigate', page: 'map' },
      { type: 'save-map' },
      { type: 'undo' },
      { type: 'redo' },
      { type: 'navigate', page: 'diagnostics' },
      { type: 'navigate', page: 'monitor' },
    ]);
    const roles = (menu.find((m) => m.label === 'Edit')!.submenu as Template).map((i) => i.role).filter(Boolean);
    expect(roles).toEqual(['cut', 'copy', 'paste', 'selectAll']);
  });

  it('keeps the About item and the settings in the app menu on macOS, and Reload out of packaged builds', () => {
    const noop = () => {};
    const act = {
      send: noop,
      openMap: noop,
      openRecent: noop,
      clearRecent: noop,
      setKeepRunningInTray: noop,
      setOpenAtLogin: noop,
      about: noop,
      openDataFolder: noop,
      openLogFolder: noop,
    };
    const mac = appMenuTemplate({ platform: 'darwin', settings: DESKTOP_DEFAULTS, packaged: true }, act);
    const appMenu = mac[0].submenu as Template;
    expect(appMenu.map((i) => i.id ?? i.role ?? i.type)).toEqual([
      'about',
      'separator',
      'keep-running-in-tray',
      'open-at-login',
      'separator',
      'hide',
      'hideOthers',
      'unhide',
      'separator',
      'quit',
    ]);
    const roles = JSON.stringify(mac);
    expect(roles).not.toContain('toggleDevTools');
    expect(
      JSON.stringify(appMenuTemplate({ platform: 'linux', settings: DESKTOP_DEFAULTS, packaged: false }, act)),
    ).toContain('toggleDevTools');
  });

  it('shows versions, the data folder and the log file in About; Copy copies them', async () => {
    h = await startDesktopHarness();
    h.fake.state.messageBoxResponse = 1;
    click(h.fake.state.menu, 'about');
    await expect.poll(() => h!.fake.state.copied).toContain('Electron 45.0.0');
    expect(h.fake.state.copied).toBe(
      [
        'derpdesk Version 0.1.0',
        'Electron 45.0.0',
        'Chrome 140.0.0.0',
        'Node 22.0.0',
        '',
        `Data folder: ${h.dataDir}`,
        `Log file: ${path.join(h.dir, 'logs', 'derpdesk.log')}`,
      ].join('\n'),
    );
    click(h.fake.state.menu, 'open-log-folder');
    click(h.fake.state.menu, 'open-data-folder');
    expect(h.fake.opened).toEqual([path.join(h.dir, 'logs'), h.dataDir]);
  });
});

describe('open and recent maps', () => {
  it('Open Map… picks with the native dialog, opens the map in the window and lists it under Open Recent', async () => {
    h = await startDesktopHarness();
    const file = path.join(h.dir, 'derp.yaml');
    writeFileSync(file, MAP_YAML);
    h.windows[0].finishLoad();
    h.dialogAnswers.push(file);
    click(h.fake.state.menu, 'open-map');
    await expect
      .poll(() => h!.windows[0].sent)
      .toEqual([
        { type: 'navigate', page: 'map' },
        { type: 'open-map', path: file },
      ]);
    expect(await h.services.handlers['map.open']({ kind: 'file', path: file })).toMatchObject({ path: file });
    const recent = findItem(h.fake.state.menu, 'open-recent')!.submenu as Template;
    expect(recent[0].label).toBe(`derp.yaml — ${h.dir}`);
    await h.settings.saved();
    expect(JSON.parse(readFileSync(path.join(h.dataDir, 'desktop-settings.json'), 'utf8')).recentFiles).toEqual([file]);
  });

  it('Open Recent after a restart opens the map without a dialog; a vanished file is reported and dropped', async () => {
    let file = '';
    let gone = '';
    h = await startDesktopHarness({
      prepare: (dataDir) => {
        file = path.join(dataDir, '..', 'kept.yaml');
        gone = path.join(dataDir, '..', 'gone.yaml');
        writeFileSync(file, MAP_YAML);
        writeFileSync(path.join(dataDir, 'desktop-settings.json'), JSON.stringify({ recentFiles: [gone, file] }));
      },
    });
    file = path.resolve(file);
    gone = path.resolve(gone);
    await expect(h.services.handlers['map.open']({ kind: 'file', path: file })).rejects.toThrow(
      'was not chosen in a file dialog',
    );
    const recent = () => findItem(h!.fake.state.menu, 'open-recent')!.submenu as Template;
    expect(recent().map((i) => i.label)).toEqual([
      `gone.yaml — ${path.dirname(gone)}`,
      `kept.yaml — ${path.dirname(file)}`,
      undefined,
      'Clear Recent',
    ]);
    h.windows[0].finishLoad();
    recent()[1].click!({} as never, undefined as never, {} as never);
    await expect.poll(() => h!.windows[0].sent.at(-1)).toEqual({ type: 'open-map', path: file });
    expect(h.settings.get().recentFiles).toEqual([file, gone]);
    expect(await h.services.handlers['map.open']({ kind: 'file', path: file })).toMatchObject({ path: file });
    expect(h.dialogAnswers).toEqual([]);

    recent()[1].click!({} as never, undefined as never, {} as never);
    expect(h.fake.errors).toEqual([
      `derpdesk: map not found: ${gone} no longer exists; it was removed from Open Recent.`,
    ]);
    expect(h.settings.get().recentFiles).toEqual([file]);
  });
});

describe('start at login', () => {
  it('on Linux writes an XDG autostart entry that starts derpdesk hidden, and removes it when unticked', async () => {
    h = await startDesktopHarness();
    const entry = path.join(h.dir, 'autostart', 'derpdesk.desktop');
    click(h.fake.state.menu, 'open-at-login');
    await expect.poll(() => existsSync(entry)).toBe(true);
    expect(readFileSync(entry, 'utf8')).toContain('\nExec="/opt/derp desk/derpdesk" --hidden\n');
    expect(statSync(entry).mode & 0o777).toBe(0o644);
    await expect.poll(() => findItem(h!.fake.state.menu, 'open-at-login')!.checked).toBe(true);
    click(h.fake.state.menu, 'open-at-login');
    await expect.poll(() => existsSync(entry)).toBe(false);
    expect(h.settings.get().openAtLogin).toBe(false);
  });

  it('is a setting the page shows and changes too: the autostart entry, the menu and the page agree', async () => {
    h = await startDesktopHarness();
    const entry = path.join(h.dir, 'autostart', 'derpdesk.desktop');
    const heard: unknown[] = [];
    h.services.events.on('desktop.settings', (s) => heard.push(s));
    const api = (name: CallName, ...args: unknown[]) => dispatch(h!.services.handlers, name, args);
    expect(await api('desktop.settings')).toEqual({ keepRunningInTray: true, openAtLogin: false });

    expect(await api('desktop.saveSettings', { openAtLogin: true })).toEqual({
      keepRunningInTray: true,
      openAtLogin: true,
    });
    expect(readFileSync(entry, 'utf8')).toContain('\nExec="/opt/derp desk/derpdesk" --hidden\n');
    expect(findItem(h.fake.state.menu, 'open-at-login')!.checked).toBe(true);

    click(h.fake.state.menu, 'keep-running-in-tray');
    expect(heard.at(-1)).toEqual({ keepRunningInTray: false, openAtLogin: true });
    await api('desktop.saveSettings', { openAtLogin: false });
    expect(existsSync(entry)).toBe(false);
    await h.settings.saved();
    expect(JSON.parse(readFileSync(path.join(h.dataDir, 'desktop-settings.json'), 'utf8'))).toMatchObject({
      keepRunningInTray: false,
      openAtLogin: false,
    });
    await expect(api('desktop.saveSettings', { openAtLogin: 'yes' })).rejects.toThrow(
      'argument 1 (patch.openAtLogin) must be true or false',
    );
  });

  it('is not offered by derpdesk host, which has no tray or login item', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'derpdesk-host-'));
    const services = createAppServices({ dataDir, logger: silentLogger });
    try {
      expect(await services.handlers['desktop.settings']()).toBeNull();
      await expect(services.handlers['desktop.saveSettings']({ openAtLogin: true })).rejects.toThrow(
        'derpdesk host has no tray or login item',
      );
    } finally {
      await services.dispose();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('on Windows uses the login item with --hidden', async () => {
    h = await startDesktopHarness({ platform: 'win32' });
    click(h.fake.state.menu, 'open-at-login');
    await expect.poll(() => h!.settings.get().openAtLogin).toBe(true);
    expect(h.fake.loginItems).toEqual([{ openAtLogin: true, args: ['--hidden'] }]);
  });

  it('on macOS shows the login item the system has in force (the user may have turned it off there)', async () => {
    h = await startDesktopHarness({
      platform: 'darwin',
      osOpenAtLogin: false,
      prepare: (dataDir) => writeFileSync(path.join(dataDir, 'desktop-settings.json'), '{"openAtLogin": true}'),
    });
    expect(h.settings.get().openAtLogin).toBe(false);
    expect(findItem(h.fake.state.menu, 'open-at-login')!.checked).toBe(false);
    expect(h.fake.loginItems).toEqual([]);
  });

  it('started with --hidden: no window until asked for, and closing it later keeps the app in the tray', async () => {
    h = await startDesktopHarness({ argv: ['derpdesk', '--hidden'] });
    expect(h.windows).toHaveLength(0);
    click(h.tray().menu, 'open');
    expect(h.windows).toHaveLength(1);
    expect(h.windows[0].userClose()).toBe(false);
  });

  it('quotes Exec arguments as the Desktop Entry specification asks', () => {
    expect(quoteExecArg('/usr/bin/derpdesk')).toBe('/usr/bin/derpdesk');
    expect(quoteExecArg('/home/a b/$x"y`z\\.AppImage')).toBe('"/home/a b/\\$x\\"y\\`z\\\\.AppImage"');
  });
});

describe('desktop settings file', () => {
  it('keeps only well-typed fields, absolute recent paths, at most ten; unreadable files give defaults', async () => {
    const { mkdtempSync } = await import('node:fs');
    const os = await import('node:os');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'derpdesk-dset-'));
    const store = new DesktopSettingsStore(dir, silentLogger);
    const many = Array.from({ length: 12 }, (_, i) => `/maps/${i}.yaml`);
    writeFileSync(
      store.file,
      JSON.stringify({
        keepRunningInTray: 'yes',
        openAtLogin: true,
        recentFiles: ['relative.yaml', 7, ...many, '/maps/0.yaml'],
      }),
    );
    expect(await store.load()).toEqual({
      ...DESKTOP_DEFAULTS,
      openAtLogin: true,
      recentFiles: many.slice(0, MAX_RECENT_FILES),
    });
    writeFileSync(store.file, '{ not json');
    const warnings: string[] = [];
    const noisy = new DesktopSettingsStore(dir, { ...silentLogger, warn: (m) => warnings.push(m) });
    expect(await noisy.load()).toEqual(DESKTOP_DEFAULTS);
    expect(warnings[0]).toMatch(/cannot read .*desktop-settings\.json .*using the default desktop settings/);
    rmSync(store.file);
    noisy.addRecent('/maps/a.yaml');
    noisy.addRecent('/maps/b.yaml');
    noisy.addRecent('/maps/a.yaml');
    await noisy.saved();
    expect(JSON.parse(readFileSync(store.file, 'utf8')).recentFiles).toEqual(['/maps/a.yaml', '/maps/b.yaml']);
    expect(statSync(store.file).mode & 0o777).toBe(0o600);
    rmSync(dir, { recursive: true, force: true });
  });
});
