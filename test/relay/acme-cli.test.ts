/** `derpdesk relay -certmode letsencrypt`: how the flags are read, and the built CLI getting a certificate from pebble. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { planRelay, type RelayPlan } from '../../electron/cli/relay.js';
import { DerpClient } from '../../electron/derp/client.js';
import { LETSENCRYPT_DIRECTORY } from '../../electron/relay/acme/manager.js';
import { startCli, waitExit } from '../helpers/cli.js';
import { freePort, startPebble } from '../helpers/pebble.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'derpdesk-acme-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function plan(argv: string[]): RelayPlan {
  const p = planRelay(argv);
  if (p === 'help') throw new Error('unexpected help');
  return p;
}

describe('-certmode letsencrypt flags', () => {
  it("is derper's default on :443, with Let's Encrypt production as the directory", () => {
    const p = plan(['-a', ':443', '-hostname', 'derp.example.com', '-certdir', tmp, '-stun=false']);
    expect(p.acme).toEqual({
      hostname: 'derp.example.com',
      certdir: tmp,
      directoryUrl: LETSENCRYPT_DIRECTORY,
      email: undefined,
      caFile: undefined,
    });
    expect(p.tls).toBeNull();
    expect(p.notice).toBeNull();
  });

  it('keeps plain HTTP with a notice when the default mode meets another port, but not when it is given', () => {
    const implicit = plan(['-a', '127.0.0.1:8443', '-stun=false']);
    expect(implicit.acme).toBeNull();
    expect(implicit.notice).toMatch(/serving plain HTTP on port 8443: .*give -certmode letsencrypt/);
    const explicit = plan([
      '-a',
      '127.0.0.1:8443',
      '-certmode',
      'letsencrypt',
      '-hostname',
      'derp.example.com',
      '-acme-directory',
      'https://ca.internal/dir',
      '-acme-email',
      'ops@example.com',
      '-acme-ca-file',
      '/etc/ca.pem',
    ]);
    expect(explicit.notice).toBeNull();
    expect(explicit.acme).toMatchObject({
      directoryUrl: 'https://ca.internal/dir',
      email: 'ops@example.com',
      caFile: '/etc/ca.pem',
    });
  });

  it('needs -hostname, refuses an IP address (pointing to self-signed) and a directory that is not a URL', () => {
    expect(() => plan(['-certmode', 'letsencrypt', '-a', ':8443'])).toThrow(/letsencrypt needs -hostname/);
    expect(() => plan(['-certmode', 'letsencrypt', '-hostname', '203.0.113.5'])).toThrow(
      /203\.0\.113\.5 is an IP address.*use -certmode self-signed/,
    );
    expect(() => plan(['-certmode', 'letsencrypt', '-hostname', 'a.example', '-acme-directory', 'ca'])).toThrow(
      /-acme-directory "ca" is not an http\(s\) URL/,
    );
  });
});

describe('derpdesk relay -certmode letsencrypt (built CLI)', () => {
  it('gets a certificate from pebble and relays for a client that verifies it', async () => {
    const [tlsPort, httpPort] = [await freePort(), await freePort()];
    const pebble = await startPebble({ tlsPort, httpPort });
    try {
      const args = ['relay', '-a', `127.0.0.1:${tlsPort}`, '-http-port', String(httpPort), '-stun=false'];
      args.push('-certmode', 'letsencrypt', '-hostname', 'relay.test', '-certdir', path.join(tmp, 'certs'));
      args.push('-acme-directory', pebble.directoryUrl, '-acme-ca-file', pebble.caFile);
      const r = await startCli(
        args,
        /acme: got a certificate for relay\.test by http-01/,
        { DERPDESK_DATA_DIR: tmp },
        30_000,
      );
      try {
        expect(r.output()).toContain(`DERP map node: {"HostName":"relay.test","DERPPort":${tlsPort}}`);
        const client = await DerpClient.connect({
          url: `https://relay.test:${tlsPort}/derp`,
          connectAddress: '127.0.0.1',
          ca: await pebble.issuingRoot(),
          timeoutMs: 5000,
        });
        expect(client.serverPublicKey.length).toBe(32);
        client.close();
      } finally {
        r.child.kill('SIGTERM');
        expect(await waitExit(r.child)).toBe(0);
      }
    } finally {
      await pebble.stop();
    }
  }, 60_000);
});
