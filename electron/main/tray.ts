/**
 * The tray icon: it shows whether the relay is stopped, running or failing, and its menu starts and stops the
 * relay, counts the clients, opens the window, checks the relay and quits. It reads the relay through the API's
 * events, so it shows the same state as the window, and takes Electron's Tray and Menu by interface.
 */
import path from 'node:path';
import type { Menu, MenuItemConstructorOptions, Tray } from 'electron';
import type { RelayState } from '../../shared/api.js';
import type { PeerInfo } from '../../shared/relay.js';
import type { ApiEventEmitter } from '../app/events.js';

export type TrayStatus = 'stopped' | 'running' | 'failing';

export function trayStatus(state: RelayState): TrayStatus {
  if (state.status === 'running') return 'running';
  if (state.status === 'failed') return 'failing';
  return 'stopped';
}

/** The icon for a status, drawn for a light or a dark taskbar (build/tray, rendered by scripts/render-icons.mjs). */
export function trayIconPath(iconDir: string, status: TrayStatus, darkTaskbar: boolean): string {
  return path.join(iconDir, `tray-${status}-${darkTaskbar ? 'dark' : 'light'}.png`);
}

const STATE_WORDS: Record<RelayState['status'], string> = {
  stopped: 'stopped',
  starting: 'starting…',
  running: 'running',
  stopping: 'stopping…',
  failed: 'failing',
};

export function trayToolTip(state: RelayState, clients: number): string {
  if (state.status === 'running') return `derpdesk: relay running, ${clients} client${clients === 1 ? '' : 's'}`;
  if (state.status === 'failed') return `derpdesk: relay failing: ${state.error}`;
  return `derpdesk: relay ${STATE_WORDS[state.status]}`;
}

export interface TrayActions {
  startRelay(): void;
  stopRelay(): void;
  openWindow(): void;
  checkRelay(): void;
  quit(): void;
}

export function trayMenuTemplate(state: RelayState, clients: number, act: TrayActions): MenuItemConstructorOptions[] {
  const busy = state.status === 'starting' || state.status === 'stopping';
  const running = state.status === 'running';
  return [
    { label: `Relay ${STATE_WORDS[state.status]}`, enabled: false },
    running
      ? { id: 'relay-toggle', label: 'Stop Relay', click: act.stopRelay }
      : { id: 'relay-toggle', label: 'Start Relay', enabled: !busy, click: act.startRelay },
    { id: 'clients', label: `Clients now: ${running ? clients : 0}`, enabled: false },
    { type: 'separator' },
    { id: 'open', label: 'Open derpdesk', click: act.openWindow },
    { id: 'check', label: 'Check This Relay', enabled: running, click: act.checkRelay },
    { type: 'separator' },
    { id: 'quit', label: 'Quit derpdesk', click: act.quit },
  ];
}

export type TrayLike = Pick<Tray, 'setImage' | 'setToolTip' | 'setContextMenu' | 'on' | 'destroy'>;

export interface TrayHost {
  createTray(iconPath: string): TrayLike;
  buildMenu(template: MenuItemConstructorOptions[]): Menu;
  /** Whether the taskbar is dark (Electron's nativeTheme.shouldUseDarkColors). */
  isDark(): boolean;
}

export class RelayTray {
  private state: RelayState;
  private clients = 0;
  private menu: Menu | null = null;
  private readonly tray: TrayLike;
  private readonly offs: Array<() => void> = [];

  constructor(
    private readonly host: TrayHost,
    private readonly iconDir: string,
    events: ApiEventEmitter,
    initial: RelayState,
    private readonly actions: TrayActions,
  ) {
    this.state = initial;
    this.tray = host.createTray(this.iconPath());
    // On Windows and Linux a left click on a tray icon is expected to bring the window back.
    this.tray.on('click', () => actions.openWindow());
    const onState = (s: RelayState) => {
      this.state = s;
      this.render();
    };
    const onPeers = (peers: PeerInfo[]) => {
      if (peers.length === this.clients) return;
      this.clients = peers.length;
      this.render();
    };
    events.on('relay.state', onState);
    events.on('peers.snapshot', onPeers);
    this.offs.push(
      () => events.off('relay.state', onState),
      () => events.off('peers.snapshot', onPeers),
    );
    this.render();
  }

  /** Redraws the icon, tooltip and menu; also called when the system switches between light and dark. */
  render(): void {
    this.tray.setImage(this.iconPath());
    this.tray.setToolTip(trayToolTip(this.state, this.clients));
    this.menu = this.host.buildMenu(trayMenuTemplate(this.state, this.clients, this.actions));
    this.tray.setContextMenu(this.menu);
  }

  /** The menu the tray shows now. */
  contextMenu(): Menu | null {
    return this.menu;
  }

  dispose(): void {
    for (const off of this.offs) off();
    this.tray.destroy();
  }

  private iconPath(): string {
    return trayIconPath(this.iconDir, trayStatus(this.state), this.host.isDark());
  }
}
