/**
 * `derpdesk relay -workers 2 -certmode letsencrypt` against pebble: the primary runs the one ACME order, every worker
 * answers its challenge (the primary has no listener, so a passed validation was answered by a worker) and serves
 * the certificate it gets, and a worker started later is given it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DerpClient } from '../../electron/derp/client.js';
import { eventually } from '../helpers/relay.js';
import { freePort, startPebble, type Pebble } from '../helpers/pebble.js';
import { startWorkersRelay, type WorkersRelay } from './workers-fixture.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'derpdesk-workers-acme-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function withPebbleRelay(
  challenge: 'http-01' | 'tls-alpn-01',
  body: (relay: WorkersRelay, pebble: Pebble, tlsPort: number) => Promise<void>,
): Promise<void> {
  const [tlsPort, httpPort] = [await freePort(), await freePort()];
  const pebble = await startPebble({ tlsPort, httpPort });
  const dir = mkdtempSync(path.join(tmp, `${challenge}-`));
  let relay: WorkersRelay | null = null;
  try {
    const args = ['-certmode', 'letsencrypt', '-hostname', 'relay.test', '-certdir', path.join(dir, 'certs')];
    args.push('-acme-directory', pebble.directoryUrl, '-acme-ca-file', pebble.caFile);
    // Without the plain-HTTP port the CA can only use TLS-ALPN-01.
    args.push('-http-port', challenge === 'http-01' ? String(httpPort) : '-1');
    relay = await startWorkersRelay(2, args, dir, `127.0.0.1:${tlsPort}`);
    const got = new RegExp(`acme: got a certificate for relay\\.test by ${challenge}`);
    await eventually(() => got.test(relay!.output()), 30_000, `a certificate by ${challenge}`);
    await body(relay, pebble, tlsPort);
  } finally {
    if (relay && relay.child.exitCode === null) expect(await relay.stop()).toBe(0);
    await pebble.stop();
  }
}

/** A client that checks the certificate against pebble's issuing root, on the given worker. */
function verifiedClientOn(relay: WorkersRelay, worker: number, root: string, tlsPort: number) {
  return relay.landOn(
    worker,
    () =>
      DerpClient.connect({
        url: `https://relay.test:${tlsPort}/derp`,
        connectAddress: '127.0.0.1',
        ca: root,
        timeoutMs: 5000,
      }),
    (c) => c.close(),
  );
}

describe('derpdesk relay -workers 2 -certmode letsencrypt (built CLI, pebble)', () => {
  it('gets one certificate by HTTP-01, served by both workers and given to a replacement worker', async () => {
    await withPebbleRelay('http-01', async (relay, pebble, tlsPort) => {
      expect(pebble.orders()).toBe(1);
      expect(relay.output()).toContain(`DERP map node: {"HostName":"relay.test","DERPPort":${tlsPort}}`);
      const root = await pebble.issuingRoot();
      for (const w of [0, 1]) {
        const c = await verifiedClientOn(relay, w, root, tlsPort);
        expect(await c.ping()).toBeGreaterThan(0);
        c.close();
      }
      const killed = relay.workers()[1].pid;
      process.kill(killed, 'SIGKILL');
      await eventually(() => /all 2 workers serving and linked again/.test(relay.output()), 15_000, 'a replacement');
      expect(relay.workers()[1].pid).not.toBe(killed);
      const c = await verifiedClientOn(relay, 1, root, tlsPort);
      expect(await c.ping()).toBeGreaterThan(0);
      c.close();
      // Still the one order: the replacement was given the certificate, it did not order its own.
      expect(pebble.orders()).toBe(1);
    });
  }, 90_000);

  it('answers TLS-ALPN-01 from a worker when there is no plain-HTTP port', async () => {
    await withPebbleRelay('tls-alpn-01', async (relay, pebble, tlsPort) => {
      const root = await pebble.issuingRoot();
      for (const w of [0, 1]) (await verifiedClientOn(relay, w, root, tlsPort)).close();
    });
  }, 90_000);
});
