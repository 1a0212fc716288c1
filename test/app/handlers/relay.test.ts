/** The relay handlers with a fake controller: what relay.start refuses, and the map entry before the relay runs. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { relayHandlers } from '../../../electron/app/handlers/relay.js';
import type { RelayController } from '../../../electron/app/relay-controller.js';
import { SettingsStore } from '../../../electron/app/settings-store.js';
import type { RelayState } from '../../../shared/api.js';
import { DEFAULT_SETTINGS, type SettingsErrors } from '../../../shared/settings.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'derpdesk-relay-handlers-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function fakeController(state: RelayState = { status: 'stopped' }) {
  const started: unknown[] = [];
  const controller = {
    getState: () => state,
    listening: () => null,
    start: async (s: unknown) => {
      started.push(s);
      return { status: 'starting' };
    },
  } as unknown as RelayController;
  return { controller, started };
}

describe('relay handlers', () => {
  it('relay.start refuses settings whose files the policy no longer allows, naming each, and starts nothing', async () => {
    const settings = new SettingsStore(path.join(dir, 'refused'));
    const { controller, started } = fakeController();
    const errors: SettingsErrors = {
      allowKeysFile: '/etc/allow is outside the folders',
      meshKeyFile: '/etc/mesh is outside the folders',
    };
    const h = relayHandlers({ controller, settings, rules: { settingsPathErrors: async () => errors } });
    await expect(h['relay.start']()).rejects.toThrow(
      'the relay was not started: allowKeysFile: /etc/allow is outside the folders; meshKeyFile: /etc/mesh is outside the folders; change these settings',
    );
    expect(started).toEqual([]);
  });

  it('relay.start starts with the saved settings when every file is allowed', async () => {
    const settings = new SettingsStore(path.join(dir, 'ok'));
    const { controller, started } = fakeController();
    const h = relayHandlers({ controller, settings, rules: { settingsPathErrors: async () => ({}) } });
    expect(await h['relay.start']()).toEqual({ status: 'starting' });
    expect(started).toEqual([DEFAULT_SETTINGS]);
  });

  it('relay.mapEntry uses the ports in the settings while the relay is not listening', async () => {
    const settings = new SettingsStore(path.join(dir, 'entry'));
    await settings.save({ ...DEFAULT_SETTINGS, listenAddr: '127.0.0.1:4443', hostName: 'derp.example.com' });
    const h = relayHandlers({
      controller: fakeController().controller,
      settings,
      rules: { settingsPathErrors: async () => ({}) },
    });
    const node = JSON.parse((await h['relay.mapEntry']()).json).Regions['900'].Nodes[0];
    expect(node).toMatchObject({ HostName: 'derp.example.com', DERPPort: 4443 });
  });
});
