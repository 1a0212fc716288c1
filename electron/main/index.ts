/**
 * Electron entry point: the only module that touches Electron's runtime. It wires the plain-Node services to a
 * window through the typed IPC layer; everything else lives in modules that run and are tested without Electron.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { BrowserWindow, app, dialog, ipcMain, session, shell } from 'electron';
import { GrantsPolicy } from '../app/file-access.js';
import { createAppServices } from '../app/services.js';
import { startStunRunner } from '../app/stun-runner.js';
import { installLastResort } from '../util/last-resort.js';
import { consoleLogger } from '../util/log.js';
import { showFileDialog } from './file-dialog.js';
import { forwardEvents, registerIpc } from './ipc.js';
import { installSessionGuards, installWindowGuards, isAppUrl, mainWindowOptions } from './window.js';
import { errorDetail, errorMessage } from '../../shared/errors.js';

const indexHtml = path.join(__dirname, '..', 'renderer', 'index.html');
const appUrl = pathToFileURL(indexHtml).href;

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
if (!app.requestSingleInstanceLock()) app.quit();

let win: BrowserWindow | null = null;

app
  .whenReady()
  .then(() => {
    const dataDir = app.getPath('userData');
    const files = new GrantsPolicy(dataDir, (req) => showFileDialog(dialog, win, req));
    const services = createAppServices({ dataDir, logger: consoleLogger, startStun: startStunRunner, files });
    installSessionGuards(session.defaultSession);
    registerIpc(
      ipcMain,
      services,
      (frame) => !!frame && !!win && frame === win.webContents.mainFrame && isAppUrl(frame.url, appUrl),
    );
    forwardEvents(services, () => win?.webContents ?? null);

    const createWindow = () => {
      win = new BrowserWindow(mainWindowOptions(path.join(__dirname, 'preload.cjs')));
      installWindowGuards(win.webContents, appUrl, (url) => {
        shell
          .openExternal(url)
          .catch((err: unknown) => consoleLogger.warn(`derpdesk: cannot open ${url}: ${errorMessage(err)}`));
      });
      // The map editor refuses to unload with unsaved edits; Electron then cancels the close silently unless asked.
      win.webContents.on('will-prevent-unload', (event) => {
        const choice = dialog.showMessageBoxSync(win!, {
          type: 'question',
          buttons: ['Leave without saving', 'Stay'],
          defaultId: 1,
          cancelId: 1,
          message: 'The DERP map has unsaved edits.',
          detail: 'Leave and lose them, or stay and save them first?',
        });
        if (choice === 0) event.preventDefault();
      });
      win.once('ready-to-show', () => win?.show());
      win.on('closed', () => (win = null));
      win
        .loadFile(indexHtml)
        .catch((err: unknown) =>
          consoleLogger.warn(`derpdesk: cannot load the window's page ${indexHtml}: ${errorMessage(err)}`),
        );
    };
    createWindow();
    // A relay that cannot start is logged and shown as the relay's state in the window; the app keeps running.
    services
      .startRelayOnLaunch()
      .catch((err: unknown) =>
        consoleLogger.warn(`derpdesk: starting the relay at launch failed: ${errorDetail(err)}`),
      );

    app.on('second-instance', () => {
      if (win) {
        if (win.isMinimized()) win.restore();
        win.focus();
      }
    });
    app.on('activate', () => {
      if (!win) createWindow();
    });
    let disposed = false;
    app.on('before-quit', (event) => {
      if (disposed) return;
      event.preventDefault();
      disposed = true;
      services
        .dispose()
        .catch((err: unknown) => consoleLogger.warn(`derpdesk: stopping the relay failed: ${errorMessage(err)}`))
        .finally(() => app.quit());
    });
  })
  .catch((err: unknown) => {
    consoleLogger.warn(`derpdesk: cannot start: ${errorDetail(err)}`);
    dialog.showErrorBox('derpdesk could not start', errorMessage(err));
    app.exit(1);
  });

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});
