/**
 * The window's life in a tray app: closing it while the relay runs hides it (the relay keeps serving; the first
 * time, a notice says where the app went), opening it again reuses it, and quitting stops the relay gracefully
 * (clients get Restarting) before the app exits. Takes the window and the app by interface.
 */
import type { BrowserWindow, WebContents } from 'electron';
import type { RelayState } from '../../shared/api.js';
import { DESKTOP_COMMAND_CHANNEL, type DesktopCommand, type DesktopPage } from '../../shared/desktop-commands.js';
import type { Logger } from '../util/log.js';
import type { DesktopSettingsStore } from './desktop-settings.js';
import { errorMessage } from '../../shared/errors.js';

export type WindowLike = Pick<
  BrowserWindow,
  'show' | 'hide' | 'focus' | 'restore' | 'isMinimized' | 'isVisible' | 'isDestroyed' | 'on'
> & { webContents: Pick<WebContents, 'send' | 'isDestroyed' | 'once'> };

export interface LifecycleDeps<W extends WindowLike> {
  /** Makes and loads a window showing `page` (the window shows itself once ready). */
  createWindow(page: DesktopPage | undefined): W;
  relayState(): RelayState;
  settings: DesktopSettingsStore;
  /** Tells the user once that the app went on running in the tray. */
  showTrayNotice(): void;
  /** Stops the relay (with the Restarting notice to its clients) and everything else. */
  dispose(): Promise<void>;
  /** Quits for real (Electron's app.quit). */
  quit(): void;
  platform: NodeJS.Platform;
  logger: Logger;
  /** The app was started at login, hidden: it lives in the tray whatever the relay does. */
  startedHidden: boolean;
}

/** Whether closing the window should only hide it. */
export function hideOnClose(keepRunningInTray: boolean, state: RelayState, startedHidden: boolean): boolean {
  if (!keepRunningInTray) return false;
  return startedHidden || state.status === 'running' || state.status === 'starting';
}

/** `W`: the window type the app makes (Electron's BrowserWindow), handed back as is. */
export class WindowLifecycle<W extends WindowLike = WindowLike> {
  private win: W | null = null;
  private quitting = false;
  private disposed = false;
  /** Commands for a window still loading its page: nothing in it would hear them yet. */
  private pending: DesktopCommand[] | null = null;

  constructor(private readonly d: LifecycleDeps<W>) {}

  startedHidden(): boolean {
    return this.d.startedHidden;
  }

  window(): W | null {
    return this.win;
  }

  /** Shows the window (making it when there is none), on `page` when given. */
  open(page?: DesktopPage): W {
    const existing = this.win;
    if (!existing) {
      const win = this.d.createWindow(page);
      this.win = win;
      win.on('close', (event) => this.onClose(event));
      win.on('closed', () => {
        if (this.win === win) this.win = null;
      });
      this.pending = [];
      win.webContents.once('did-finish-load', () => {
        const queued = this.pending ?? [];
        this.pending = null;
        for (const c of queued) this.send(c);
      });
      return win;
    }
    if (page) this.send({ type: 'navigate', page });
    if (existing.isMinimized()) existing.restore();
    existing.show();
    existing.focus();
    return existing;
  }

  /** Sends a menu or tray command to the window, opening it first when it is closed or hidden. */
  command(command: DesktopCommand, page?: DesktopPage): void {
    const win = this.win;
    if (!win || !win.isVisible()) this.open(page);
    else if (page) this.send({ type: 'navigate', page });
    this.send(command);
  }

  private send(command: DesktopCommand): void {
    if (this.pending) {
      this.pending.push(command);
      return;
    }
    const wc = this.win?.webContents;
    if (wc && !wc.isDestroyed()) wc.send(DESKTOP_COMMAND_CHANNEL, command);
  }

  private onClose(event: { preventDefault(): void }): void {
    if (this.quitting) return;
    const s = this.d.settings.get();
    if (!hideOnClose(s.keepRunningInTray, this.d.relayState(), this.d.startedHidden)) return;
    event.preventDefault();
    this.win?.hide();
    if (!s.trayNoticeShown) {
      this.d.settings.update({ trayNoticeShown: true });
      this.d.showTrayNotice();
    }
  }

  /** Electron's 'window-all-closed': the window really closed, so the app ends, except on macOS by convention. */
  onAllWindowsClosed(): void {
    if (this.d.platform !== 'darwin') this.d.quit();
  }

  /**
   * Electron's 'before-quit': the first one is held until the relay has stopped and told its clients to come back
   * later; then the app quits for real and the window closes instead of hiding.
   */
  onBeforeQuit(event: { preventDefault(): void }): void {
    this.quitting = true;
    if (this.disposed) return;
    event.preventDefault();
    this.disposed = true;
    this.d
      .dispose()
      .catch((err: unknown) => this.d.logger.warn(`derpdesk: stopping the relay failed: ${errorMessage(err)}`))
      .finally(() => this.d.quit());
  }
}
