// @vitest-environment happy-dom
/**
 * The window's side of the desktop menus and tray: page shortcuts move the hash route, undo/redo in a text field
 * stay the field's own, and everything else reaches the stores as a 'derpdesk:command' event. Without the desktop
 * bridge (the browser GUI) nothing listens.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  DESKTOP_COMMAND_EVENT,
  handleDesktopCommand,
  listenForDesktopCommands,
} from '../../renderer/src/desktop-commands.js';
import type { DesktopCommand } from '../../shared/desktop-commands.js';

function heard(): DesktopCommand[] {
  const got: DesktopCommand[] = [];
  window.addEventListener(DESKTOP_COMMAND_EVENT, (e) => got.push((e as CustomEvent<DesktopCommand>).detail));
  return got;
}

afterEach(() => {
  document.body.innerHTML = '';
  window.location.hash = '';
  delete (window as { derpdeskDesktop?: unknown }).derpdeskDesktop;
});

describe('desktop commands in the window', () => {
  it('routes page shortcuts by hash, and hands save/open/check to the stores (opening their page)', () => {
    const got = heard();
    handleDesktopCommand({ type: 'navigate', page: 'diagnostics' });
    expect(window.location.hash).toBe('#diagnostics');
    handleDesktopCommand({ type: 'save-map' });
    handleDesktopCommand({ type: 'open-map', path: '/home/me/derp.yaml' });
    expect(window.location.hash).toBe('#map');
    handleDesktopCommand({ type: 'check-relay' });
    expect(window.location.hash).toBe('#diagnostics');
    expect(got).toEqual([
      { type: 'save-map' },
      { type: 'open-map', path: '/home/me/derp.yaml' },
      { type: 'check-relay' },
    ]);
  });

  it('leaves undo and redo to a focused text field, and sends them to the editor otherwise', () => {
    const got = heard();
    const exec = vi.fn(() => true);
    document.execCommand = exec;
    const input = document.createElement('input');
    document.body.append(input);
    input.focus();
    handleDesktopCommand({ type: 'undo' });
    expect(exec).toHaveBeenCalledWith('undo');
    expect(got).toEqual([]);
    const box = document.createElement('input');
    box.type = 'checkbox';
    document.body.append(box);
    box.focus();
    handleDesktopCommand({ type: 'redo' });
    expect(got).toEqual([{ type: 'redo' }]);
  });

  it('listens through the desktop bridge when there is one, and stops when asked', () => {
    expect(listenForDesktopCommands()).toBeTypeOf('function');
    let listener: ((c: DesktopCommand) => void) | null = null;
    const off = vi.fn();
    (window as { derpdeskDesktop?: unknown }).derpdeskDesktop = {
      onCommand: (l: (c: DesktopCommand) => void) => {
        listener = l;
        return off;
      },
    };
    const stop = listenForDesktopCommands();
    listener!({ type: 'navigate', page: 'map' });
    expect(window.location.hash).toBe('#map');
    stop();
    expect(off).toHaveBeenCalled();
  });
});

describe('desktop commands reach the stores', () => {
  it('opens the picked map, checks the relay, and leaves the map alone without a file to save', async () => {
    const { connectStores } = await import('../../renderer/src/stores.js');
    const { FakeApi } = await import('./fake-api.js');
    const api = new FakeApi({});
    const off = connectStores(api);
    try {
      const before = api.calls.length;
      handleDesktopCommand({ type: 'save-map' });
      handleDesktopCommand({ type: 'open-map', path: '/home/me/derp.yaml' });
      handleDesktopCommand({ type: 'check-relay' });
      await vi.waitFor(() => expect(api.names()).toContain('relay.mapEntry'));
      const made = api.calls.slice(before);
      expect(made.find((c) => c.name === 'map.open')?.args).toEqual([{ kind: 'file', path: '/home/me/derp.yaml' }]);
      expect(made.some((c) => c.name === 'map.diff')).toBe(false);
    } finally {
      off();
    }
  });

  it('Save on a map with no file yet asks where with the save dialog, then shows the diff against that file', async () => {
    const { connectStores } = await import('../../renderer/src/stores.js');
    const { useMapStore } = await import('../../renderer/src/map/store.js');
    const { FakeApi } = await import('./fake-api.js');
    const api = new FakeApi({
      'files.choose': () => '/home/me/new-derp.json',
      'map.diff': () => ({ isNew: true, unified: '+{}' }),
    });
    const off = connectStores(api);
    try {
      useMapStore.getState().newMap();
      handleDesktopCommand({ type: 'save-map' });
      await vi.waitFor(() => expect(useMapStore.getState().saveTarget).not.toBeNull());
      expect(api.calls.find((c) => c.name === 'files.choose')?.args).toEqual([{ mode: 'save', purpose: 'map' }]);
      expect(useMapStore.getState().saveTarget).toEqual({
        path: '/home/me/new-derp.json',
        format: 'json',
        baseText: '',
        replace: true,
      });
    } finally {
      off();
    }
  });
});
