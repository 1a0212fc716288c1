/**
 * One ipcMain.handle per call of the contract. Each invocation is checked: it must come from the app's own
 * top-level frame, and its arguments must fit the contract (dispatch) before a service runs.
 */
import type { IpcMain, WebContents, WebFrameMain } from 'electron';
import { CALL_NAMES, EVENT_NAMES, channelOf, type EventName } from '../../shared/api.js';
import { dispatch } from '../app/dispatch.js';
import type { AppServices } from '../app/services.js';

export type FrameCheck = (frame: WebFrameMain | null | undefined) => boolean;

export function registerIpc(
  ipcMain: Pick<IpcMain, 'handle' | 'removeHandler'>,
  services: Pick<AppServices, 'handlers'>,
  isTrusted: FrameCheck,
): () => void {
  for (const name of CALL_NAMES) {
    ipcMain.handle(channelOf(name), async (event, ...args: unknown[]) => {
      if (!isTrusted(event.senderFrame)) throw new Error(`refused ${name}: the sender is not the derpdesk window`);
      return dispatch(services.handlers, name, args);
    });
  }
  return () => {
    for (const name of CALL_NAMES) ipcMain.removeHandler(channelOf(name));
  };
}

/** Sends service events to the window; returns the unsubscribe function. */
export function forwardEvents(services: Pick<AppServices, 'events'>, target: () => WebContents | null): () => void {
  const offs = EVENT_NAMES.map((event) => {
    const f = (payload: unknown) => {
      const wc = target();
      if (wc && !wc.isDestroyed()) wc.send(channelOf(event), payload);
    };
    services.events.on(event as EventName, f);
    return () => services.events.off(event as EventName, f);
  });
  return () => offs.forEach((off) => off());
}
