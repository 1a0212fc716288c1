/**
 * Commands the desktop app's native menus and tray send to the window (shortcuts such as Ctrl+S or Ctrl+2 belong
 * to the application menu, so the window hears them from the main process). One channel, one message shape; the
 * preload exposes only a listener for it (`window.derpdeskDesktop`), and the browser GUI simply never has one.
 */
export const DESKTOP_COMMAND_CHANNEL = 'derpdesk:desktop-command';

export const DESKTOP_PAGES = ['relay', 'map', 'diagnostics', 'monitor'] as const;
export type DesktopPage = (typeof DESKTOP_PAGES)[number];

export type DesktopCommand =
  | { type: 'navigate'; page: DesktopPage }
  | { type: 'save-map' }
  | { type: 'undo' }
  | { type: 'redo' }
  /** The user picked this map in a native dialog or Open Recent; the file policy already allows it. */
  | { type: 'open-map'; path: string }
  /** Check the running relay (tray menu): the diagnostics page runs it. */
  | { type: 'check-relay' };

export function isDesktopCommand(x: unknown): x is DesktopCommand {
  if (typeof x !== 'object' || x === null) return false;
  const c = x as Record<string, unknown>;
  switch (c.type) {
    case 'navigate':
      return (DESKTOP_PAGES as readonly unknown[]).includes(c.page);
    case 'open-map':
      return typeof c.path === 'string';
    case 'save-map':
    case 'undo':
    case 'redo':
    case 'check-relay':
      return true;
    default:
      return false;
  }
}

/** What the preload exposes as `window.derpdeskDesktop`. */
export interface DesktopBridge {
  onCommand(listener: (command: DesktopCommand) => void): () => void;
}
