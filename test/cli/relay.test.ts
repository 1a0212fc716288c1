/** `derpdesk relay` as a user runs it: derper's flags, exit codes, key persistence, TLS, graceful shutdown. */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { planRelay } from '../../electron/cli/relay.js';
import { DerpClient } from '../../electron/derp/client.js';
import { formatNodePrivate, generateKeyPair } from '../../electron/derp/keys.js';
import { stunProbe } from '../../electron/stun/client.js';
import { StunServer } from '../../electron/stun/server.js';
import { runCli, startCli, waitExit } from '../helpers/cli.js';
import { eventually, sleep } from '../helpers/relay.js';
import { opensslCert } from '../helpers/openssl-cert.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'derpdesk-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const env = { DERPDESK_DATA_DIR: tmp };
const READY = /listening on (https?):\/\/[^\s,]+:(\d+)\/derp/;

describe('derpdesk relay flags', () => {
  it('documents every derper flag it takes in --help', async () => {
    const r = await runCli(['relay', '--help'], env);
    expect(r.code).toBe(0);
    for (const f of [
      '-a addr',
      '-http-port',
      '-c file',
      '-certmode',
      '-certdir',
      '-hostname',
      '-dev',
      '-stun',
      '-stun-port',
      '-verbose',
    ])
      expect(r.stdout).toContain(f);
  });

  it('exits 2 with a clear message for unknown flags, bad values and unusable files', async () => {
    const unknown = await runCli(['relay', '-bogus'], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('flag provided but not defined: -bogus');
    const badPort = await runCli(['relay', '-a', '127.0.0.1:99999'], env);
    expect(badPort.code).toBe(2);
    expect(badPort.stderr).toContain('out of range');
    const le = await runCli(['relay', '-a', '127.0.0.1:443'], env);
    expect(le.code).toBe(2);
    expect(le.stderr).toContain('-certmode letsencrypt needs -hostname');
    const keyFile = path.join(tmp, 'broken.key');
    writeFileSync(keyFile, '{"PrivateKey": "nonsense"}');
    const badKey = await runCli(['relay', '-a', '127.0.0.1:0', '-stun=false', '-c', keyFile], env);
    expect(badKey.code).toBe(2);
    expect(badKey.stderr).toContain(`${keyFile}: node private key must start with "privkey:"`);
    const underFile = path.join(keyFile, 'derper.key');
    const notDir = await runCli(['relay', '-a', '127.0.0.1:0', '-stun=false', '-c', underFile], env);
    expect(notDir.code).toBe(2);
    expect(notDir.stderr).toContain(
      `cannot read key file ${underFile}: ${underFile}: a part of this path is a file, not a folder (ENOTDIR)\n`,
    );
    const noCert = await runCli(
      ['relay', '-a', '127.0.0.1:0', '-certmode', 'manual', '-certdir', tmp, '-hostname', 'nothere'],
      env,
    );
    expect(noCert.code).toBe(2);
    expect(noCert.stderr).toBe(
      `derpdesk relay: cannot read the TLS certificate: No such file: ${path.join(tmp, 'nothere.crt')} (ENOENT)\n`,
    );
  });

  it('names the busy port and exits 1', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as net.AddressInfo).port;
    const r = await runCli(['relay', '-a', `127.0.0.1:${port}`, '-stun=false'], env);
    blocker.close();
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`address 127.0.0.1:${port} is already in use`);
  });
});

describe('derpdesk relay running', () => {
  it("creates a derper-format key file (0600), reuses it on restart, and reads headscale's bare form", async () => {
    const keyFile = path.join(tmp, 'k1', 'derper.key');
    const first = await startCli(['relay', '-a', '127.0.0.1:0', '-stun=false', '-c', keyFile], READY, env);
    const text = readFileSync(keyFile, 'utf8');
    expect(text).toMatch(/^\{"PrivateKey":"privkey:[0-9a-f]{64}"\}\n$/);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const c1 = await DerpClient.connect({ url: `http://127.0.0.1:${first.match[2]}/derp` });
    const key1 = c1.serverPublicKey.toString('hex');
    c1.close();
    first.child.kill('SIGTERM');
    expect(await waitExit(first.child)).toBe(0);

    const second = await startCli(['relay', '-a', '127.0.0.1:0', '-stun=false', '-c', keyFile], READY, env);
    const c2 = await DerpClient.connect({ url: `http://127.0.0.1:${second.match[2]}/derp` });
    expect(c2.serverPublicKey.toString('hex')).toBe(key1);
    c2.close();
    second.child.kill('SIGTERM');
    await waitExit(second.child);

    const kp = generateKeyPair();
    const bare = path.join(tmp, 'headscale-derp.key');
    writeFileSync(bare, formatNodePrivate(kp.privateKey) + '\n', { mode: 0o600 });
    const third = await startCli(['relay', '-a', '127.0.0.1:0', '-stun=false', '-c', bare], READY, env);
    const c3 = await DerpClient.connect({ url: `http://127.0.0.1:${third.match[2]}/derp` });
    expect(c3.serverPublicKey).toEqual(kp.publicKey);
    c3.close();
    third.child.kill('SIGTERM');
    await waitExit(third.child);
  });

  it('logs each connection as a debug line with -verbose, and no debug lines without it', async () => {
    const verbose = await startCli(['relay', '-a', '127.0.0.1:0', '-stun=false', '-verbose'], READY, env);
    const c = await DerpClient.connect({ url: `http://127.0.0.1:${verbose.match[2]}/derp` });
    const who = c.publicKey.toString('hex');
    await eventually(() => /debug: derp: accepted 127\.0\.0\.1:\d+/.test(verbose.output()), 5000, 'accept line');
    await eventually(
      () => /debug: derp: 127\.0\.0\.1:\d+ nodekey:[0-9a-f]+… active/.test(verbose.output()),
      5000,
      'active',
    );
    c.close();
    await eventually(() => /debug: derp: closed 127\.0\.0\.1:\d+ nodekey:/.test(verbose.output()), 5000, 'close line');
    verbose.child.kill('SIGTERM');
    expect(await waitExit(verbose.child)).toBe(0);
    // Public keys are shortened, and nothing private is printed.
    expect(verbose.output()).not.toContain(who);
    expect(verbose.output()).not.toContain('privkey:');

    const quiet = await startCli(['relay', '-a', '127.0.0.1:0', '-stun=false'], READY, env);
    const q = await DerpClient.connect({ url: `http://127.0.0.1:${quiet.match[2]}/derp` });
    await q.ping();
    q.close();
    await sleep(200);
    quiet.child.kill('SIGTERM');
    expect(await waitExit(quiet.child)).toBe(0);
    expect(quiet.output()).not.toContain('debug:');
  });

  it('tells connected clients it is restarting on SIGTERM and exits 0', async () => {
    const r = await startCli(['relay', '-a', '127.0.0.1:0', '-stun=false'], READY, env);
    const c = await DerpClient.connect({ url: `http://127.0.0.1:${r.match[2]}/derp` });
    const restarting = new Promise<number>((resolve) => c.once('restarting', (ms) => resolve(ms)));
    r.child.kill('SIGTERM');
    expect(await restarting).toBeGreaterThan(0);
    expect(await waitExit(r.child)).toBe(0);
  });

  it('serves TLS from -certmode manual files and captive-portal checks on -http-port', async () => {
    const certdir = path.join(tmp, 'certs');
    mkdirSync(certdir, { recursive: true });
    opensslCert({
      certFile: path.join(certdir, 'relay.test.crt'),
      keyFile: path.join(certdir, 'relay.test.key'),
      days: 2,
      cn: 'relay.test',
      san: 'DNS:relay.test,IP:127.0.0.1',
    });
    const port80 = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const r = await startCli(
      [
        'relay',
        '-a',
        '127.0.0.1:0',
        '-stun=false',
        '-certmode',
        'manual',
        '-certdir',
        certdir,
        '-hostname',
        'relay.test',
        '-http-port',
        String(port80),
      ],
      READY,
      env,
    );
    expect(r.match[1]).toBe('https');
    const ca = readFileSync(path.join(certdir, 'relay.test.crt'));
    const c = await DerpClient.connect({ url: `https://127.0.0.1:${r.match[2]}/derp`, ca, certName: 'relay.test' });
    expect(await c.ping()).toBeGreaterThan(0);
    c.close();
    await expect(
      DerpClient.connect({ url: `https://127.0.0.1:${r.match[2]}/derp`, certName: 'relay.test', timeoutMs: 2000 }),
    ).rejects.toThrow(/self.signed|unable to verify/i);
    const res = await fetch(`http://127.0.0.1:${port80}/generate_204`, {
      headers: { 'X-Tailscale-Challenge': 'ts_x' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('x-tailscale-response')).toBe('response ts_x');
    const redirect = await fetch(`http://127.0.0.1:${port80}/derp`, { redirect: 'manual' });
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get('location')).toBe(`https://127.0.0.1:${r.match[2]}/derp`);
    r.child.kill('SIGTERM');
    await waitExit(r.child);
  });

  it('runs STUN beside the relay on -stun-listen addresses and exports its counters in /debug/varz', async () => {
    const r = await startCli(
      ['relay', '-a', '127.0.0.1:0', '-stun-listen', '127.0.0.1:0,[::1]:0'],
      /STUN listening on 127\.0\.0\.1:(\d+), \[::1\]:(\d+)/,
      env,
    );
    const relayPort = /listening on http:\/\/[^\s]+:(\d+)\/derp/.exec(r.output())![1];
    const v4 = await stunProbe({ host: '127.0.0.1', port: Number(r.match[1]) });
    const v6 = await stunProbe({ host: '::1', port: Number(r.match[2]) });
    expect([v4.mappedAddress, v6.mappedAddress]).toEqual(['127.0.0.1', '::1']);
    const varz = await (await fetch(`http://127.0.0.1:${relayPort}/debug/varz`)).text();
    expect(varz).toContain('stun_requests{disposition="success"} 2');
    expect(varz).toContain('stun_addrfamily{family="ipv6"} 1');
    r.child.kill('SIGTERM');
    expect(await waitExit(r.child)).toBe(0);
  });

  it('says which STUN address is busy and exits 1', async () => {
    const blocker = new StunServer();
    await blocker.start([{ host: '127.0.0.1', port: 0 }]);
    const port = blocker.addresses()[0].port;
    const r = await runCli(['relay', '-a', '127.0.0.1:0', '-stun-port', String(port)], env);
    await blocker.stop();
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`STUN: address 127.0.0.1:${port} is already in use`);
  });

  it('makes a self-signed certificate for an IP host name, reuses it, and prints the CertName clients pin', async () => {
    const certdir = path.join(tmp, 'ss');
    const args = [
      'relay',
      '-a',
      '127.0.0.1:0',
      '-stun=false',
      '-http-port',
      '-1',
      '-certmode',
      'manual',
      '-certdir',
      certdir,
      '-hostname',
      '127.0.0.1',
    ];
    const first = await startCli(args, /DERP map node \(clients pin the certificate by CertName\): (\{.*\})/, env);
    expect(first.output()).toContain('created self-signed certificate');
    const node = JSON.parse(first.match[1]) as { CertName: string; DERPPort: number; IPv4: string };
    expect(node.CertName).toMatch(/^sha256-raw:[0-9a-f]{64}$/);
    expect(node.IPv4).toBe('127.0.0.1');
    expect(statSync(path.join(certdir, '127.0.0.1.key')).mode & 0o777).toBe(0o600);
    const c = await DerpClient.connect({ url: `https://127.0.0.1:${node.DERPPort}/derp`, certName: node.CertName });
    expect(await c.ping()).toBeGreaterThan(0);
    c.close();
    const wrongPin = 'sha256-raw:' + '0'.repeat(64);
    await expect(
      DerpClient.connect({ url: `https://127.0.0.1:${node.DERPPort}/derp`, certName: wrongPin, timeoutMs: 2000 }),
    ).rejects.toThrow('TLS certificate pin mismatch');
    first.child.kill('SIGTERM');
    await waitExit(first.child);

    const second = await startCli(args, /DERP map node \(clients pin the certificate by CertName\): (\{.*\})/, env);
    expect(second.output()).toContain('using self-signed certificate');
    expect(JSON.parse(second.match[1]).CertName).toBe(node.CertName);
    second.child.kill('SIGTERM');
    await waitExit(second.child);
  });

  it("takes derper's mesh and verification flags, and checks them", async () => {
    const noKey = await runCli(['relay', '-a', '127.0.0.1:0', '-stun=false', '-mesh-with', 'derp2.example.com'], env);
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain('-mesh-with needs -mesh-psk-file');
    const badKey = path.join(tmp, 'mesh.key');
    writeFileSync(badKey, 'not a key\n');
    const bad = await runCli(['relay', '-a', '127.0.0.1:0', '-stun=false', '-mesh-psk-file', badKey], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(`${badKey}: a mesh key is 64 hex characters`);
    const badUrl = await runCli(['relay', '-a', '127.0.0.1:0', '-stun=false', '-verify-client-url', 'ftp://x'], env);
    expect(badUrl.code).toBe(2);
    const noList = await runCli(
      ['relay', '-a', '127.0.0.1:0', '-stun=false', '-allow-keys-file', path.join(tmp, 'missing.txt')],
      env,
    );
    expect(noList.code).toBe(2);
    expect(noList.stderr).toContain('cannot read allowlist');
    // A mistyped path to a device or a pipe is refused at once, not read until memory runs out.
    for (const flag of ['-mesh-psk-file', '-allow-keys-file', '-rate-config']) {
      const device = await runCli(['relay', '-a', '127.0.0.1:0', '-stun=false', flag, '/dev/zero'], env);
      expect(device.code, flag).toBe(2);
      expect(device.stderr, flag).toContain('/dev/zero is not a regular file');
    }
  });

  it('re-reads -rate-config when it changes and keeps the limits when an edit is broken', async () => {
    const file = path.join(tmp, 'rate.json');
    writeFileSync(file, '{"PerClientRateLimitBytesPerSec": 100000}');
    const r = await startCli(['relay', '-a', '127.0.0.1:0', '-stun=false', '-rate-config', file], READY, env);
    // The watcher compares modification times; give each edit its own, after the watcher's first look.
    await sleep(1200);
    writeFileSync(file, '{"PerClientRateLimitBytesPerSec": 50000, "PerClientRateBurstBytes": 1}');
    utimesSync(file, new Date(), new Date(Date.now() + 10_000));
    await eventually(
      () =>
        r
          .output()
          .includes('rate config applied: {"PerClientRateLimitBytesPerSec":50000,"PerClientRateBurstBytes":65568'),
      5000,
      'reload',
    );
    writeFileSync(file, '{"PerClientRateLimitBytesPerSec": -1}');
    utimesSync(file, new Date(), new Date(Date.now() + 20_000));
    await eventually(() => r.output().includes('keeping the previous rate limits'), 5000, 'refusal');
    r.child.kill('SIGTERM');
    await waitExit(r.child);
  });

  it('plans plain HTTP on :3340 and STUN on 3478 with -dev, whatever -a and -certmode say', () => {
    // Checked on the plan rather than by binding :3340, which another relay on this machine may hold.
    for (const argv of [['-dev'], ['-dev', '-a', '127.0.0.1:443', '-certmode', 'manual', '-hostname', 'r.example']]) {
      const plan = planRelay(argv);
      if (plan === 'help') throw new Error('-dev must not mean --help');
      expect(plan.addr).toBe(':3340');
      expect(plan.tls).toBeNull();
      expect(plan.selfSigned).toBeNull();
      expect(plan.stun.length).toBeGreaterThan(0);
      for (const s of plan.stun) expect(s.port).toBe(3478);
    }
    const quiet = planRelay(['-dev', '-stun=false']);
    expect(quiet !== 'help' && quiet.stun).toEqual([]);
  });
});
