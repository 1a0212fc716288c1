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
import { consoleLogger } from '../util/log.js';
import { showFileDialog } from './file-dialog.js';
import { forwardEvents, registerIpc } from './ipc.js';
import { installSessionGuards, installWindowGuards, isAppUrl, mainWindowOptions } from './window.js';

const indexHtml = path.join(__dirname, '..', 'renderer', 'index.html');
const appUrl = pathToFileURL(indexHtml).href;

app.enableSandbox();
if (!app.requestSingleInstanceLock()) app.quit();

let win: BrowserWindow | null = null;

app.whenReady().then(() => {
  const dataDir = app.getPath('userData');
  const files = new GrantsPolicy(dataDir, (req) => showFileDialog(dialog, win, req));
  const services = createAppServices({ dataDir, logger: consoleLogger, startStun: startStunRunner, files });
  installSessionGuards(session.defaultSession);
  registerIpc(ipcMain, services, (frame) => !!frame && !!win && frame === win.webContents.mainFrame && isAppUrl(frame.url, appUrl));
  forwardEvents(services, () => win?.webContents ?? null);

  const createWindow = () => {
    win = new BrowserWindow(mainWindowOptions(path.join(__dirname, 'preload.cjs')));
    installWindowGuards(win.webContents, appUrl, (url) => void shell.openExternal(url));
    win.once('ready-to-show', () => win?.show());
    win.on('closed', () => (win = null));
    void win.loadFile(indexHtml);
  };
  createWindow();

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
    void services.dispose().finally(() => app.quit());
  });
});

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});
