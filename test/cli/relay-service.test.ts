/**
 * `derpdesk relay` as a service runs it, from the built CLI: SIGHUP (systemctl reload) re-reads the allowlist, the
 * rate config and the TLS certificate without dropping anyone; SIGTERM stops it cleanly; -version answers.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import crypto from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, describe, expect, it } from 'vitest';
import { DerpClient } from '../../electron/derp/client.js';
import { formatNodePublic, generateKeyPair } from '../../electron/derp/keys.js';
import { loadOrCreateSelfSigned } from '../../electron/relay/selfsigned.js';
import { runCli, startCli, waitExit } from '../helpers/cli.js';
import { eventually } from '../helpers/relay.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'derpdesk-cli-service-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const env = { DERPDESK_DATA_DIR: tmp };
const READY = /listening on https:\/\/[^\s,]+:(\d+)\/derp/;
const VERSION = (
  JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../../package.json'), 'utf8')) as {
    version: string;
  }
).version;

/** The SHA-256 fingerprint of the certificate a new TLS handshake gets. */
function servedFingerprint(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, servername: 'relay.test', rejectUnauthorized: false }, () => {
      resolve(s.getPeerCertificate().fingerprint256);
      s.destroy();
    });
    s.on('error', reject);
  });
}

const fingerprintOf = (certFile: string) => new crypto.X509Certificate(readFileSync(certFile)).fingerprint256;

describe('derpdesk relay -version', () => {
  it('prints the bare package version, as derper does, whatever the other flags', async () => {
    for (const args of [['-version'], ['--version', '-a', ':443']]) {
      const r = await runCli(['relay', ...args], env);
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stdout).toBe(`${VERSION}\n`);
    }
  });
});

describe('derpdesk relay signals', () => {
  it('on SIGHUP re-reads the allowlist, rate config and certificate, keeps clients connected, and says what it reloaded', async () => {
    const certdir = path.join(tmp, 'certs');
    const first = await loadOrCreateSelfSigned(certdir, 'relay.test');
    const second = await loadOrCreateSelfSigned(path.join(tmp, 'next'), 'relay.test');
    const alice = generateKeyPair();
    const bob = generateKeyPair();
    const allow = path.join(tmp, 'allow.txt');
    writeFileSync(allow, `${formatNodePublic(alice.publicKey)}\n`);
    const rate = path.join(tmp, 'rate.json');
    writeFileSync(rate, '{"PerClientRateLimitBytesPerSec": 100000}');
    const r = await startCli(
      [
        'relay',
        '-a=127.0.0.1:0',
        '-stun=false',
        '-http-port=-1',
        '-certmode=manual',
        `-certdir=${certdir}`,
        '-hostname=relay.test',
        `-allow-keys-file=${allow}`,
        `-rate-config=${rate}`,
      ],
      READY,
      env,
    );
    try {
      const port = Number(r.match[1]);
      const url = `https://127.0.0.1:${port}/derp`;
      expect(await servedFingerprint(port)).toBe(fingerprintOf(first.certFile));
      const ca = readFileSync(first.certFile);
      const client = await DerpClient.connect({ url, ca, certName: 'relay.test', keyPair: alice });

      writeFileSync(allow, `${formatNodePublic(alice.publicKey)}\n${formatNodePublic(bob.publicKey)}\n`);
      writeFileSync(rate, '{"PerClientRateLimitBytesPerSec": 50000, "PerClientRateBurstBytes": 1}');
      copyFileSync(second.certFile, first.certFile);
      copyFileSync(second.keyFile, first.keyFile);
      r.child.kill('SIGHUP');
      await eventually(() => r.output().includes('SIGHUP: reloaded allowlist, rate config, TLS certificate'), 5000);
      expect(r.output()).toContain(`SIGHUP: reloaded allowlist: 2 keys from ${allow}`);
      expect(r.output()).toContain('SIGHUP: reloaded rate config: {"PerClientRateLimitBytesPerSec":50000');
      expect(r.output()).toContain(`SIGHUP: reloaded TLS certificate: ${first.certFile}`);

      expect(await servedFingerprint(port)).toBe(fingerprintOf(second.certFile));
      expect(await client.ping(), 'the connection made with the old certificate stays up').toBeGreaterThan(0);
      const newcomer = await DerpClient.connect({
        url,
        ca: readFileSync(second.certFile),
        certName: 'relay.test',
        keyPair: bob,
      });
      expect(await newcomer.ping()).toBeGreaterThan(0);
      newcomer.close();
      client.close();

      // A broken certificate keeps the one in force; the other files still reload.
      writeFileSync(first.certFile, 'not a certificate');
      writeFileSync(allow, `${formatNodePublic(alice.publicKey)}\n`);
      r.child.kill('SIGHUP');
      await eventually(() => r.output().includes('SIGHUP: reloaded allowlist, rate config\n'), 5000);
      expect(r.output()).toContain(`SIGHUP: reloaded allowlist: 1 key from ${allow}`);
      expect(r.output()).toMatch(/SIGHUP: keeping the previous TLS certificate: .*not a usable certificate and key/);
      expect(await servedFingerprint(port)).toBe(fingerprintOf(second.certFile));
      expect(r.child.exitCode).toBeNull();
    } finally {
      r.child.kill('SIGTERM');
      expect(await waitExit(r.child)).toBe(0);
    }
  });

  it('says there is nothing to reload on SIGHUP without such files, and keeps running', async () => {
    const r = await startCli(
      ['relay', '-a', '127.0.0.1:0', '-stun=false'],
      /listening on http:\/\/[^\s,]+:(\d+)\/derp/,
      env,
    );
    r.child.kill('SIGHUP');
    await eventually(() => r.output().includes('SIGHUP: nothing to reload'), 5000);
    const c = await DerpClient.connect({ url: `http://127.0.0.1:${r.match[1]}/derp` });
    const restarting = new Promise<number>((resolve) => c.once('restarting', (ms) => resolve(ms)));
    r.child.kill('SIGTERM');
    expect(await restarting).toBeGreaterThan(0);
    expect(await waitExit(r.child)).toBe(0);
  });
});
