/**
 * The desktop host around the services: tray, application menu, notifications, window lifecycle, login item and
 * recent files, wired to Electron's objects, which it takes by interface (electron/main/index.ts passes the real
 * ones; tests pass fakes).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type {
  App,
  Dialog,
  Menu,
  MenuItemConstructorOptions,
  NativeTheme,
  Notification,
  NotificationConstructorOptions,
} from 'electron';
import type { DesktopPage } from '../../shared/desktop-commands.js';
import type { FileAccess } from '../app/file-access.js';
import type { AppServices } from '../app/services.js';
import type { Logger } from '../util/log.js';
import { showAbout } from './about.js';
import { appMenuTemplate, type AppMenuActions } from './app-menu.js';
import { appSettingsOf, type DesktopPrefs } from './desktop-prefs.js';
import type { DesktopSettings } from './desktop-settings.js';
import { WindowLifecycle, type WindowLike } from './lifecycle.js';
import { noticeNodeChanges } from './monitor-notices.js';
import { HIDDEN_FLAG, applyOpenAtLogin, startedHidden } from './login-item.js';
import { RelayNotices } from './relay-notices.js';
import { RelayTray, type TrayActions, type TrayLike } from './tray.js';
import type { UserPicks } from './user-picks.js';
import { errorMessage } from '../../shared/errors.js';

type NotificationLike = Pick<Notification, 'on' | 'show'>;

export interface DesktopElectron {
  app: Pick<App, 'quit' | 'getVersion' | 'isPackaged' | 'getLoginItemSettings' | 'setLoginItemSettings' | 'on'>;
  Menu: Pick<typeof Menu, 'buildFromTemplate' | 'setApplicationMenu'>;
  Tray: new (icon: string) => TrayLike;
  Notification: { new (options: NotificationConstructorOptions): NotificationLike; isSupported(): boolean };
  nativeTheme: Pick<NativeTheme, 'shouldUseDarkColors' | 'on'>;
  dialog: Pick<Dialog, 'showMessageBox' | 'showErrorBox'>;
  openPath(p: string): void;
  copyText(text: string): Promise<void> | void;
}

export interface DesktopOptions<W extends WindowLike = WindowLike> {
  electron: DesktopElectron;
  services: AppServices;
  files: FileAccess;
  picks: UserPicks;
  /** The desktop settings and the login item they control. */
  prefs: DesktopPrefs;
  createWindow(page: DesktopPage | undefined): W;
  dataDir: string;
  logFile: string;
  /** The folder with the tray icons (build/tray). */
  iconDir: string;
  logger: Logger;
  platform: NodeJS.Platform;
  argv: readonly string[];
  versions: { electron?: string; chrome?: string; node: string };
}

export interface Desktop<W extends WindowLike = WindowLike> {
  lifecycle: WindowLifecycle<W>;
  tray: RelayTray;
  notices: RelayNotices;
  /** Stops listening to the services and removes the tray icon. */
  dispose(): void;
}

/** The main-process global through which end-to-end tests reach the tray's menu (electron/main/index.ts). */
export type TrayMenuGlobal = typeof globalThis & { derpdeskTrayMenu?: () => Menu | null };

export interface ShownNotice {
  title: string;
  body: string;
  page?: DesktopPage;
}

type Warn = (what: string) => (err: unknown) => void;

export function startDesktop<W extends WindowLike>(o: DesktopOptions<W>): Desktop<W> {
  const { app } = o.electron;
  const warn: Warn = (what) => (err) => o.logger.warn(`derpdesk: ${what}: ${errorMessage(err)}`);
  // Notices are clicked long after start-up, by when `lifecycle` exists.
  const notify = notifier(o, (page) => lifecycle.open(page), warn);
  const lifecycle = new WindowLifecycle<W>({
    createWindow: o.createWindow,
    relayState: () => o.services.controller.getState(),
    settings: o.prefs.store,
    showTrayNotice: () =>
      notify({
        title: 'derpdesk is still running',
        body: 'The relay keeps serving. Open or quit derpdesk from its icon in the tray (or turn this off in the menu).',
      }),
    dispose: () => o.services.dispose(),
    quit: () => app.quit(),
    platform: o.platform,
    logger: o.logger,
    startedHidden: startedHidden(o.argv, o.platform === 'darwin' && app.getLoginItemSettings().wasOpenedAtLogin),
  });
  const notices = new RelayNotices({
    events: o.services.events,
    denied: () => o.services.controller.trust().denied,
    certificate: () => o.services.controller.certificateInfo(),
    notify,
    logger: o.logger,
  });
  const offMonitor = noticeNodeChanges(o.services.events, notify);
  // The page shows these settings too: changed from the menu, it hears so.
  const onSettings = (s: DesktopSettings) => o.services.events.emit('desktop.settings', appSettingsOf(s));
  o.prefs.store.on('change', onSettings);
  const tray = relayTray(o, lifecycle, warn);
  installAppMenu(o, lifecycle, warn);

  app.on('before-quit', (event) => lifecycle.onBeforeQuit(event));
  app.on('window-all-closed', () => lifecycle.onAllWindowsClosed());
  app.on('second-instance', () => lifecycle.open());
  app.on('activate', () => lifecycle.open());
  if (!lifecycle.startedHidden()) lifecycle.open();
  const dispose = () => {
    offMonitor();
    o.prefs.store.off('change', onSettings);
    notices.dispose();
    tray.dispose();
  };
  return { lifecycle, tray, notices, dispose };
}

/** Native notifications whose click opens the window on the notice's page. */
function notifier(
  o: DesktopOptions,
  open: (page: DesktopPage | undefined) => void,
  warn: Warn,
): (n: ShownNotice) => void {
  // Electron drops a notification's click handler once the object is garbage collected: hold each until closed.
  const live = new Set<NotificationLike>();
  return (n) => {
    o.logger.info(`${n.title}: ${n.body}`);
    if (!o.electron.Notification.isSupported()) {
      // Without a notification service (some Linux desktops) a box is the only way the user hears of it.
      o.electron.dialog
        .showMessageBox({ type: 'info', title: 'derpdesk', message: n.title, detail: n.body, buttons: ['Open', 'OK'] })
        .then(({ response }) => response === 0 && open(n.page), warn('cannot show a notice'));
      return;
    }
    const note = new o.electron.Notification({ title: n.title, body: n.body });
    live.add(note);
    note.on('click', () => open(n.page));
    note.on('close', () => live.delete(note));
    note.show();
  };
}

function relayTray(o: DesktopOptions, lifecycle: WindowLifecycle, warn: Warn): RelayTray {
  const actions: TrayActions = {
    startRelay: () => {
      o.services.handlers['relay.start']().catch(warn('cannot start the relay'));
    },
    stopRelay: () => {
      o.services.handlers['relay.stop']().catch(warn('cannot stop the relay'));
    },
    openWindow: () => lifecycle.open(),
    checkRelay: () => lifecycle.command({ type: 'check-relay' }, 'diagnostics'),
    quit: () => o.electron.app.quit(),
  };
  const tray = new RelayTray(
    {
      createTray: (icon) => new o.electron.Tray(icon),
      buildMenu: (t) => o.electron.Menu.buildFromTemplate(t),
      isDark: () => o.electron.nativeTheme.shouldUseDarkColors,
    },
    o.iconDir,
    o.services.events,
    o.services.controller.getState(),
    actions,
  );
  o.electron.nativeTheme.on('updated', () => tray.render());
  return tray;
}

/** Puts the application menu up, and redraws it whenever a desktop setting (checkboxes, recent maps) changes. */
function installAppMenu(o: DesktopOptions, lifecycle: WindowLifecycle, warn: Warn): void {
  const { app } = o.electron;
  const actions = appMenuActions(o, lifecycle, warn);
  const render = () => {
    const template: MenuItemConstructorOptions[] = appMenuTemplate(
      { platform: o.platform, settings: o.prefs.store.get(), packaged: app.isPackaged },
      actions,
    );
    o.electron.Menu.setApplicationMenu(o.electron.Menu.buildFromTemplate(template));
  };
  o.prefs.store.on('change', render);
  render();
  // macOS and Windows let the user turn the login item off in their own settings: show what is in force.
  if (o.platform !== 'linux') {
    const inForce = app.getLoginItemSettings({ args: [HIDDEN_FLAG] }).openAtLogin === true;
    if (inForce !== o.prefs.store.get().openAtLogin) o.prefs.store.update({ openAtLogin: inForce });
  }
  // The AppImage's path or the install folder may have changed since the entry was written.
  if (o.prefs.store.get().openAtLogin)
    applyOpenAtLogin(true, o.prefs.login).catch(warn('cannot refresh the start-at-login entry'));
}

function appMenuActions(o: DesktopOptions, lifecycle: WindowLifecycle, warn: Warn): AppMenuActions {
  const openPicked = (file: string | null) => {
    if (file) lifecycle.command({ type: 'open-map', path: file }, 'map');
  };
  return {
    send: (command) => {
      if (command.type === 'navigate') lifecycle.open(command.page);
      else lifecycle.command(command);
    },
    openMap: () => {
      o.files.choose({ mode: 'open', purpose: 'map' }).then(openPicked, warn('cannot open a map'));
    },
    openRecent: (file) => {
      if (!existsSync(file)) {
        o.electron.dialog.showErrorBox(
          'derpdesk: map not found',
          `${file} no longer exists; it was removed from Open Recent.`,
        );
        o.prefs.store.update({ recentFiles: o.prefs.store.get().recentFiles.filter((f) => f !== file) });
        return;
      }
      o.picks.grantFromMenu(o.files, file).then(openPicked, warn(`cannot open ${file}`));
    },
    clearRecent: () => o.prefs.store.update({ recentFiles: [] }),
    setKeepRunningInTray: (on) => o.prefs.store.update({ keepRunningInTray: on }),
    setOpenAtLogin: (on) => {
      o.prefs.save({ openAtLogin: on }).catch((err: unknown) => {
        o.electron.dialog.showErrorBox('derpdesk: start at login', `Could not change it: ${errorMessage(err)}`);
        // Redraw so the checkbox shows the setting that is really in force.
        o.prefs.store.update({});
      });
    },
    about: () => {
      showAbout(
        o.electron.dialog,
        { appVersion: o.electron.app.getVersion(), versions: o.versions, dataDir: o.dataDir, logFile: o.logFile },
        o.electron.copyText,
        o.electron.openPath,
      ).catch(warn('cannot show the About box'));
    },
    openDataFolder: () => o.electron.openPath(o.dataDir),
    openLogFolder: () => o.electron.openPath(path.dirname(o.logFile)),
  };
}
