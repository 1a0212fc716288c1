/**
 * The application menu: the usual roles, the page shortcuts (Ctrl/Cmd+1 to 4), Open/Open Recent/Save for maps,
 * undo and redo for the map editor, the desktop settings (tray, login item) and About. Shortcuts that act on the
 * page are sent to the window as DesktopCommands; the rest run here. A template only, so it is testable.
 */
import path from 'node:path';
import type { MenuItemConstructorOptions } from 'electron';
import type { DesktopCommand, DesktopPage } from '../../shared/desktop-commands.js';
import type { DesktopSettings } from './desktop-settings.js';

export interface AppMenuActions {
  send(command: DesktopCommand): void;
  openMap(): void;
  openRecent(file: string): void;
  clearRecent(): void;
  setKeepRunningInTray(on: boolean): void;
  setOpenAtLogin(on: boolean): void;
  about(): void;
  openDataFolder(): void;
  openLogFolder(): void;
}

export interface AppMenuView {
  platform: NodeJS.Platform;
  settings: DesktopSettings;
  /** Development builds keep Reload and the developer tools. */
  packaged: boolean;
}

const PAGE_ITEMS: Array<{ page: DesktopPage; label: string }> = [
  { page: 'relay', label: 'Relay' },
  { page: 'map', label: 'DERP Map' },
  { page: 'diagnostics', label: 'Diagnostics' },
  { page: 'monitor', label: 'Monitor' },
];

function settingsItems(view: AppMenuView, act: AppMenuActions): MenuItemConstructorOptions[] {
  return [
    {
      id: 'keep-running-in-tray',
      label: 'Keep Relay Running in Tray When Window Closes',
      type: 'checkbox',
      checked: view.settings.keepRunningInTray,
      click: (item) => act.setKeepRunningInTray(item.checked),
    },
    {
      id: 'open-at-login',
      label: 'Start at Login (Hidden in Tray)',
      type: 'checkbox',
      checked: view.settings.openAtLogin,
      click: (item) => act.setOpenAtLogin(item.checked),
    },
  ];
}

function fileMenu(view: AppMenuView, act: AppMenuActions): MenuItemConstructorOptions {
  const mac = view.platform === 'darwin';
  const recent: MenuItemConstructorOptions[] = view.settings.recentFiles.map((file) => ({
    label: `${path.basename(file)} — ${path.dirname(file)}`,
    click: () => act.openRecent(file),
  }));
  return {
    label: 'File',
    submenu: [
      { id: 'open-map', label: 'Open Map…', accelerator: 'CmdOrCtrl+O', click: act.openMap },
      {
        id: 'open-recent',
        label: 'Open Recent',
        submenu: [
          ...(recent.length > 0 ? recent : [{ label: 'No recent maps', enabled: false }]),
          { type: 'separator' },
          { label: 'Clear Recent', enabled: recent.length > 0, click: act.clearRecent },
        ],
      },
      {
        id: 'save-map',
        label: 'Save Map',
        accelerator: 'CmdOrCtrl+S',
        click: () => act.send({ type: 'save-map' }),
      },
      { type: 'separator' },
      ...(mac ? [] : [...settingsItems(view, act), { type: 'separator' as const }]),
      mac ? { role: 'close' } : { role: 'quit' },
    ],
  };
}

function editMenu(act: AppMenuActions): MenuItemConstructorOptions {
  return {
    label: 'Edit',
    submenu: [
      { id: 'undo', label: 'Undo', accelerator: 'CmdOrCtrl+Z', click: () => act.send({ type: 'undo' }) },
      { id: 'redo', label: 'Redo', accelerator: 'CmdOrCtrl+Y', click: () => act.send({ type: 'redo' }) },
      { type: 'separator' },
      { role: 'cut' },
      { role: 'copy' },
      { role: 'paste' },
      { role: 'selectAll' },
    ],
  };
}

function viewMenu(view: AppMenuView, act: AppMenuActions): MenuItemConstructorOptions {
  return {
    label: 'View',
    submenu: [
      ...PAGE_ITEMS.map(({ page, label }, i): MenuItemConstructorOptions => ({
        id: `page-${page}`,
        label,
        accelerator: `CmdOrCtrl+${i + 1}`,
        click: () => act.send({ type: 'navigate', page }),
      })),
      { type: 'separator' },
      ...(view.packaged ? [] : [{ role: 'reload' as const }, { role: 'toggleDevTools' as const }]),
      { role: 'resetZoom' },
      { role: 'zoomIn' },
      { role: 'zoomOut' },
      { type: 'separator' },
      { role: 'togglefullscreen' },
    ],
  };
}

function helpItems(act: AppMenuActions): MenuItemConstructorOptions[] {
  return [
    { id: 'open-data-folder', label: 'Open Data Folder', click: act.openDataFolder },
    { id: 'open-log-folder', label: 'Open Log Folder', click: act.openLogFolder },
  ];
}

export function appMenuTemplate(view: AppMenuView, act: AppMenuActions): MenuItemConstructorOptions[] {
  const mac = view.platform === 'darwin';
  const about: MenuItemConstructorOptions = { id: 'about', label: 'About derpdesk', click: act.about };
  return [
    ...(mac
      ? [
          {
            label: 'derpdesk',
            submenu: [
              about,
              { type: 'separator' },
              ...settingsItems(view, act),
              { type: 'separator' },
              { role: 'hide' },
              { role: 'hideOthers' },
              { role: 'unhide' },
              { type: 'separator' },
              { role: 'quit' },
            ],
          } satisfies MenuItemConstructorOptions,
        ]
      : []),
    fileMenu(view, act),
    editMenu(act),
    viewMenu(view, act),
    { role: 'windowMenu' },
    { role: 'help', submenu: [...helpItems(act), ...(mac ? [] : [{ type: 'separator' as const }, about])] },
  ];
}
