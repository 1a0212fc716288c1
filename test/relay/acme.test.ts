/**
 * -certmode letsencrypt against a real ACME server: pebble on loopback validates the relay's own HTTP-01 and
 * TLS-ALPN-01 answers, issues, and (with a short validity) makes the relay renew while a client stays connected.
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import nacl from 'tweetnacl';
import { afterEach, describe, expect, it } from 'vitest';
import type { AcmeConfig } from '../../electron/relay/acme/manager.js';
import { RelayStartError } from '../../electron/relay/service.js';
import { freePort, startPebble, type Pebble } from '../helpers/pebble.js';
import { MAGIC, RawPeer, eventually, frame, startRelay, type TestRelay } from '../helpers/relay.js';

const HOST = 'relay.test';
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'derpdesk-acme-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

interface Setup {
  pebble: Pebble;
  tlsPort: number;
  httpPort: number;
  certdir: string;
}

async function setup(opts: { resolveTo?: string; validitySeconds?: number } = {}): Promise<Setup> {
  const [tlsPort, httpPort] = [await freePort(), await freePort()];
  const pebble = await startPebble({ httpPort, tlsPort, ...opts });
  cleanups.push(() => pebble.stop());
  return { pebble, tlsPort, httpPort, certdir: tempDir() };
}

async function relayFor(s: Setup, over: { httpPort?: number; acme?: Partial<AcmeConfig> } = {}): Promise<TestRelay> {
  const relay = await startRelay({
    addr: `127.0.0.1:${s.tlsPort}`,
    httpPort: over.httpPort ?? s.httpPort,
    acme: {
      hostname: HOST,
      certdir: s.certdir,
      directoryUrl: s.pebble.directoryUrl,
      caFile: s.pebble.caFile,
      retry: { firstMs: 300, maxMs: 1000 },
      ...over.acme,
    },
  });
  cleanups.push(() => relay.stop());
  return relay;
}

async function waitValid(relay: TestRelay, serialNot?: string, ms = 20_000): Promise<string> {
  await eventually(
    () => {
      const st = relay.service.certificate();
      return st?.status === 'valid' && st.serial !== serialNot;
    },
    ms,
    'a certificate',
  ).catch((err: Error) => Promise.reject(new Error(`${err.message}; relay logs:\n${relay.logs.join('\n')}`)));
  return relay.service.certificate()!.serial!;
}

/** A verified TLS handshake as a DERP client makes it: the certificate the relay serves new connections. */
function handshake(port: number, ca: string, alpn = ['http/1.1']): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, servername: HOST, ca, ALPNProtocols: alpn }, () =>
      resolve(socket),
    );
    socket.once('error', reject);
  });
}

async function servedSerial(port: number, ca: string): Promise<string> {
  const socket = await handshake(port, ca);
  const serial = socket.getPeerX509Certificate()!.serialNumber.toLowerCase();
  socket.destroy();
  return serial;
}

// Each test starts pebble and waits for real validation: generous bounds for a loaded machine.
describe('-certmode letsencrypt against pebble', { timeout: 45_000 }, () => {
  it('gets a certificate by HTTP-01 on the -http-port listener, serves it, and caches it 0600', async () => {
    const s = await setup();
    const relay = await relayFor(s);
    const serial = await waitValid(relay);
    const st = relay.service.certificate()!;
    expect(st).toMatchObject({ hostname: HOST, challenge: 'http-01', names: [HOST] });
    expect(st.issuer).toMatch(/Pebble Intermediate CA/);
    expect(Date.parse(st.nextAttempt!)).toBeLessThan(Date.parse(st.notAfter!));
    expect(await servedSerial(s.tlsPort, await s.pebble.issuingRoot())).toBe(serial);
    const served = await handshake(s.tlsPort, await s.pebble.issuingRoot());
    expect(served.getPeerX509Certificate()!.publicKey.asymmetricKeyDetails).toEqual({ namedCurve: 'prime256v1' });
    served.destroy();
    const cache = path.join(s.certdir, 'acme', new URL(s.pebble.directoryUrl).host.replace(':', '_'));
    for (const f of ['account.key', `${HOST}.crt`, `${HOST}.key`])
      expect(statSync(path.join(cache, f)).mode & 0o777, f).toBe(0o600);
    expect(relay.logs.join('\n')).toMatch(/acme: got a certificate for relay\.test by http-01: issuer "Pebble/);
  });

  it('gets a certificate by TLS-ALPN-01 on the TLS port when there is no HTTP port', async () => {
    const s = await setup();
    const relay = await relayFor(s, { httpPort: -1 });
    const serial = await waitValid(relay);
    expect(relay.service.certificate()!.challenge).toBe('tls-alpn-01');
    const root = await s.pebble.issuingRoot();
    expect(await servedSerial(s.tlsPort, root)).toBe(serial);
    // A client that offers acme-tls/1 among other protocols is an ordinary client and gets the real certificate.
    const both = await handshake(s.tlsPort, root, ['acme-tls/1', 'http/1.1']);
    expect(both.getPeerX509Certificate()!.serialNumber.toLowerCase()).toBe(serial);
    both.destroy();
    // With no challenge pending, a validator's handshake is refused rather than given any certificate.
    await expect(handshake(s.tlsPort, root, ['acme-tls/1'])).rejects.toThrow();
  });

  it('reuses the cached certificate after a restart without ordering again', async () => {
    const s = await setup();
    const first = await relayFor(s);
    const serial = await waitValid(first);
    const orders = s.pebble.orders();
    expect(orders).toBe(1);
    await first.stop();
    const second = await relayFor(s);
    expect(second.service.certificate()).toMatchObject({ status: 'valid', serial });
    expect(await servedSerial(s.tlsPort, await s.pebble.issuingRoot())).toBe(serial);
    expect(second.logs.join('\n')).toMatch(/acme: using the cached certificate for relay\.test/);
    expect(s.pebble.orders()).toBe(orders);
  });

  it('renews a short-lived certificate while a DERP client stays connected; new handshakes get the new one', async () => {
    const s = await setup({ validitySeconds: 9 });
    const relay = await relayFor(s);
    const first = await waitValid(relay);
    const root = await s.pebble.issuingRoot();
    const peer = await tlsDerpClient(s.tlsPort, root);
    const second = await waitValid(relay, first, 30_000);
    expect(await servedSerial(s.tlsPort, root)).toBe(second);
    // The client connected under the first certificate still relays: a Ping gets its Pong.
    peer.write(frame(0x12, Buffer.from('8 bytes!')));
    const pong = await peer.readFrame(5000);
    expect(pong).toEqual({ type: 0x13, payload: Buffer.from('8 bytes!') });
    expect((peer.socket as tls.TLSSocket).getPeerX509Certificate()!.serialNumber.toLowerCase()).toBe(first);
  }, 60_000);

  it('keeps serving its certificate while renewals fail, and reports it failed once it has expired', async () => {
    const s = await setup({ validitySeconds: 4 });
    const relay = await relayFor(s);
    const serial = await waitValid(relay);
    await s.pebble.stop();
    await eventually(() => relay.service.certificate()?.status === 'failed', 20_000, 'the certificate to expire');
    const st = relay.service.certificate()!;
    expect(st.serial).toBe(serial);
    expect(Date.parse(st.notAfter!)).toBeLessThan(Date.now());
    expect(st.lastError).toMatch(/cannot reach the ACME server/);
    expect(relay.logs.join('\n')).toMatch(/next attempt in .* \(still serving the current one until /);
    const socket = await new Promise<tls.TLSSocket>((resolve, reject) => {
      const c = tls.connect({ host: '127.0.0.1', port: s.tlsPort, servername: HOST, rejectUnauthorized: false }, () =>
        resolve(c),
      );
      c.once('error', reject);
    });
    expect(socket.getPeerX509Certificate()!.serialNumber.toLowerCase()).toBe(serial);
    socket.destroy();
  });

  it('routes a ClientHello that arrives a few bytes at a time', async () => {
    const s = await setup();
    const relay = await relayFor(s);
    const serial = await waitValid(relay);
    const proxy = await dribblingProxy(s.tlsPort);
    cleanups.push(() => {
      proxy.close();
    });
    expect(await servedSerial((proxy.address() as net.AddressInfo).port, await s.pebble.issuingRoot())).toBe(serial);
  });
});

describe('the ClientHello reader in front of the TLS port', { timeout: 45_000 }, () => {
  it('ends only the connection for bytes that are not TLS, a truncated ClientHello, or an oversized one', async () => {
    const s = await setup();
    const relay = await relayFor(s);
    const serial = await waitValid(relay);
    const hello = await captureClientHello();
    for (const bytes of [
      Buffer.from('GET / HTTP/1.1\r\nHost: relay.test\r\n\r\n'),
      hello.subarray(0, 20),
      // A record header claiming a handshake larger than any ClientHello, then 17 KiB of it.
      Buffer.concat([Buffer.from([0x16, 0x03, 0x01, 0xff, 0xff, 0x01, 0x00, 0xff, 0xfb]), Buffer.alloc(17 * 1024)]),
    ]) {
      const peer = await RawPeer.connect(s.tlsPort);
      peer.write(bytes);
      if (bytes.length === 20) peer.socket.end();
      await peer.waitClosed(5000);
    }
    expect(await servedSerial(s.tlsPort, await s.pebble.issuingRoot())).toBe(serial);
  });
});

describe('-certmode letsencrypt failures a user sees', { timeout: 45_000 }, () => {
  it('says the ACME server cannot be reached, and when it tries again', async () => {
    const s = await setup();
    const relay = await relayFor(s, { acme: { directoryUrl: `https://127.0.0.1:${await freePort()}/dir` } });
    await eventually(() => relay.service.certificate()?.status === 'failed', 15_000, 'a failed attempt');
    const st = relay.service.certificate()!;
    expect(st.lastError).toMatch(/cannot reach the ACME server https:\/\/127\.0\.0\.1:\d+\/dir \(ECONNREFUSED\)/);
    expect(Date.parse(st.nextAttempt!)).toBeGreaterThan(Date.now() - 1000);
    expect(relay.logs.join('\n')).toMatch(
      /acme: cannot get a certificate for relay\.test: cannot reach .*; next attempt in/,
    );
  });

  it("says the CA's TLS certificate is not trusted and how to trust a test CA", async () => {
    const s = await setup();
    const relay = await relayFor(s, { acme: { caFile: undefined } });
    await eventually(() => relay.service.certificate()?.status === 'failed', 15_000, 'a failed attempt');
    expect(relay.service.certificate()!.lastError).toMatch(/does not trust .*-acme-ca-file/);
  });

  it('says which challenge the CA could not verify when the name points elsewhere, and backs off', async () => {
    const s = await setup({ resolveTo: '127.0.0.2' });
    const relay = await relayFor(s);
    await eventually(() => relay.service.certificate()?.status === 'failed', 15_000, 'a failed attempt');
    expect(relay.service.certificate()!.lastError).toMatch(
      /could not verify http-01 challenge for relay\.test: .*127\.0\.0\.2.*check that relay\.test resolves to this machine/,
    );
    // The next attempt offers TLS-ALPN-01 first, and fails the same way; the waits stay within the bound.
    await eventually(() => /verify tls-alpn-01/.test(relay.service.certificate()!.lastError!), 15_000, 'a retry').catch(
      (err: Error) => Promise.reject(new Error(`${err.message}; relay logs:\n${relay.logs.join('\n')}`)),
    );
    const st = relay.service.certificate()!;
    expect(st.status).toBe('failed');
    expect(Date.parse(st.nextAttempt!) - Date.now()).toBeLessThanOrEqual(1000);
  });

  it('refuses a CA file that is not a PEM certificate, or a device, before binding', async () => {
    const dir = tempDir();
    const notPem = path.join(dir, 'ca.pem');
    writeFileSync(notPem, 'not a certificate\n');
    for (const caFile of [notPem, '/dev/zero']) {
      const failed = startRelay({
        addr: '127.0.0.1:0',
        acme: { hostname: HOST, certdir: dir, directoryUrl: 'https://127.0.0.1:1/dir', caFile },
      });
      await expect(failed).rejects.toBeInstanceOf(RelayStartError);
      await expect(failed).rejects.toThrow(`cannot use the ACME CA file ${caFile}`);
    }
  });

  it('refuses an IP address as the host name before binding, pointing to -certmode self-signed', async () => {
    const port = await freePort();
    const failed = startRelay({
      addr: `127.0.0.1:${port}`,
      acme: { hostname: '192.0.2.1', certdir: tempDir(), directoryUrl: 'https://127.0.0.1:1/dir' },
    });
    await expect(failed).rejects.toBeInstanceOf(RelayStartError);
    await expect(failed).rejects.toThrow(/192\.0\.2\.1 is an IP address.*-certmode self-signed/);
  });
});

/** The first bytes a Node TLS client sends: a real ClientHello for relay.test. */
async function captureClientHello(): Promise<Buffer> {
  const sink = net.createServer();
  await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
  const got = new Promise<Buffer>((resolve) => sink.once('connection', (c) => c.once('data', resolve)));
  const client = tls.connect({ port: (sink.address() as net.AddressInfo).port, host: '127.0.0.1', servername: HOST });
  client.on('error', () => {});
  const hello = await got;
  client.destroy();
  sink.close();
  return hello;
}

/** A DERP client over TLS, by hand: upgrade, ServerKey, ClientInfo, ServerInfo. */
async function tlsDerpClient(port: number, ca: string): Promise<RawPeer> {
  const peer = new RawPeer(await handshake(port, ca));
  peer.write(`GET /derp HTTP/1.1\r\nHost: ${HOST}\r\nUpgrade: DERP\r\nConnection: Upgrade\r\n\r\n`);
  await peer.readHttpHead();
  const sk = await peer.readFrame();
  expect(sk.payload.subarray(0, 8)).toEqual(MAGIC);
  const kp = nacl.box.keyPair();
  const nonce = nacl.randomBytes(24);
  const box = nacl.box(Buffer.from('{"version":2,"CanAckPings":true}'), nonce, sk.payload.subarray(8), kp.secretKey);
  peer.write(frame(2, Buffer.concat([kp.publicKey, nonce, box])));
  expect((await peer.readFrame()).type).toBe(3);
  return peer;
}

/** Forwards to `port`, passing the client's bytes on 40 at a time with a pause between. */
async function dribblingProxy(port: number): Promise<net.Server> {
  const proxy = net.createServer((client) => {
    const upstream = net.connect(port, '127.0.0.1');
    upstream.pipe(client);
    let queue = Promise.resolve();
    client.on('data', (d: Buffer) => {
      for (let i = 0; i < d.length; i += 40) {
        const piece = d.subarray(i, i + 40);
        queue = queue.then(
          () =>
            new Promise<void>((r) =>
              setTimeout(() => {
                upstream.write(piece);
                r();
              }, 5),
            ),
        );
      }
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  return proxy;
}
