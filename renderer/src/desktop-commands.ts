/**
 * The desktop app's menu and tray commands, heard in the window. Page shortcuts set the location hash (the app
 * routes by it); undo and redo act on the focused text field when there is one (as the native Edit menu would);
 * everything else is re-dispatched on `window` as a 'derpdesk:command' CustomEvent whose detail is the
 * DesktopCommand, for the stores to act on (save-map, undo/redo in the map editor, open-map, check-relay).
 * In a browser (`derpdesk host`) there is no bridge and this does nothing.
 */
import type { DesktopBridge, DesktopCommand } from '../../shared/desktop-commands.js';

export const DESKTOP_COMMAND_EVENT = 'derpdesk:command';

const PAGE_OF: Partial<Record<DesktopCommand['type'], string>> = { 'open-map': 'map', 'check-relay': 'diagnostics' };

function isTextField(el: Element | null): boolean {
  if (!el) return false;
  if (el instanceof HTMLTextAreaElement) return !el.readOnly;
  if (el instanceof HTMLInputElement)
    return !el.readOnly && !['checkbox', 'radio', 'button', 'submit'].includes(el.type);
  return el instanceof HTMLElement && el.isContentEditable;
}

export function handleDesktopCommand(command: DesktopCommand, win: Window = window): void {
  if (command.type === 'navigate') {
    win.location.hash = command.page;
    return;
  }
  if ((command.type === 'undo' || command.type === 'redo') && isTextField(win.document.activeElement)) {
    win.document.execCommand(command.type);
    return;
  }
  const page = PAGE_OF[command.type];
  if (page) win.location.hash = page;
  win.dispatchEvent(new CustomEvent<DesktopCommand>(DESKTOP_COMMAND_EVENT, { detail: command }));
}

/** Starts listening when the desktop bridge is there; returns the function that stops. */
export function listenForDesktopCommands(win: Window = window): () => void {
  const bridge = (win as Window & { derpdeskDesktop?: DesktopBridge }).derpdeskDesktop;
  if (!bridge) return () => {};
  return bridge.onCommand((command) => handleDesktopCommand(command, win));
}
