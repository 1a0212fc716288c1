/**
 * AppServices.startRelayOnLaunch, what `derpdesk host` and the Electron main process call at start: the relay
 * starts only when the settings ask for it, through the same file checks as the dashboard's switch, and a failure
 * becomes the relay's state and a log line instead of an exception.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RootsPolicy } from '../../electron/app/file-access.js';
import { createAppServices, type AppServices } from '../../electron/app/services.js';
import { DerpClient } from '../../electron/derp/client.js';
import type { Logger } from '../../electron/util/log.js';

let dir: string;
let services: AppServices;
let warnings: string[];

function servicesWith(settings: object): AppServices {
  const data = path.join(dir, 'data');
  const logger: Logger = { info: () => {}, warn: (m) => warnings.push(m), debug: () => {} };
  services = createAppServices({ dataDir: data, logger, files: new RootsPolicy([data]) });
  writeFileSync(path.join(dir, 'data', 'settings.json'), JSON.stringify(settings));
  return services;
}

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'derpdesk-launch-'));
  mkdirSync(path.join(dir, 'data'));
  warnings = [];
});
afterEach(async () => {
  await services?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe('startRelayOnLaunch', () => {
  it('does nothing when the setting is off', async () => {
    const s = servicesWith({ listenAddr: '127.0.0.1:0', stunEnabled: false });
    expect(await s.startRelayOnLaunch()).toBeNull();
    expect(s.controller.getState()).toEqual({ status: 'stopped' });
  });

  it('starts the relay when it is on', async () => {
    const s = servicesWith({ listenAddr: '127.0.0.1:0', stunEnabled: false, startOnLaunch: true });
    const state = await s.startRelayOnLaunch();
    if (state?.status !== 'running') throw new Error(`expected running, got ${JSON.stringify(state)}`);
    const client = await DerpClient.connect({ url: state.endpoints[0].url });
    expect(await client.ping()).toBeGreaterThan(0);
    client.close();
  });

  it('refuses a file outside the allowed folders as the dashboard would, as a failed state and a warning', async () => {
    const outside = path.join(dir, 'allow.txt');
    writeFileSync(outside, '');
    const s = servicesWith({
      listenAddr: '127.0.0.1:0',
      stunEnabled: false,
      startOnLaunch: true,
      allowKeysFile: outside,
    });
    const state = await s.startRelayOnLaunch();
    expect(state).toMatchObject({ status: 'failed' });
    expect(s.controller.getState()).toEqual(state);
    expect(state?.status === 'failed' && state.error).toContain('the relay was not started: allowKeysFile');
    expect(warnings.join('\n')).toMatch(/the relay did not start: .*allowKeysFile.*The app keeps running/);
  });
});
