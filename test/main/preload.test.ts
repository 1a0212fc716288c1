/**
 * The preload with 'electron' mocked: it exposes the API contract as `derpdesk` and, as `derpdeskDesktop`, only a
 * listener for the menu and tray commands, which passes on well-formed commands and drops anything else.
 */
import { describe, expect, it, vi } from 'vitest';
import { DESKTOP_COMMAND_CHANNEL, type DesktopBridge, type DesktopCommand } from '../../shared/desktop-commands.js';

const h = vi.hoisted(() => ({
  exposed: new Map<string, unknown>(),
  listeners: new Map<string, Set<(e: unknown, payload: unknown) => void>>(),
}));

vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: (name: string, api: unknown) => h.exposed.set(name, api) },
  ipcRenderer: {
    invoke: vi.fn(),
    on: (channel: string, f: (e: unknown, payload: unknown) => void) => {
      if (!h.listeners.has(channel)) h.listeners.set(channel, new Set());
      h.listeners.get(channel)!.add(f);
    },
    removeListener: (channel: string, f: (e: unknown, payload: unknown) => void) => h.listeners.get(channel)?.delete(f),
  },
}));

const fromMain = (payload: unknown) => h.listeners.get(DESKTOP_COMMAND_CHANNEL)?.forEach((f) => f({}, payload));

describe('preload', () => {
  it('exposes the API and a command listener that passes only well-formed commands', async () => {
    await import('../../electron/preload/index.js');
    expect([...h.exposed.keys()]).toEqual(['derpdesk', 'derpdeskDesktop']);
    const bridge = h.exposed.get('derpdeskDesktop') as DesktopBridge;
    expect(Object.keys(bridge)).toEqual(['onCommand']);
    const got: DesktopCommand[] = [];
    const off = bridge.onCommand((c) => got.push(c));
    fromMain({ type: 'navigate', page: 'map' });
    fromMain({ type: 'navigate', page: 'javascript:alert(1)' });
    fromMain({ type: 'open-map', path: 42 });
    fromMain({ type: 'eval', code: 'x' });
    fromMain(null);
    fromMain({ type: 'open-map', path: '/home/me/derp.yaml' });
    expect(got).toEqual([
      { type: 'navigate', page: 'map' },
      { type: 'open-map', path: '/home/me/derp.yaml' },
    ]);
    off();
    fromMain({ type: 'save-map' });
    expect(got).toHaveLength(2);
  });
});
