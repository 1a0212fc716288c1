/** The app's relay with TLS mode letsencrypt: settings checked, a certificate from pebble, its state for the GUI. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RelayController } from '../../electron/app/relay-controller.js';
import type { Logger } from '../../electron/util/log.js';
import { DEFAULT_SETTINGS, validateSettings, type RelaySettings } from '../../shared/settings.js';
import { freePort, startPebble } from '../helpers/pebble.js';
import { eventually } from '../helpers/relay.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'derpdesk-acme-app-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const quiet: Logger = { info: () => {}, warn: () => {}, debug: () => {} };

describe('TLS mode letsencrypt in the app', () => {
  it('is refused for an IP address host name, with a hint to use self-signed', () => {
    const s: RelaySettings = { ...DEFAULT_SETTINGS, tlsMode: 'letsencrypt', hostName: '192.0.2.7' };
    expect(validateSettings(s).hostName).toMatch(/DNS names only.*self-signed/);
    expect(validateSettings({ ...s, hostName: 'relay.example.com' })).toEqual({});
  });

  it('checks the ACME directory, account email and CA file the settings name', () => {
    const s: RelaySettings = { ...DEFAULT_SETTINGS, tlsMode: 'letsencrypt', hostName: 'relay.example.com' };
    expect(
      validateSettings({ ...s, acmeDirectory: 'http://ca.example/dir', acmeEmail: 'ops', acmeCaFile: 'ca.pem' }),
    ).toEqual({
      acmeDirectory: expect.stringMatching(/https:\/\/ URL/),
      acmeEmail: expect.stringMatching(/email address/),
      acmeCaFile: expect.stringMatching(/full path/),
    });
    expect(
      validateSettings({
        ...s,
        acmeDirectory: 'https://acme-staging-v02.api.letsencrypt.org/directory',
        acmeEmail: 'ops@example.com',
        acmeCaFile: '/etc/derp/ca.pem',
      }),
    ).toEqual({});
  });

  it('runs the relay on TLS with a certificate from the ACME CA its settings name, and reports its state', async () => {
    const [tlsPort, httpPort] = [await freePort(), await freePort()];
    const pebble = await startPebble({ tlsPort, httpPort });
    // No CA given to the controller: it would be Let's Encrypt, unreachable here, but for the settings.
    const controller = new RelayController(tmp, quiet, null);
    try {
      const state = await controller.start({
        ...DEFAULT_SETTINGS,
        listenAddr: `127.0.0.1:${tlsPort}`,
        httpPort,
        tlsMode: 'letsencrypt',
        acmeDirectory: pebble.directoryUrl,
        acmeEmail: 'ops@relay.test',
        acmeCaFile: pebble.caFile,
        hostName: 'relay.test',
        stunEnabled: false,
      });
      expect(state).toMatchObject({ status: 'running' });
      expect(state.status === 'running' && state.endpoints[0].url).toMatch(/^https:\/\//);
      await eventually(() => controller.certificate()?.status === 'valid', 20_000, 'a certificate');
      expect(controller.certificate()).toMatchObject({
        hostname: 'relay.test',
        names: ['relay.test'],
        directoryUrl: pebble.directoryUrl,
      });
    } finally {
      await controller.dispose();
      await pebble.stop();
    }
    expect(controller.certificate()).toBeNull();
  }, 40_000);
});
