/**
 * The Electron IPC layer with Electron replaced by fakes (it cannot launch here): every contract call is
 * registered, untrusted senders and malformed arguments are refused, and events reach the window.
 */
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createAppServices } from '../../electron/app/services.js';
import { forwardEvents, registerIpc } from '../../electron/main/ipc.js';
import { installSessionGuards, installWindowGuards, isAppUrl, mainWindowOptions } from '../../electron/main/window.js';
import { silentLogger } from '../../electron/util/log.js';
import { CALL_NAMES, channelOf } from '../../shared/api.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'derpdesk-ipc-'));
const services = createAppServices({ dataDir: dir, logger: silentLogger });
afterAll(async () => {
  await services.dispose();
  rmSync(dir, { recursive: true, force: true });
});

type Handler = (event: { senderFrame: unknown }, ...args: unknown[]) => Promise<unknown>;
function fakeIpcMain() {
  const handlers = new Map<string, Handler>();
  return {
    handlers,
    handle: (channel: string, h: Handler) => {
      if (handlers.has(channel)) throw new Error(`second handler for ${channel}`);
      handlers.set(channel, h);
    },
    removeHandler: (channel: string) => handlers.delete(channel),
  };
}

const trustedFrame = { url: 'file:///app/dist/renderer/index.html' };
const evilFrame = { url: 'https://evil.example/' };

describe('registerIpc', () => {
  const ipc = fakeIpcMain();
  const unregister = registerIpc(ipc as never, services, (f) => f === trustedFrame);

  it('registers exactly one handler per call of the contract', () => {
    expect([...ipc.handlers.keys()].sort()).toEqual(CALL_NAMES.map(channelOf).sort());
  });

  it('serves calls from the app window', async () => {
    const state = await ipc.handlers.get(channelOf('relay.getState'))!({ senderFrame: trustedFrame });
    expect(state).toEqual({ status: 'stopped' });
    const snap = (await ipc.handlers.get(channelOf('settings.get'))!({ senderFrame: trustedFrame })) as {
      file: string;
    };
    expect(snap.file).toBe(path.join(dir, 'settings.json'));
  });

  it('refuses other senders and malformed arguments before any service runs', async () => {
    const spy = vi.spyOn(services.handlers, 'settings.save');
    await expect(ipc.handlers.get(channelOf('settings.save'))!({ senderFrame: evilFrame }, {})).rejects.toThrow(
      'the sender is not the derpdesk window',
    );
    await expect(ipc.handlers.get(channelOf('settings.save'))!({ senderFrame: null })).rejects.toThrow(
      'not the derpdesk window',
    );
    await expect(ipc.handlers.get(channelOf('settings.save'))!({ senderFrame: trustedFrame }, 'x')).rejects.toThrow(
      'settings.save: argument 1 (settings) must be an object',
    );
    await expect(ipc.handlers.get(channelOf('relay.start'))!({ senderFrame: trustedFrame }, 1)).rejects.toThrow(
      'relay.start takes 0 argument(s)',
    );
    expect(spy).not.toHaveBeenCalled();
  });

  it('removes its handlers', () => {
    unregister();
    expect(ipc.handlers.size).toBe(0);
  });
});

describe('event forwarding', () => {
  it('sends service events to the window on the contract channels, and stops when unsubscribed', () => {
    const sent: Array<[string, unknown]> = [];
    const wc = { isDestroyed: () => false, send: (c: string, p: unknown) => sent.push([c, p]) };
    const off = forwardEvents(services, () => wc as never);
    services.events.emit('relay.state', { status: 'starting' });
    off();
    services.events.emit('relay.state', { status: 'stopped' });
    expect(sent).toEqual([[channelOf('relay.state'), { status: 'starting' }]]);
  });
});

describe('window security', () => {
  it('isolates and sandboxes the renderer without Node', () => {
    const o = mainWindowOptions('/app/preload.cjs');
    expect(o.webPreferences).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      webviewTag: false,
      preload: '/app/preload.cjs',
    });
  });

  it('blocks navigation away from the app and new windows; opens https links externally', () => {
    const contents = new EventEmitter() as EventEmitter & {
      setWindowOpenHandler: (h: (d: { url: string }) => { action: string }) => void;
    };
    let openHandler: ((d: { url: string }) => { action: string }) | null = null;
    contents.setWindowOpenHandler = (h) => (openHandler = h);
    const opened: string[] = [];
    installWindowGuards(contents as never, 'file:///app/index.html', (u) => opened.push(u));
    const nav = (url: string) => {
      let prevented = false;
      contents.emit('will-navigate', { preventDefault: () => (prevented = true) }, url);
      return prevented;
    };
    expect(nav('https://evil.example/')).toBe(true);
    expect(nav('file:///etc/passwd')).toBe(true);
    expect(nav('file:///app/index.html#relay')).toBe(false);
    expect(openHandler!({ url: 'https://tailscale.com/kb' })).toEqual({ action: 'deny' });
    expect(openHandler!({ url: 'file:///x' })).toEqual({ action: 'deny' });
    expect(opened).toEqual(['https://tailscale.com/kb']);
    expect(isAppUrl('not a url', 'file:///app/index.html')).toBe(false);
  });

  it('denies every permission request', () => {
    let request: ((wc: unknown, p: string, cb: (ok: boolean) => void) => void) | null = null;
    let check: (() => boolean) | null = null;
    installSessionGuards({
      setPermissionRequestHandler: (h: never) => (request = h),
      setPermissionCheckHandler: (h: never) => (check = h),
    } as never);
    let granted: boolean | null = null;
    request!(null, 'media', (ok) => (granted = ok));
    expect(granted).toBe(false);
    expect(check!()).toBe(false);
  });
});
