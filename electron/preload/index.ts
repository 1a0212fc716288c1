/**
 * Exposes exactly the API contract to the sandboxed renderer as `window.derpdesk`: one invoke per call, one
 * subscription per event; and, as `window.derpdeskDesktop`, a listener for the native menus' and tray's commands.
 * Nothing else of ipcRenderer.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import {
  CALL_NAMES,
  EVENT_NAMES,
  channelOf,
  type CallName,
  type DerpdeskApi,
  type EventName,
} from '../../shared/api.js';
import { DESKTOP_COMMAND_CHANNEL, isDesktopCommand, type DesktopBridge } from '../../shared/desktop-commands.js';

const api: DerpdeskApi = {
  call: (name, ...args) => {
    if (!(CALL_NAMES as readonly string[]).includes(name))
      return Promise.reject(new Error(`unknown call ${String(name)}`));
    return ipcRenderer.invoke(channelOf(name as CallName), ...args);
  },
  on: (event, listener) => {
    if (!(EVENT_NAMES as readonly string[]).includes(event)) throw new Error(`unknown event ${String(event)}`);
    const channel = channelOf(event as EventName);
    const handler = (_e: IpcRendererEvent, payload: unknown) => listener(payload as never);
    ipcRenderer.on(channel, handler);
    return () => {
      ipcRenderer.removeListener(channel, handler);
    };
  },
};

const desktop: DesktopBridge = {
  onCommand: (listener) => {
    const handler = (_e: IpcRendererEvent, command: unknown) => {
      if (isDesktopCommand(command)) listener(command);
    };
    ipcRenderer.on(DESKTOP_COMMAND_CHANNEL, handler);
    return () => {
      ipcRenderer.removeListener(DESKTOP_COMMAND_CHANNEL, handler);
    };
  },
};

contextBridge.exposeInMainWorld('derpdesk', api);
contextBridge.exposeInMainWorld('derpdeskDesktop', desktop);
