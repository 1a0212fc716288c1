/**
 * The dashboard's view of the served certificate: read from the file a running relay serves (self-signed, with the
 * pin clients need; a CA-issued one by its issuer), judged for expiry, and from the ACME manager's state.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeAcme, describeServedFile } from '../../electron/app/relay-certificate.js';
import { createAppServices, type AppServices } from '../../electron/app/services.js';
import { loadOrCreateSelfSigned } from '../../electron/relay/selfsigned.js';
import { silentLogger } from '../../electron/util/log.js';
import { DEFAULT_SETTINGS } from '../../shared/settings.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'derpdesk-cert-'));
const services: AppServices[] = [];
afterAll(async () => {
  for (const s of services) await s.dispose();
  rmSync(dir, { recursive: true, force: true });
});
const DAY = 86_400_000;

describe('the served certificate', () => {
  it('is shown for a running self-signed relay with its CertName pin, and is null when stopped or plain', async () => {
    const s = createAppServices({ dataDir: path.join(dir, 'app'), logger: silentLogger });
    services.push(s);
    expect(await s.handlers['relay.certificate']()).toBeNull();
    const saved = await s.handlers['settings.save']({
      ...DEFAULT_SETTINGS,
      listenAddr: '127.0.0.1:0',
      stunEnabled: false,
      tlsMode: 'self-signed',
      hostName: '127.0.0.1',
    });
    expect(saved.ok).toBe(true);
    const state = await s.handlers['relay.start']();
    expect(state.status).toBe('running');
    const cert = await s.handlers['relay.certificate']();
    expect(cert).toMatchObject({ mode: 'self-signed', status: 'valid', issuer: 'self-signed', names: ['127.0.0.1'] });
    expect(cert!.certName).toBe(state.status === 'running' ? state.certName : undefined);
    expect(cert!.daysLeft).toBeGreaterThan(300);
    await s.handlers['relay.stop']();
    expect(await s.handlers['relay.certificate']()).toBeNull();
  });

  it('warns within 14 days of expiry and says when it has expired', async () => {
    const c = await loadOrCreateSelfSigned(path.join(dir, 'certs'), 'derp.example.test');
    const end = c.notAfter.getTime();
    expect((await describeServedFile(c.certFile, 'manual', end - 30 * DAY)).status).toBe('valid');
    const soon = await describeServedFile(c.certFile, 'manual', end - 3.5 * DAY);
    expect(soon).toMatchObject({ status: 'expiring', daysLeft: 3, names: ['derp.example.test'] });
    expect((await describeServedFile(c.certFile, 'manual', end + 1000)).status).toBe('expired');
  });

  it("reads Let's Encrypt's state: obtaining, valid, and a renewal failure that matters only near expiry", () => {
    const now = Date.parse('2026-12-01T00:00:00Z');
    const base = { hostname: 'derp.example.com', directoryUrl: 'https://acme.test/dir' };
    expect(describeAcme({ ...base, status: 'obtaining' }, now)).toMatchObject({ status: 'obtaining' });
    const issued = { ...base, issuer: 'R11', names: ['derp.example.com'], notAfter: '2027-02-01T00:00:00.000Z' };
    expect(describeAcme({ ...issued, status: 'valid' }, now)).toMatchObject({ status: 'valid', daysLeft: 62 });
    const failing = {
      ...issued,
      status: 'failed' as const,
      lastError: 'order refused',
      nextAttempt: '2026-12-01T01:00:00Z',
    };
    expect(describeAcme(failing, now)).toMatchObject({ status: 'valid', lastError: 'order refused' });
    expect(describeAcme(failing, Date.parse('2027-01-25T00:00:00Z'))).toMatchObject({ status: 'failed', daysLeft: 7 });
  });
});
