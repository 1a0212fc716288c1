/**
 * Electron entry point: the only module that touches Electron's runtime. It wires the plain-Node services to a
 * window through the typed IPC layer; everything else lives in modules that run and are tested without Electron.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  BrowserWindow,
  Menu,
  Notification,
  Tray,
  app,
  clipboard,
  dialog,
  ipcMain,
  nativeTheme,
  session,
  shell,
} from 'electron';
import { GrantsPolicy } from '../app/file-access.js';
import { createAppServices } from '../app/services.js';
import { startStunRunner } from '../app/stun-runner.js';
import { installLastResort } from '../util/last-resort.js';
import { consoleLogger, type Logger } from '../util/log.js';
import type { DesktopPage } from '../../shared/desktop-commands.js';
import { DesktopPrefs } from './desktop-prefs.js';
import { DesktopSettingsStore } from './desktop-settings.js';
import { startDesktop, type Desktop, type TrayMenuGlobal } from './desktop.js';
import { showFileDialog } from './file-dialog.js';
import { createFileLogger } from './file-log.js';
import { installExportDialogs } from './export-dialog.js';
import { defaultAutostartDir } from './login-item.js';
import { UserPicks } from './user-picks.js';
import { forwardEvents, registerIpc } from './ipc.js';
import { installSessionGuards, installWindowGuards, isAppUrl, mainWindowOptions } from './window.js';
import { errorDetail, errorMessage } from '../../shared/errors.js';

const indexHtml = path.join(__dirname, '..', 'renderer', 'index.html');
const appUrl = pathToFileURL(indexHtml).href;
// Packaged, build/tray sits inside app.asar (electron-builder.yml lists it under files); in development beside dist/.
const trayIconDir = path.join(__dirname, '..', '..', 'build', 'tray');

// Without this, Electron shows a dialog for every uncaught exception and keeps running in an unknown state; the
// relay may be half-stopped. One box says what happened, then the app exits like the CLI does.
installLastResort(consoleLogger, {
  name: 'derpdesk',
  exit: (code) => {
    dialog.showErrorBox(
      'derpdesk stopped after an internal error',
      'The relay was stopped. Start derpdesk from a terminal to see the details, and please report them.',
    );
    app.exit(code);
  },
});

app.enableSandbox();
// Windows shows notifications only for an app with this id; it must match electron-builder.yml's appId.
if (process.platform === 'win32') app.setAppUserModelId('dev.derpdesk.app');
if (!app.requestSingleInstanceLock()) app.quit();

let desktop: Desktop<BrowserWindow> | null = null;
const currentWindow = () => desktop?.lifecycle.window() ?? null;
// Electron lists no Tray objects, so an end-to-end test driving the main process (Playwright's Electron driver)
// clicks the tray's menu through this. Only main-process code can reach it; the sandboxed window cannot.
(globalThis as TrayMenuGlobal).derpdeskTrayMenu = () => desktop?.tray.contextMenu() ?? null;

/** The main window on `page`, guarded (electron/main/window.ts); it shows itself once its page is ready. */
function createWindow(page: DesktopPage | undefined, logger: Logger): BrowserWindow {
  const win = new BrowserWindow(mainWindowOptions(path.join(__dirname, 'preload.cjs')));
  installWindowGuards(win.webContents, appUrl, (url) => {
    shell.openExternal(url).catch((err: unknown) => logger.warn(`derpdesk: cannot open ${url}: ${errorMessage(err)}`));
  });
  // The map editor refuses to unload with unsaved edits; Electron then cancels the close silently unless asked.
  win.webContents.on('will-prevent-unload', (event) => {
    const choice = dialog.showMessageBoxSync(win, {
      type: 'question',
      buttons: ['Leave without saving', 'Stay'],
      defaultId: 1,
      cancelId: 1,
      message: 'The DERP map has unsaved edits.',
      detail: 'Leave and lose them, or stay and save them first?',
    });
    if (choice === 0) event.preventDefault();
  });
  win.once('ready-to-show', () => win.show());
  win
    .loadFile(indexHtml, page ? { hash: page } : {})
    .catch((err: unknown) => logger.warn(`derpdesk: cannot load the window's page ${indexHtml}: ${errorMessage(err)}`));
  return win;
}

app
  .whenReady()
  .then(async () => {
    const dataDir = app.getPath('userData');
    const logger = createFileLogger(app.getPath('logs'), consoleLogger);
    const desktopSettings = new DesktopSettingsStore(dataDir, logger);
    await desktopSettings.load();
    const picks = new UserPicks(
      (req) => showFileDialog(dialog, currentWindow(), req),
      (file) => desktopSettings.addRecent(file),
    );
    const files = new GrantsPolicy(dataDir, picks.show);
    const prefs = new DesktopPrefs(desktopSettings, {
      app,
      platform: process.platform,
      executable: process.env.APPIMAGE ?? process.execPath,
      autostartDir: defaultAutostartDir(),
    });
    const services = createAppServices({ dataDir, logger, startStun: startStunRunner, files, desktop: prefs });
    installSessionGuards(session.defaultSession);
    installExportDialogs(session.defaultSession, () => app.getPath('downloads'), logger);
    registerIpc(ipcMain, services, (frame) => {
      const win = currentWindow();
      return !!frame && !!win && frame === win.webContents.mainFrame && isAppUrl(frame.url, appUrl);
    });
    forwardEvents(services, () => currentWindow()?.webContents ?? null);

    desktop = startDesktop({
      electron: {
        app,
        Menu,
        Tray,
        Notification,
        nativeTheme,
        dialog,
        openPath: (p) => {
          shell.openPath(p).then(
            (problem) => problem && logger.warn(`derpdesk: cannot open ${p}: ${problem}`),
            (err: unknown) => logger.warn(`derpdesk: cannot open ${p}: ${errorMessage(err)}`),
          );
        },
        copyText: (text) => clipboard.writeText(text),
      },
      services,
      files,
      picks,
      prefs,
      createWindow: (page) => createWindow(page, logger),
      dataDir,
      logFile: logger.file,
      iconDir: trayIconDir,
      logger,
      platform: process.platform,
      argv: process.argv,
      versions: process.versions,
    });
    // A relay that cannot start is logged and shown as the relay's state (and by the tray); the app keeps running.
    services
      .startRelayOnLaunch()
      .catch((err: unknown) => logger.warn(`derpdesk: starting the relay at launch failed: ${errorDetail(err)}`));
  })
  .catch((err: unknown) => {
    consoleLogger.warn(`derpdesk: cannot start: ${errorDetail(err)}`);
    dialog.showErrorBox('derpdesk could not start', errorMessage(err));
    app.exit(1);
  });
