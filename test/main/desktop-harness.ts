/**
 * The desktop host as the app builds it (real services and relay in a temp dir, the real file policy and desktop
 * settings store) around fake Electron objects, for tests that act like a user: close the window, use the tray
 * and the menus, click notifications.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GrantsPolicy } from '../../electron/app/file-access.js';
import { createAppServices, type AppServices } from '../../electron/app/services.js';
import { DesktopPrefs } from '../../electron/main/desktop-prefs.js';
import { DesktopSettingsStore } from '../../electron/main/desktop-settings.js';
import { startDesktop, type Desktop } from '../../electron/main/desktop.js';
import { UserPicks } from '../../electron/main/user-picks.js';
import { silentLogger } from '../../electron/util/log.js';
import { DEFAULT_SETTINGS, type RelaySettings } from '../../shared/settings.js';
import { FakeWindow, fakeElectron } from './fake-electron.js';

export interface DesktopHarness {
  dir: string;
  dataDir: string;
  services: AppServices;
  desktop: Desktop;
  settings: DesktopSettingsStore;
  fake: ReturnType<typeof fakeElectron>;
  windows: FakeWindow[];
  /** What the next native file dialogs answer (null: cancelled). */
  dialogAnswers: Array<string | null>;
  tray(): ReturnType<typeof fakeElectron>['trays'][number];
  saveRelaySettings(over: Partial<RelaySettings>): Promise<void>;
  close(): Promise<void>;
}

export async function startDesktopHarness(
  opts: {
    platform?: NodeJS.Platform;
    argv?: string[];
    prepare?: (dataDir: string) => void;
    /** What the OS reports as the login item (macOS, Windows). */
    osOpenAtLogin?: boolean;
  } = {},
): Promise<DesktopHarness> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'derpdesk-desktop-'));
  const dataDir = path.join(dir, 'data');
  mkdirSync(dataDir);
  opts.prepare?.(dataDir);
  const fake = fakeElectron(opts.platform ?? 'linux');
  fake.state.osOpenAtLogin = opts.osOpenAtLogin ?? false;
  const settings = new DesktopSettingsStore(dataDir, silentLogger);
  await settings.load();
  const dialogAnswers: Array<string | null> = [];
  const picks = new UserPicks(
    async () => dialogAnswers.shift() ?? null,
    (file) => settings.addRecent(file),
  );
  const files = new GrantsPolicy(dataDir, picks.show);
  const prefs = new DesktopPrefs(settings, {
    app: fake.electron.app,
    platform: fake.platform,
    executable: '/opt/derp desk/derpdesk',
    autostartDir: path.join(dir, 'autostart'),
  });
  const services = createAppServices({ dataDir, logger: silentLogger, files, desktop: prefs });
  const windows: FakeWindow[] = [];
  const desktop = startDesktop({
    electron: fake.electron,
    services,
    files,
    picks,
    prefs,
    createWindow: (page) => {
      const w = new FakeWindow(page);
      windows.push(w);
      return w as never;
    },
    dataDir,
    logFile: path.join(dir, 'logs', 'derpdesk.log'),
    iconDir: '/icons',
    logger: silentLogger,
    platform: fake.platform,
    argv: opts.argv ?? ['derpdesk'],
    versions: { electron: '45.0.0', chrome: '140.0.0.0', node: '22.0.0' },
  });
  return {
    dir,
    dataDir,
    services,
    desktop,
    settings,
    fake,
    windows,
    dialogAnswers,
    tray: () => fake.trays[0],
    saveRelaySettings: async (over) => {
      const r = await services.handlers['settings.save']({
        ...DEFAULT_SETTINGS,
        listenAddr: '127.0.0.1:0',
        stunEnabled: false,
        ...over,
      });
      if (!r.ok) throw new Error(`settings refused: ${JSON.stringify(r.errors)}`);
    },
    close: async () => {
      desktop.dispose();
      await services.dispose();
      await settings.saved();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
