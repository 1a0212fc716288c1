/**
 * Stand-ins for the Electron objects the desktop host takes by interface (Electron's binary cannot run here):
 * they record what the app asked of them, and let a test click menu items, close the window, fire app events
 * and click notifications the way a user would.
 */
import { EventEmitter } from 'node:events';
import type { MenuItemConstructorOptions } from 'electron';
import type { DesktopElectron } from '../../electron/main/desktop.js';
import type { DesktopCommand, DesktopPage } from '../../shared/desktop-commands.js';

export type Template = MenuItemConstructorOptions[];

/** Depth-first search of a menu template by item id. */
export function findItem(menu: Template, id: string): MenuItemConstructorOptions | undefined {
  for (const item of menu) {
    if (item.id === id) return item;
    const sub = Array.isArray(item.submenu) ? findItem(item.submenu, id) : undefined;
    if (sub) return sub;
  }
  return undefined;
}

/** Clicks an item as Electron would (a checkbox flips first, then its click handler sees the new state). */
export function click(menu: Template, id: string): void {
  const item = findItem(menu, id);
  if (!item) throw new Error(`no menu item ${id}`);
  if (item.enabled === false) throw new Error(`menu item ${id} is disabled`);
  const checked = item.type === 'checkbox' ? !item.checked : item.checked;
  item.click!({ ...item, checked } as never, undefined as never, {} as never);
}

export class FakeWindow extends EventEmitter {
  visible = true;
  destroyed = false;
  readonly sent: DesktopCommand[] = [];
  readonly contents = new EventEmitter();
  readonly webContents = Object.assign(this.contents, {
    send: (_channel: string, command: DesktopCommand) => this.sent.push(command),
    isDestroyed: () => this.destroyed,
  });

  constructor(readonly page: DesktopPage | undefined) {
    super();
  }

  show = () => void (this.visible = true);
  hide = () => void (this.visible = false);
  focus = () => {};
  restore = () => {};
  isMinimized = () => false;
  isVisible = () => this.visible;
  isDestroyed = () => this.destroyed;

  /** The user closes the window: true when it really closed, false when the app kept it (hidden). */
  userClose(): boolean {
    let prevented = false;
    this.emit('close', { preventDefault: () => (prevented = true) });
    if (prevented) return false;
    this.destroyed = true;
    this.emit('closed');
    return true;
  }

  finishLoad(): void {
    this.contents.emit('did-finish-load');
  }
}

export interface FakeTray {
  image: string;
  toolTip: string;
  menu: Template;
  destroyed: boolean;
}

export interface FakeNotification {
  title: string;
  body: string;
  shown: boolean;
  click(): void;
}

export function fakeElectron(platform: NodeJS.Platform = 'linux') {
  const appEvents = new EventEmitter();
  const trays: FakeTray[] = [];
  const notifications: FakeNotification[] = [];
  const loginItems: unknown[] = [];
  const opened: string[] = [];
  const errors: string[] = [];
  const state = {
    menu: [] as Template,
    quits: 0,
    dark: false,
    messageBoxResponse: 0,
    copied: '',
    notificationsSupported: true,
    messageBoxes: [] as Array<{ message?: string; detail?: string }>,
    /** What macOS or Windows report as the login item now. */
    osOpenAtLogin: false,
  };
  const theme = new EventEmitter();

  class Tray extends EventEmitter {
    readonly rec: FakeTray;
    constructor(icon: string) {
      super();
      this.rec = { image: icon, toolTip: '', menu: [], destroyed: false };
      trays.push(this.rec);
    }
    setImage(icon: string) {
      this.rec.image = icon;
    }
    setToolTip(t: string) {
      this.rec.toolTip = t;
    }
    setContextMenu(m: Template) {
      this.rec.menu = m;
    }
    destroy() {
      this.rec.destroyed = true;
    }
  }

  class Notification extends EventEmitter {
    static isSupported = () => state.notificationsSupported;
    readonly rec: FakeNotification;
    constructor(o: { title?: string; body?: string }) {
      super();
      this.rec = { title: o.title ?? '', body: o.body ?? '', shown: false, click: () => this.emit('click') };
    }
    show() {
      this.rec.shown = true;
      notifications.push(this.rec);
    }
  }

  const electron = {
    app: {
      quit: () => {
        state.quits++;
        let prevented = false;
        appEvents.emit('before-quit', { preventDefault: () => (prevented = true) });
        if (!prevented) appEvents.emit('will-quit');
      },
      getVersion: () => '0.1.0',
      isPackaged: false,
      getLoginItemSettings: () => ({ openAtLogin: state.osOpenAtLogin, wasOpenedAtLogin: false }),
      setLoginItemSettings: (s: unknown) => void loginItems.push(s),
      on: (event: string, f: (...a: unknown[]) => void) => appEvents.on(event, f),
    },
    Menu: {
      buildFromTemplate: (t: Template) => t,
      setApplicationMenu: (m: Template) => void (state.menu = m),
    },
    Tray,
    Notification,
    nativeTheme: {
      get shouldUseDarkColors() {
        return state.dark;
      },
      on: (e: string, f: () => void) => theme.on(e, f),
    },
    dialog: {
      showMessageBox: async (box: { message?: string; detail?: string }) => {
        state.messageBoxes.push(box);
        return { response: state.messageBoxResponse, checkboxChecked: false };
      },
      showErrorBox: (title: string, body: string) => void errors.push(`${title}: ${body}`),
    },
    openPath: (p: string) => void opened.push(p),
    copyText: (t: string) => void (state.copied = t),
  };
  return {
    electron: electron as unknown as DesktopElectron,
    appEvents,
    trays,
    notifications,
    loginItems,
    opened,
    errors,
    state,
    platform,
    /** The system switches between light and dark. */
    setDark(dark: boolean) {
      state.dark = dark;
      theme.emit('updated');
    },
  };
}
