/**
 * The Electron entry point with 'electron' mocked: it must enable the sandbox, register the IPC contract, open a
 * window with the secure options and the bundled preload, and load the packaged page.
 */
import { afterAll, describe, expect, it, vi } from 'vitest';
import { DerpClient } from '../../electron/derp/client.js';
import type { TrayMenuGlobal } from '../../electron/main/desktop.js';
import { CALL_NAMES, channelOf, type RelayState } from '../../shared/api.js';

const h = vi.hoisted(() => {
  const handled: string[] = [];
  const handlers = new Map<string, (event: { senderFrame: unknown }, ...args: unknown[]) => Promise<unknown>>();
  const mainFrame = { url: '' };
  const windows: Array<{ options: Record<string, unknown>; loaded: string[] }> = [];
  let ready: () => void = () => {};
  const whenReady = new Promise<void>((r) => (ready = r));
  const trays: string[] = [];
  const sessionEvents = new Map<string, (...a: unknown[]) => void>();
  return {
    handled,
    handlers,
    mainFrame,
    windows,
    trays,
    sessionEvents,
    whenReady,
    ready: () => ready(),
    userData: '',
    picked: '',
  };
});

vi.mock('electron', () => {
  const listeners = new Map<string, Array<(...a: unknown[]) => void>>();
  const contents = {
    on: () => {},
    setWindowOpenHandler: () => {},
    mainFrame: h.mainFrame,
    isDestroyed: () => false,
    send: () => {},
    once: () => {},
  };
  class BrowserWindow {
    webContents = contents;
    constructor(options: Record<string, unknown>) {
      h.windows.push({ options, loaded: (this.loaded = []) });
    }
    loaded: string[];
    loadFile(f: string) {
      this.loaded.push(f);
      return Promise.resolve();
    }
    once() {}
    on() {}
    show() {}
  }
  class Tray {
    constructor(icon: string) {
      h.trays.push(icon);
    }
    setImage() {}
    setToolTip() {}
    setContextMenu() {}
    on() {}
    destroy() {}
  }
  class Notification {
    static isSupported = () => true;
    on() {}
    show() {}
  }
  return {
    app: {
      enableSandbox: vi.fn(),
      requestSingleInstanceLock: () => true,
      quit: vi.fn(),
      exit: vi.fn(),
      whenReady: () => h.whenReady,
      getPath: () => h.userData,
      getVersion: () => '0.1.0',
      isPackaged: false,
      getLoginItemSettings: () => ({ openAtLogin: false, wasOpenedAtLogin: false }),
      setLoginItemSettings: vi.fn(),
      on: (e: string, f: (...a: unknown[]) => void) => listeners.set(e, [...(listeners.get(e) ?? []), f]),
    },
    BrowserWindow,
    Tray,
    Notification,
    Menu: { buildFromTemplate: (t: unknown) => t, setApplicationMenu: vi.fn() },
    nativeTheme: { shouldUseDarkColors: false, on: vi.fn() },
    clipboard: { writeText: vi.fn(async () => {}) },
    ipcMain: {
      handle: (c: string, f: (event: { senderFrame: unknown }, ...args: unknown[]) => Promise<unknown>) => {
        h.handled.push(c);
        h.handlers.set(c, f);
      },
      removeHandler: vi.fn(),
    },
    dialog: {
      showOpenDialog: vi.fn(async () => ({ canceled: false, filePaths: [h.picked] })),
      showSaveDialog: vi.fn(async () => ({ canceled: true, filePath: '' })),
      showErrorBox: vi.fn(),
    },
    session: {
      defaultSession: {
        setPermissionRequestHandler: vi.fn(),
        setPermissionCheckHandler: vi.fn(),
        on: (e: string, f: (...a: unknown[]) => void) => h.sessionEvents.set(e, f),
      },
    },
    shell: { openExternal: vi.fn() },
  };
});

let lastResort: NodeJS.UncaughtExceptionListener | undefined;

describe('electron/main/index.ts', () => {
  afterAll(() => {
    if (lastResort) process.off('uncaughtException', lastResort);
    vi.restoreAllMocks();
  });

  it('wires a sandboxed window, the preload bundle and every IPC channel', async () => {
    const { mkdtempSync } = await import('node:fs');
    const os = await import('node:os');
    const path = await import('node:path');
    h.userData = mkdtempSync(path.join(os.tmpdir(), 'derpdesk-main-'));
    const { writeFileSync: write } = await import('node:fs');
    write(
      path.join(h.userData, 'settings.json'),
      JSON.stringify({ listenAddr: '127.0.0.1:0', stunEnabled: false, startOnLaunch: true }),
    );
    const electron = await import('electron');
    const before = new Set(process.listeners('uncaughtException'));
    await import('../../electron/main/index.js');
    lastResort = process.listeners('uncaughtException').find((l) => !before.has(l));
    expect(electron.app.enableSandbox).toHaveBeenCalled();
    h.ready();
    await vi.waitFor(() => expect(h.windows.length).toBe(1));
    const w = h.windows[0];
    expect(w.options.webPreferences).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false });
    expect(String((w.options.webPreferences as { preload: string }).preload)).toMatch(/preload\.cjs$/);
    expect(w.loaded[0]).toMatch(/renderer[/\\]index\.html$/);
    expect(h.handled.sort()).toEqual(CALL_NAMES.map(channelOf).sort());
    expect(h.trays).toHaveLength(1);
    expect(h.trays[0]).toMatch(/build[/\\]tray[/\\]tray-stopped-light\.png$/);
    expect(electron.Menu.setApplicationMenu).toHaveBeenCalled();
    // The tray's menu, as the Electron e2e test reaches it (Electron lists no Tray objects).
    const trayMenu = (globalThis as TrayMenuGlobal).derpdeskTrayMenu?.() as unknown as Array<{ id?: string }>;
    expect(trayMenu.map((i) => i.id)).toContain('relay-toggle');

    // files.choose reaches Electron's dialog over the window, and the pick is then readable through map.open.
    const { pathToFileURL } = await import('node:url');
    const { writeFileSync } = await import('node:fs');
    h.mainFrame.url = pathToFileURL(w.loaded[0]).href;
    h.picked = path.join(h.userData, '..', path.basename(h.userData) + '-picked.yaml');
    writeFileSync(h.picked, 'regions: {}\n');
    const call = (name: Parameters<typeof channelOf>[0], ...args: unknown[]) =>
      h.handlers.get(channelOf(name))!({ senderFrame: h.mainFrame }, ...args);
    await expect(call('map.open', { kind: 'file', path: h.picked })).rejects.toThrow('was not chosen in a file dialog');
    expect(await call('files.canChoose')).toBe(true);
    expect(await call('files.choose', { mode: 'open', purpose: 'map' })).toBe(h.picked);
    expect(electron.dialog.showOpenDialog).toHaveBeenCalledWith(
      expect.objectContaining({ webContents: expect.anything() }),
      expect.objectContaining({ title: 'Open DERP map' }),
    );
    expect(await call('map.open', { kind: 'file', path: h.picked })).toMatchObject({ format: 'yaml', path: h.picked });
    expect(await call('files.choose', { mode: 'save', purpose: 'map' })).toBeNull();
  });

  it("asks where to save an export with a titled, filtered save dialog, and refuses downloads that aren't the page's", () => {
    const download = (url: string, name: string) => {
      let cancelled = false;
      let options: unknown = null;
      const item = { getURL: () => url, getFilename: () => name, setSaveDialogOptions: (o: unknown) => (options = o) };
      h.sessionEvents.get('will-download')!({ preventDefault: () => (cancelled = true) }, item, {});
      return { cancelled, options };
    };
    expect(download('blob:file:///5f0c', 'derpdesk-check.csv')).toEqual({
      cancelled: false,
      options: {
        title: 'Save export',
        defaultPath: expect.stringMatching(/[/\\]derpdesk-check\.csv$/),
        filters: [
          { name: 'CSV (spreadsheet)', extensions: ['csv'] },
          { name: 'All files', extensions: ['*'] },
        ],
        properties: ['createDirectory', 'showOverwriteConfirmation'],
      },
    });
    expect(download('https://example.com/payload.exe', 'payload.exe')).toEqual({ cancelled: true, options: null });
  });

  it('starts the relay at launch when the saved settings say so, and a DERP client can connect', async () => {
    const call = (name: Parameters<typeof channelOf>[0]) =>
      h.handlers.get(channelOf(name))!({ senderFrame: h.mainFrame });
    let state = { status: 'stopped' } as RelayState;
    await vi.waitFor(
      async () => {
        state = (await call('relay.getState')) as RelayState;
        expect(state.status).toBe('running');
      },
      { timeout: 10_000 },
    );
    if (state.status !== 'running') throw new Error('not running');
    const client = await DerpClient.connect({ url: state.endpoints[0].url });
    expect(await client.ping()).toBeGreaterThan(0);
    client.close();
    expect(await call('relay.stop')).toEqual({ status: 'stopped' });
  });

  it('answers an uncaught exception with one error box and exit status 70, not a dialog per exception', async () => {
    const electron = await import('electron');
    expect(lastResort, 'the main process installs an uncaughtException handler').toBeDefined();
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    lastResort!(new Error('boom in a handler'), 'uncaughtException');
    expect(warn.mock.calls.join('\n')).toMatch(/boom in a handler[\s\S]*at /);
    expect(electron.dialog.showErrorBox).toHaveBeenCalledTimes(1);
    expect(electron.app.exit).toHaveBeenCalledWith(70);
    warn.mockRestore();
  });
});
