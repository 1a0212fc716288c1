/**
 * A real ACME server for tests: pebble on loopback, resolving names through pebble-challtestsrv (which answers every
 * A query with one address), validating challenges against the relay's own HTTP and TLS ports. Its HTTPS listener
 * uses a self-signed certificate for 127.0.0.1 that the test trusts through `caFile`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { loadOrCreateSelfSigned } from '../../electron/relay/selfsigned.js';

export interface PebbleOptions {
  /** The relay's plain-HTTP port (HTTP-01) and TLS port (TLS-ALPN-01), where pebble's validator connects. */
  httpPort: number;
  tlsPort: number;
  /** The address challtestsrv gives every name (default 127.0.0.1); another loopback address makes challenges fail. */
  resolveTo?: string;
  /** Lifetime of issued certificates in seconds (pebble's default is five years). */
  validitySeconds?: number;
}

export interface Pebble {
  directoryUrl: string;
  /** PEM of the certificate pebble's own HTTPS listener uses: trust it to talk to the directory. */
  caFile: string;
  /** PEM of the root that signs issued certificates. */
  issuingRoot(): Promise<string>;
  /** Orders pebble has been asked for so far (it logs one line per new order). */
  orders(): number;
  output(): string;
  stop(): Promise<void>;
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, host, r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function spawnLogged(cmd: string, args: string[], env: NodeJS.ProcessEnv, sink: { text: string }): ChildProcess {
  const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (d) => (sink.text += d));
  child.stderr!.on('data', (d) => (sink.text += d));
  return child;
}

function get(url: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { ca, timeout: 2000 }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

async function waitFor(what: string, ms: number, probe: () => Promise<boolean>, log: () => string): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what} not ready within ${ms} ms:\n${log()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * pebble-challtestsrv as a DNS server on loopback: answers what its management API was told (A, AAAA, TXT), and a
 * default IPv4 address (or none) for every other name.
 */
export class MockDns {
  private constructor(
    private readonly child: ChildProcess,
    /** "127.0.0.1:port", for a resolver's servers or pebble's -dnsserver. */
    readonly address: string,
    private readonly management: string,
  ) {}

  static async start(defaultIPv4: string, log: { text: string } = { text: '' }): Promise<MockDns> {
    const [dnsPort, mgmtPort] = [await freePort(), await freePort()];
    const child = spawnLogged(
      'pebble-challtestsrv',
      [
        '-dns01',
        `127.0.0.1:${dnsPort}`,
        '-http01',
        '',
        '-https01',
        '',
        '-tlsalpn01',
        '',
        '-management',
        `127.0.0.1:${mgmtPort}`,
        '-defaultIPv4',
        defaultIPv4,
        '-defaultIPv6',
        '',
      ],
      {},
      log,
    );
    const dns = new MockDns(child, `127.0.0.1:${dnsPort}`, `http://127.0.0.1:${mgmtPort}`);
    try {
      await waitFor(
        'challtestsrv',
        10_000,
        () => canConnect(mgmtPort),
        () => log.text,
      );
    } catch (err) {
      await dns.stop();
      throw err;
    }
    return dns;
  }

  /** Sets records through the management API: add-a / add-aaaa {host, addresses}, set-txt {host, value}, clear-a {host}. */
  async set(what: 'add-a' | 'add-aaaa' | 'set-txt' | 'clear-a', body: object): Promise<void> {
    const r = await fetch(`${this.management}/${what}`, { method: 'POST', body: JSON.stringify(body) });
    if (!r.ok) throw new Error(`challtestsrv ${what}: ${r.status} ${await r.text()}`);
  }

  async stop(): Promise<void> {
    this.child.kill('SIGKILL');
    await exited(this.child);
  }
}

export async function startPebble(opts: PebbleOptions): Promise<Pebble> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'derpdesk-pebble-'));
  const own = await loadOrCreateSelfSigned(dir, '127.0.0.1');
  const [acmePort, mgmtPort] = [await freePort(), await freePort()];
  const config = {
    pebble: {
      listenAddress: `127.0.0.1:${acmePort}`,
      managementListenAddress: `127.0.0.1:${mgmtPort}`,
      certificate: own.certFile,
      privateKey: own.keyFile,
      httpPort: opts.httpPort,
      tlsPort: opts.tlsPort,
      ocspResponderURL: '',
      externalAccountBindingRequired: false,
      ...(opts.validitySeconds ? { certificateValidityPeriod: opts.validitySeconds } : {}),
    },
  };
  const configFile = path.join(dir, 'pebble.json');
  writeFileSync(configFile, JSON.stringify(config));
  const log = { text: '' };
  const dns = await MockDns.start(opts.resolveTo ?? '127.0.0.1', log);
  const pebble = spawnLogged(
    'pebble',
    ['-config', configFile, '-dnsserver', dns.address],
    // Validate at once, with no random nonce rejections and no reused authorizations: each order proves itself.
    { PEBBLE_VA_NOSLEEP: '1', PEBBLE_WFE_NONCEREJECT: '0', PEBBLE_AUTHZREUSE: '0' },
    log,
  );
  const caFile = own.certFile;
  const ca = readFileSync(caFile, 'utf8');
  const directoryUrl = `https://127.0.0.1:${acmePort}/dir`;
  const stop = async () => {
    pebble.kill('SIGKILL');
    await Promise.all([exited(pebble), dns.stop()]);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(
      'pebble',
      10_000,
      async () => (await get(directoryUrl, ca)).status === 200,
      () => log.text,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    directoryUrl,
    caFile,
    issuingRoot: async () => (await get(`https://127.0.0.1:${mgmtPort}/roots/0`, ca)).body,
    orders: () => log.text.split('\n').filter((l) => /added order/i.test(l)).length,
    output: () => log.text,
    stop,
  };
}
