/**
 * `derpdesk relay -workers 2` as a user runs it: clients spread over two worker processes by the shared port
 * still reach each other both ways, hear PeerGone, keep one key reachable across workers, survive a worker's
 * SIGKILL, and /debug/varz reports the relay's totals, not one worker's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DerpClient } from '../../electron/derp/client.js';
import dgram from 'node:dgram';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { formatNodePublic, generateKeyPair, type NodeKeyPair } from '../../electron/derp/keys.js';
import { planRelay } from '../../electron/cli/relay.js';
import { stunProbe } from '../../electron/stun/client.js';
import { sumVarz } from '../../electron/relay/workers/varz-aggregate.js';
import { runCli } from '../helpers/cli.js';
import { admitted, eventually } from '../helpers/relay.js';
import { READY, deliver, inbox, startWorkersRelay, type WorkersRelay } from './workers-fixture.js';

let relay: WorkersRelay;
const open: DerpClient[] = [];

beforeAll(async () => {
  relay = await startWorkersRelay(2);
}, 40_000);
afterAll(async () => {
  for (const c of open) c.close();
  expect(await relay.stop()).toBe(0);
}, 30_000);

async function clientOn(worker: number, keyPair = generateKeyPair()): Promise<DerpClient> {
  const client = await relay.landOn(
    worker,
    () => DerpClient.connect({ url: relay.url, keyPair }),
    (c) => c.close(),
  );
  open.push(client);
  return client;
}

describe('derpdesk relay -workers 2', () => {
  it('spreads connections on the shared port over both workers, which relay to each other both ways', async () => {
    const placed = [];
    for (let i = 0; i < 6; i++) placed.push(await relay.connectTracked());
    open.push(...placed.map((p) => p.client));
    expect(new Set(placed.map((p) => p.worker))).toEqual(new Set([0, 1]));
    // One relay key on both; each worker's lines say which worker wrote them.
    const keys = [...relay.output().matchAll(/\[worker ([12])\] derp: relay (nodekey:\w+) listening/g)];
    expect(keys.map((m) => m[1]).sort()).toEqual(['1', '2']);
    expect(new Set(keys.map((m) => m[2])).size).toBe(1);
    const a = placed.find((p) => p.worker === 0)!.client;
    const b = placed.find((p) => p.worker === 1)!.client;
    const boxA = inbox(a);
    const boxB = inbox(b);
    await deliver(a, b, boxB, 'a to b');
    await deliver(b, a, boxA, 'b to a');
    const [w1, w2] = [await relay.workerVarz(0), await relay.workerVarz(1)];
    expect(w1.get('derp_packets_forwarded_out')).toBeGreaterThanOrEqual(1);
    expect(w2.get('derp_packets_forwarded_in')).toBeGreaterThanOrEqual(1);
    expect(w2.get('derp_packets_forwarded_out')).toBeGreaterThanOrEqual(1);
    expect(w1.get('derp_packets_forwarded_in')).toBeGreaterThanOrEqual(1);
  });

  it('tells a client on one worker that a peer on the other has gone', async () => {
    const a = await clientOn(0);
    const b = await clientOn(1);
    const boxA = inbox(a);
    await deliver(b, a, boxA, 'hello from b');
    const gone: string[] = [];
    a.on('peerGone', (k: Buffer) => gone.push(k.toString('hex')));
    b.close();
    await eventually(() => gone.includes(b.publicKey.toString('hex')), 5000, 'PeerGone for b');
  });

  it('keeps a key on two workers reachable until its last connection leaves, with no PeerGone meanwhile', async () => {
    const sender = await clientOn(0);
    const key = generateKeyPair();
    const here = await clientOn(0, key);
    const there = await clientOn(1, key);
    const [boxSender, boxHere, boxThere] = [inbox(sender), inbox(here), inbox(there)];
    // Both connections send to the sender, which is then owed a PeerGone when the key leaves the relay.
    await deliver(here, sender, boxSender, 'from the local one');
    await deliver(there, sender, boxSender, 'from the remote one');
    const gone: string[] = [];
    sender.on('peerGone', (k: Buffer) => gone.push(k.toString('hex')));
    // The sender's worker prefers the connection it holds, as a derper mesh node prefers its local client.
    await deliver(sender, here, boxHere, 'to the local one');
    expect(boxThere.filter((m) => m.endsWith('to the local one'))).toEqual([]);
    here.close();
    await deliver(sender, there, boxThere, 'to the one left');
    expect(gone).toEqual([]);
    there.close();
    await eventually(() => gone.includes(key.publicKey.toString('hex')), 5000, 'PeerGone once both left');
  });

  it('sums every worker in /debug/varz and adds the primary STUN counters once', async () => {
    expect(relay.output().match(/STUN listening on/g)).toHaveLength(1);
    const stunPort = Number(/STUN listening on 127\.0\.0\.1:(\d+)/.exec(relay.output())![1]);
    await stunProbe({ host: '127.0.0.1', port: stunPort });
    const stillOpen = open.filter((c) => !c.isClosed).length;
    await eventually(
      async () => (await relay.varz()).get('derp_current_connections') === stillOpen,
      5000,
      'closes seen',
    );
    const whole = await relay.varz();
    const parts = [await relay.workerVarz(0), await relay.workerVarz(1)];
    for (const name of [
      'derp_current_connections',
      'derp_clients_local',
      'derp_packets_received',
      'derp_packets_sent',
      'derp_bytes_received',
      'derp_packets_forwarded_out',
      'derp_packets_forwarded_in',
      'derp_peer_gone_disconnected_frames',
    ])
      expect(whole.get(name), name).toBe(parts[0].get(name)! + parts[1].get(name)!);
    // The workers' links to each other are the relay talking to itself: not clients, not a mesh.
    expect(whole.get('derp_current_connections')).toBe(stillOpen);
    expect(whole.get('derp_clients_remote')).toBe(0);
    expect(whole.get('derpdesk_mesh_links')).toBe(0);
    expect(whole.get('stun_requests{disposition="success"}')).toBe(1);
    expect(parts[0].has('stun_requests{disposition="success"}')).toBe(false);
    // The /debug/ index counts the answering worker's clients, and says so.
    const index = await (await fetch(`http://127.0.0.1:${relay.port}/debug/`)).text();
    const pids = relay.workers().map((w) => w.pid);
    const m = /<b>Worker:<\/b> [12] of 2 \(pid (\d+)\) answered: Clients counts this worker&#39;s/.exec(index);
    expect(m, index).not.toBeNull();
    expect(pids).toContain(Number(m![1]));
  });

  it('replaces a worker killed with SIGKILL; its clients are cut, new clients reach the survivors', async () => {
    const a = await clientOn(0);
    const b = await clientOn(1);
    const cut = new Promise<void>((resolve) => b.once('close', () => resolve()));
    const killed = relay.workers()[1].pid;
    process.kill(killed, 'SIGKILL');
    await cut;
    await eventually(() => /all 2 workers serving and linked again/.test(relay.output()), 15_000, 'a replacement');
    expect(relay.workers()[1].pid).not.toBe(killed);
    const b2 = await clientOn(1);
    const boxA = inbox(a);
    const boxB2 = inbox(b2);
    await deliver(b2, a, boxA, 'from the replacement');
    await deliver(a, b2, boxB2, 'to the replacement');
  }, 40_000);
});

describe('-workers 2 with TLS and SIGHUP', () => {
  it('serves TLS from every worker with the one certificate, and SIGHUP reloads the allowlist in each', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'derpdesk-workers-tls-'));
    const alice = generateKeyPair();
    const bob = generateKeyPair();
    const allow = path.join(dir, 'allow.txt');
    writeFileSync(allow, `${formatNodePublic(alice.publicKey)}\n`);
    const tls = await startWorkersRelay(
      2,
      ['-certmode', 'manual', '-certdir', path.join(dir, 'certs'), '-hostname', '127.0.0.1', '-http-port', '-1'].concat(
        ['-allow-keys-file', allow],
      ),
      dir,
    );
    try {
      const certName = /"CertName":"(sha256-raw:[0-9a-f]{64})"/.exec(tls.output())![1];
      // Made once by the primary, not raced by the workers.
      expect(tls.output().match(/self-signed certificate/g)).toHaveLength(1);
      const on = (w: number, keyPair: NodeKeyPair) =>
        tls.landOn(
          w,
          () => DerpClient.connect({ url: tls.url, certName, keyPair }),
          (c) => c.close(),
        );
      const alices = [await on(0, alice), await on(1, alice)];
      for (const c of alices) expect(await c.ping()).toBeGreaterThan(0);
      for (let i = 0; i < 4; i++) expect(await admitted(tls.url, bob, certName)).toBe(false);

      writeFileSync(allow, `${formatNodePublic(alice.publicKey)}\n${formatNodePublic(bob.publicKey)}\n`);
      tls.child.kill('SIGHUP');
      await eventually(() => (tls.output().match(/SIGHUP: reloaded allowlist: 2 keys/g) ?? []).length === 2, 5000);
      const bobs = [await on(0, bob), await on(1, bob)];
      for (const c of [...bobs, ...alices]) expect(await c.ping()).toBeGreaterThan(0);
      for (const c of bobs) c.close();
      // SIGTERM on the primary: every worker tells its clients to come back, then all exit 0.
      const told = alices.map((c) => new Promise<number>((resolve) => c.once('restarting', resolve)));
      expect(await tls.stop()).toBe(0);
      expect(await Promise.all(told)).toEqual([1000, 1000]);
    } finally {
      if (tls.child.exitCode === null) await tls.stop();
    }
  }, 60_000);
});

describe('-workers 2 and -accept-connection-burst', () => {
  it('splits the burst over the workers, so together they accept what the flag says', async () => {
    const limited = await startWorkersRelay(2, ['-accept-connection-limit', '0.01', '-accept-connection-burst', '2']);
    try {
      const results = [];
      for (let i = 0; i < 6; i++) {
        const c = await DerpClient.connect({ url: limited.url, timeoutMs: 2000 }).catch(() => null);
        results.push(c !== null);
        c?.close();
      }
      expect(results.filter(Boolean)).toHaveLength(2);
      // Read on the workers' own ports: the public one takes no more connections.
      const parts = [await limited.workerVarz(0), await limited.workerVarz(1)];
      expect(parts.map((v) => v.get('derpdesk_accepts_rate_limited')!).reduce((a, b) => a + b)).toBe(4);
      expect(parts.map((v) => v.get('derpdesk_accepts_rate_limited'))).not.toContain(0);
    } finally {
      expect(await limited.stop()).toBe(0);
    }
  }, 40_000);
});

describe('summing varz texts', () => {
  it('adds samples by name and labels, keeps TYPE lines once, and takes shared gauges once', () => {
    const w = (n: number, q: number) =>
      `# TYPE derp_accepts counter\nderp_accepts ${n}\n# TYPE x counter\nx{kind="a"} ${n * 2}\n# TYPE counter_bootstrap_dns_queried_domains gauge\ncounter_bootstrap_dns_queried_domains ${q}\n`;
    expect(sumVarz([w(1, 3), w(4, 3), '# TYPE stun_requests counter\nstun_requests{d="s"} 7\n'])).toBe(
      '# TYPE derp_accepts counter\nderp_accepts 5\n# TYPE x counter\nx{kind="a"} 10\n' +
        '# TYPE counter_bootstrap_dns_queried_domains gauge\ncounter_bootstrap_dns_queried_domains 3\n' +
        '# TYPE stun_requests counter\nstun_requests{d="s"} 7\n',
    );
  });

  it("counts a region peer's clients once, since every worker routes to all of them", () => {
    const w = (local: number, remote: number) =>
      `derp_clients_local ${local}\nderp_clients_remote ${remote}\nderp_clients_total ${local + remote}\n`;
    expect(sumVarz([w(3, 5), w(4, 5)])).toBe('derp_clients_local 7\nderp_clients_remote 5\nderp_clients_total 12\n');
  });
});

describe('-workers flag', () => {
  it('is listed in --help, kept by --print-systemd-unit, and takes the region mesh and ACME flags', async () => {
    const help = await runCli(['relay', '--help']);
    expect(help.stdout).toMatch(/-workers n\n.*relay processes sharing the listen address/);
    const unit = await runCli(['relay', '-a', ':8443', '-workers', '4', '--print-systemd-unit']);
    expect(unit.stdout).toMatch(/ExecStart=.* relay .*-workers=4/);
    const plan = planRelay(['-a', ':3340', '-workers', '3']);
    expect(plan !== 'help' && plan.workers).toBe(3);
    expect(() => planRelay(['-a', ':3340', '-workers', '0'])).toThrow(/-workers 0 is out of range \(1 to 256\)/);
    const mesh = planRelay(['-a', ':3340', '-workers', '2', '-mesh-with', 'x', '-mesh-psk-file', 'k']);
    expect(mesh !== 'help' && [mesh.workers, mesh.meshWith]).toEqual([2, ['x']]);
    const acme = planRelay(['-a', ':443', '-hostname', 'relay.example.com', '-workers', '2']);
    expect(acme !== 'help' && [acme.workers, acme.acme?.hostname]).toEqual([2, 'relay.example.com']);
  });

  it('exits 2 when the workers cannot read a file, with the reason', async () => {
    const r = await runCli(
      ['relay', '-a', '127.0.0.1:0', '-stun=false', '-workers', '2', '-rate-config', '/nonexistent/rate.json'],
      {},
      20_000,
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/worker \d exited with code 2: cannot use -rate-config: .*rate\.json/);
    expect(r.stdout).not.toMatch(READY);
  });

  it('exits 1 naming the busy port', async () => {
    const r = await runCli(['relay', '-a', `127.0.0.1:${relay.port}`, '-stun=false', '-workers', '2'], {}, 20_000);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/already in use/);
  });

  it('exits 1 naming the busy STUN address, before any worker starts', async () => {
    const busy = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => busy.bind(0, '127.0.0.1', resolve));
    try {
      const stunAt = `127.0.0.1:${busy.address().port}`;
      const r = await runCli(['relay', '-a', '127.0.0.1:0', '-stun-listen', stunAt, '-workers', '2'], {}, 20_000);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(
        `STUN: address ${stunAt} is already in use (use -stun-port, -stun-listen, or -stun=false)`,
      );
      expect(r.stdout).not.toMatch(/worker \d \(pid/);
    } finally {
      busy.close();
    }
  });
});
