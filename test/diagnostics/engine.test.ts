/**
 * Each check against a deliberately broken setup on loopback: it must detect what it is for, with the expected
 * message. Good and broken relays are real derpdesk relays (and STUN servers) or small hostile servers.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';
import dgram from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runChecks } from '../../electron/diagnostics/engine.js';
import { resolveTarget } from '../../electron/diagnostics/target.js';
import { loadOrCreateSelfSigned } from '../../electron/relay/selfsigned.js';
import { BindingResponder } from '../../electron/stun/responder.js';
import { StunServer } from '../../electron/stun/server.js';
import type { StepResult } from '../../shared/diagnostics.js';
import type { DerpMap, DerpNode } from '../../shared/derpmap/model.js';
import { startRelay, type TestRelay } from '../helpers/relay.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'derpdesk-diag-'));
let plain: TestRelay;
let stun: StunServer;
let stunPort: number;
afterAll(async () => {
  await plain?.stop();
  await stun?.stop();
  rmSync(dir, { recursive: true, force: true });
});
beforeAll(async () => {
  plain = await startRelay();
  stun = new StunServer();
  await stun.start([{ host: '127.0.0.1', port: 0 }]);
  stunPort = stun.addresses()[0].port;
});

function oneNode(node: Partial<DerpNode>): DerpMap {
  return {
    Regions: {
      '900': {
        RegionID: 900,
        RegionCode: 't',
        RegionName: 'T',
        Nodes: [{ Name: '900a', RegionID: 900, HostName: '127.0.0.1', ...node }],
      },
    },
  };
}
const step = (steps: StepResult[], name: string) => steps.find((s) => s.step === name)!;

describe('diagnostics', () => {
  it('passes a healthy plain relay with STUN, and summarises like netcheck', async () => {
    const r = await runChecks(oneNode({ DERPPort: plain.port, STUNPort: stunPort }), { scheme: 'http' });
    const steps = r.nodes[0].steps;
    expect(steps.filter((s) => s.status === 'fail' || s.status === 'warn')).toEqual([]);
    expect(step(steps, 'derp').detail).toBe(
      `handshake done, server key nodekey:${plain.service.derp.publicKey.toString('hex')}`,
    );
    expect(step(steps, 'derp-roundtrip').status).toBe('ok');
    expect(step(steps, 'stun4').detail).toMatch(/^public address 127\.0\.0\.1:\d+/);
    expect(r.summary).toMatchObject({ udp: true, publicIPv4: '127.0.0.1', preferredRegion: 900, problems: [] });
  });

  it('reports a closed STUN port with advice', async () => {
    const sock = dgram.createSocket('udp4');
    await new Promise<void>((res) => sock.bind(0, '127.0.0.1', res));
    const closed = sock.address().port;
    await new Promise<void>((res) => sock.close(() => res()));
    const r = await runChecks(oneNode({ DERPPort: plain.port, STUNPort: closed }), { scheme: 'http', timeoutMs: 300 });
    const s = step(r.nodes[0].steps, 'stun4');
    expect(s.status).toBe('fail');
    expect(s.detail).toBe(`no STUN reply from 127.0.0.1:${closed} after 3 tries`);
    // The likeliest cause on a relay checked by URL is a STUN server on another port: the advice names where to give it.
    expect(s.advice).toMatch(
      new RegExp(`^is the relay's STUN server on UDP ${closed}\\? If not, give its port .*--stun-port`),
    );
    expect(s.advice).toContain(`UDP ${closed} is blocked here or at the server`);
    expect(r.summary.udp).toBe(false);
  });

  it('reports a server that drops the DERP handshake, and a closed port', async () => {
    const dropper = net.createServer((s) => s.destroy());
    await new Promise<void>((res) => dropper.listen(0, '127.0.0.1', res));
    const port = (dropper.address() as net.AddressInfo).port;
    const r = await runChecks(oneNode({ DERPPort: port, STUNPort: -1 }), { scheme: 'http', timeoutMs: 1000 });
    expect(step(r.nodes[0].steps, 'tcp4').status).toBe('ok');
    expect(step(r.nodes[0].steps, 'derp').status).toBe('fail');
    expect(step(r.nodes[0].steps, 'derp').detail).toMatch(/^DERP handshake failed: /);
    dropper.close();
    const gone = await runChecks(oneNode({ DERPPort: port, STUNPort: -1 }), { scheme: 'http', timeoutMs: 1000 });
    expect(step(gone.nodes[0].steps, 'tcp4').detail).toBe(
      `TCP to 127.0.0.1:${port}: connection refused (nothing listens on that port)`,
    );
    // The advice adds what to check instead of restating the cause.
    expect(gone.summary.problems).toEqual([
      `t/900a tcp4: TCP to 127.0.0.1:${port}: connection refused (nothing listens on that port) (is the relay running, and does it listen on port ${port}?)`,
    ]);
    // One cause, one problem: the steps behind the closed port are skipped, naming why.
    expect(gone.nodes[0].steps.filter((s) => s.status === 'fail').map((s) => s.step)).toEqual(['tcp4']);
    expect(step(gone.nodes[0].steps, 'derp')).toMatchObject({
      status: 'skip',
      detail: 'not reached because tcp failed',
    });
  });

  it('flags more than one server key behind one address (a load balancer)', async () => {
    const other = await startRelay();
    let n = 0;
    const lb = net.createServer((c) => {
      const up = net.connect(n++ % 2 === 0 ? plain.port : other.port, '127.0.0.1');
      c.pipe(up).pipe(c);
      c.on('error', () => up.destroy());
      up.on('error', () => c.destroy());
    });
    await new Promise<void>((res) => lb.listen(0, '127.0.0.1', res));
    const r = await runChecks(oneNode({ DERPPort: (lb.address() as net.AddressInfo).port, STUNPort: -1 }), {
      scheme: 'http',
    });
    const keys = step(r.nodes[0].steps, 'derp-keys');
    expect(keys.status).toBe('warn');
    expect(keys.detail).toBe('2 different server keys in 4 connections: behind a load balancer?');
    lb.close();
    await other.stop();
  });

  it('checks TLS: a matching pin passes, a wrong pin and an unpinned self-signed certificate fail', async () => {
    const cert = await loadOrCreateSelfSigned(path.join(dir, 'certs'), '127.0.0.1');
    const tlsRelay = await startRelay({ tls: { certFile: cert.certFile, keyFile: cert.keyFile } });
    try {
      const good = await runChecks(oneNode({ DERPPort: tlsRelay.port, STUNPort: -1, CertName: cert.certName }));
      expect(step(good.nodes[0].steps, 'tls').detail).toMatch(/^pinned certificate matches/);
      expect(step(good.nodes[0].steps, 'derp-roundtrip').status).toBe('ok');
      const wrong = await runChecks(
        oneNode({ DERPPort: tlsRelay.port, STUNPort: -1, CertName: 'sha256-raw:' + '0'.repeat(64) }),
      );
      expect(step(wrong.nodes[0].steps, 'tls')).toMatchObject({
        status: 'fail',
        detail: `certificate does not match the pin: server sends ${cert.certName}`,
      });
      const unpinned = await runChecks(oneNode({ DERPPort: tlsRelay.port, STUNPort: -1 }));
      expect(step(unpinned.nodes[0].steps, 'tls').detail).toMatch(/^certificate is not trusted/);
    } finally {
      await tlsRelay.stop();
    }
  });

  it('fails an expired certificate and warns about one that expires within 14 days, in days left', async () => {
    x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
    const make = async (name: string, notBefore: Date, notAfter: Date) => {
      const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
      const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
      const c = await x509.X509CertificateGenerator.createSelfSigned({
        serialNumber: '01',
        name: 'CN=127.0.0.1',
        notBefore,
        notAfter,
        signingAlgorithm: alg,
        keys: keys as never,
        extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'ip', value: '127.0.0.1' }])],
      });
      const pk = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)).toString('base64');
      const certFile = path.join(dir, `${name}.crt`);
      const keyFile = path.join(dir, `${name}.key`);
      writeFileSync(certFile, c.toString('pem'));
      writeFileSync(keyFile, `-----BEGIN PRIVATE KEY-----\n${pk}\n-----END PRIVATE KEY-----\n`);
      return {
        certFile,
        keyFile,
        pin: `sha256-raw:${Buffer.from(await webcrypto.subtle.digest('SHA-256', c.rawData)).toString('hex')}`,
      };
    };
    const day = 86_400_000;
    for (const [name, from, to, status, text] of [
      ['expired', -30, -1, 'fail', 'certificate expired on'],
      ['soon', -30, 5.5, 'warn', 'certificate expires in 5 days ('],
      ['tomorrow', -30, 1.5, 'warn', 'certificate expires in 1 day ('],
    ] as const) {
      const c = await make(name, new Date(Date.now() + from * day), new Date(Date.now() + to * day));
      const relay = await startRelay({ tls: { certFile: c.certFile, keyFile: c.keyFile } });
      try {
        const r = await runChecks(oneNode({ DERPPort: relay.port, STUNPort: -1, CertName: c.pin }));
        const s = step(r.nodes[0].steps, 'tls');
        expect(s.status).toBe(status);
        expect(s.detail.startsWith(text)).toBe(true);
      } finally {
        await relay.stop();
      }
    }
  });

  it('checks the captive-portal endpoint and its challenge when CanPort80 is set', async () => {
    const cert = await loadOrCreateSelfSigned(path.join(dir, 'certs'), '127.0.0.1');
    const port80 = await new Promise<number>((res) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => res(p));
      });
    });
    const relay = await startRelay({ tls: { certFile: cert.certFile, keyFile: cert.keyFile }, httpPort: port80 });
    try {
      const r = await runChecks(
        oneNode({ DERPPort: relay.port, STUNPort: -1, CertName: cert.certName, CanPort80: true }),
        { captivePort: port80 },
      );
      expect(step(r.nodes[0].steps, 'captive-portal')).toMatchObject({
        status: 'ok',
        detail: '204 with the challenge answered',
      });
      expect(r.summary.captivePortal).toBe(false);
    } finally {
      await relay.stop();
    }
  });

  it('reports a port that does not speak TLS as one tls finding, the steps behind it not reached', async () => {
    const r = await runChecks(oneNode({ DERPPort: plain.port, STUNPort: -1 }), { bandwidthBytes: 1000 });
    const steps = r.nodes[0].steps;
    expect(steps.filter((s) => s.status === 'fail').map((s) => s.step)).toEqual(['tls']);
    expect(step(steps, 'tls').detail).toBe(
      `port ${plain.port} does not speak TLS: the server did not answer in TLS (a plain HTTP port?)`,
    );
    expect(step(steps, 'tls').advice).toContain(`check http://127.0.0.1:${plain.port} instead`);
    for (const name of ['http-probe', 'derp', 'bandwidth'])
      expect(step(steps, name)).toMatchObject({ status: 'skip', detail: 'not reached because tls failed' });
    expect(r.summary.problems).toHaveLength(1);
    expect(r.summary.captivePortal).toBeNull();
  });

  it('warns, not fails, when one IP family is closed and the other connects', async () => {
    const r = await runChecks(oneNode({ DERPPort: plain.port, STUNPort: -1, IPv6: '::1' }), { scheme: 'http' });
    const steps = r.nodes[0].steps;
    expect(step(steps, 'tcp4').status).toBe('ok');
    expect(step(steps, 'tcp6')).toMatchObject({
      status: 'warn',
      detail: `TCP to [::1]:${plain.port}: connection refused (nothing listens on that port)`,
    });
    expect(step(steps, 'tcp6').advice).toContain('clients fall back to IPv4');
    expect(step(steps, 'derp-roundtrip').status).toBe('ok');
  });

  it('takes a relay URL, a map file, and a region filter', async () => {
    const t = await resolveTarget(`http://127.0.0.1:${plain.port}`, stunPort);
    expect(t.scheme).toBe('http');
    expect(t.map.Regions['900'].Nodes[0]).toMatchObject({
      HostName: '127.0.0.1',
      DERPPort: plain.port,
      STUNPort: stunPort,
    });
    const file = path.join(dir, 'two.json');
    const map = oneNode({ DERPPort: plain.port, STUNPort: stunPort });
    map.Regions['901'] = {
      RegionID: 901,
      RegionCode: 'other',
      RegionName: 'O',
      Nodes: [{ Name: '901a', RegionID: 901, HostName: '127.0.0.1', DERPPort: plain.port, STUNPort: -1 }],
    };
    writeFileSync(file, JSON.stringify(map));
    const fromFile = await resolveTarget(file);
    const r = await runChecks(fromFile.map, { scheme: 'http', region: 'other' });
    expect(r.nodes.map((n) => n.node)).toEqual(['901a']);
    await expect(runChecks(fromFile.map, { region: 'nope' })).rejects.toThrow('no region "nope" in the map');
  });
});

describe('mesh check', () => {
  it('passes a meshed pair and names the missing link of an unmeshed one', async () => {
    const meshKey = 'fe'.repeat(32);
    const free = async () => {
      const s = net.createServer();
      await new Promise<void>((res) => s.listen(0, '127.0.0.1', res));
      const p = (s.address() as net.AddressInfo).port;
      await new Promise<void>((res) => s.close(() => res()));
      return p;
    };
    const [pa, pb] = [await free(), await free()];
    const a = await startRelay({ addr: `127.0.0.1:${pa}`, meshKey, meshWith: [`http://127.0.0.1:${pb}/derp`] });
    const b = await startRelay({ addr: `127.0.0.1:${pb}`, meshKey, meshWith: [`http://127.0.0.1:${pa}/derp`] });
    const lonely = await startRelay();
    try {
      const region = (ports: number[]): DerpMap => ({
        Regions: {
          '900': {
            RegionID: 900,
            RegionCode: 'm',
            RegionName: 'M',
            Nodes: ports.map((p, i) => ({
              Name: `900${'ab'[i]}`,
              RegionID: 900,
              HostName: '127.0.0.1',
              DERPPort: p,
              STUNPort: -1,
            })),
          },
        },
      });
      const meshed = await runChecks(region([pa, pb]), { scheme: 'http', timeoutMs: 3000 });
      expect(
        meshed.nodes.flatMap((n) => n.steps.filter((s) => s.step === 'mesh').map((s) => `${s.status} ${s.detail}`)),
      ).toEqual(['ok 900a -> 900b: packet delivered', 'ok 900b -> 900a: packet delivered']);
      const broken = await runChecks(region([pa, lonely.port]), { scheme: 'http', timeoutMs: 800 });
      const mesh = broken.nodes[0].steps.find((s) => s.step === 'mesh')!;
      expect(mesh).toMatchObject({
        status: 'fail',
        detail: '900a -> 900b: a packet to a client on 900b never arrived',
      });
      expect(mesh.advice).toContain('same mesh key');
    } finally {
      await Promise.all([a.stop(), b.stop(), lonely.stop()]);
    }
  });
});

/** A STUN server that reports every client one port higher than it is: a NAT that maps by destination IP. */
async function lyingStunServer(host: string): Promise<{ port: number; close: () => Promise<void> }> {
  const sock = dgram.createSocket('udp4');
  sock.on('message', (msg, from) => {
    sock.send(
      new BindingResponder(Buffer.from('liar')).respond(msg, from.address, from.port + 1)!,
      from.port,
      from.address,
    );
  });
  await new Promise<void>((res) => sock.bind(0, host, res));
  return { port: sock.address().port, close: () => new Promise<void>((res) => sock.close(() => res())) };
}

function twoRegions(a: { host: string; port: number }, b: { host: string; port: number }): DerpMap {
  const region = (id: number, code: string, name: string, at: { host: string; port: number }) => ({
    RegionID: id,
    RegionCode: code,
    RegionName: name,
    Nodes: [{ Name: `${id}a`, RegionID: id, HostName: at.host, STUNOnly: true, STUNPort: at.port }],
  });
  return { Regions: { '900': region(900, 'fra', 'Frankfurt', a), '901': region(901, 'nyc', 'New York', b) } };
}

describe('netcheck summary', () => {
  it('compares mapped addresses from one socket across STUN servers at 127.0.0.1 and 127.0.0.2', async () => {
    const second = new StunServer();
    await second.start([{ host: '127.0.0.2', port: 0 }]);
    const liar = await lyingStunServer('127.0.0.2');
    try {
      const first = { host: '127.0.0.1', port: stunPort };
      const r = await runChecks(twoRegions(first, { host: '127.0.0.2', port: second.addresses()[0].port }));
      const mapped = r.nodes.map((n) => n.steps.find((s) => s.step === 'stun4')!.data!.port);
      expect(mapped[0]).toBe(mapped[1]); // the same local socket for both servers
      expect(r.summary.mappingVariesByDestIP).toBe(false);
      expect(r.summary.mappedIPv4).toBe(`127.0.0.1:${mapped[0]}`);
      expect(r.summary.regionLatency!.map((x) => x.code).sort()).toEqual(['fra', 'nyc']);
      expect(r.summary.nearest).toMatchObject({ regionId: r.summary.preferredRegion });
      expect(r.summary.nearest!.name).toMatch(/^(Frankfurt|New York)$/);

      const hard = await runChecks(twoRegions(first, { host: '127.0.0.2', port: liar.port }));
      expect(hard.summary.mappingVariesByDestIP).toBe(true);
      // A STUN-only node has no DERP port: nothing but STUN is a problem there.
      expect(r.summary.problems).toEqual([]);

      const one = await runChecks(twoRegions(first, first), { node: '901a' });
      expect(one.summary.mappingVariesByDestIP).toBeNull();
      expect(one.summary.mappingVariesWhyUnknown).toBe(
        'only one STUN server IP answered (127.0.0.1); it takes two or more servers at different IPs',
      );
      // Two ports of one IP are one destination IP to a NAT: still unknown, even when their answers differ.
      const liarOnFirstIp = await lyingStunServer('127.0.0.1');
      const sameIp = await runChecks(twoRegions(first, { host: '127.0.0.1', port: liarOnFirstIp.port }));
      await liarOnFirstIp.close();
      expect(sameIp.summary.mappingVariesByDestIP).toBeNull();
    } finally {
      await second.stop();
      await liar.close();
    }
  });
});

describe('netcheck summary over IPv6', () => {
  it('reports the IPv6 mapped address with its port, bracketed, as netcheck does', async () => {
    const v6 = new StunServer();
    await v6.start([{ host: '::1', port: 0 }]);
    try {
      const r = await runChecks(oneNode({ HostName: '::1', STUNOnly: true, STUNPort: v6.addresses()[0].port }));
      const stun6 = step(r.nodes[0].steps, 'stun6');
      expect(stun6.status).toBe('ok');
      expect(r.summary).toMatchObject({ udp: true, publicIPv6: '::1', mappedIPv6: `[::1]:${stun6.data!.port}` });
      expect(r.summary.mappedIPv4).toBeNull();
    } finally {
      await v6.stop();
    }
  });
});

describe('bandwidth', () => {
  it('moves the requested bytes through the relay and reports MB/s', async () => {
    const r = await runChecks(oneNode({ DERPPort: plain.port, STUNPort: -1 }), {
      scheme: 'http',
      bandwidthBytes: 4_000_000,
    });
    const bw = r.nodes[0].steps.find((s) => s.step === 'bandwidth')!;
    expect(bw.status).toBe('ok');
    expect(bw.detail).toMatch(/^4\.0 MB through the relay at [\d.]+ MB\/s$/);
    expect(Number(bw.data!.mbps)).toBeGreaterThan(1);
    expect(r.summary.bandwidth).toEqual([{ regionCode: 't', node: '900a', mbps: bw.data!.mbps }]);
  });
});

describe('home region', () => {
  it('picks the lowest latency, weighs RegionScore, and sticks to the previous home unless another is 1.5x better', async () => {
    const { summarise } = await import('../../electron/diagnostics/engine.js');
    const node = (regionId: number, ms: number) => ({
      regionId,
      regionCode: `r${regionId}`,
      node: `${regionId}a`,
      host: 'h',
      steps: [
        {
          step: 'stun4' as const,
          status: 'ok' as const,
          ms,
          detail: '',
          data: { address: '1.1.1.1', port: 1, server: `s${regionId}` },
        },
      ],
    });
    const map: DerpMap = {
      Regions: {
        '900': { RegionID: 900, RegionCode: 'a', RegionName: 'A', Nodes: [] },
        '901': { RegionID: 901, RegionCode: 'b', RegionName: 'B', Nodes: [] },
      },
    };
    expect(summarise(map, [node(900, 20), node(901, 15)]).preferredRegion).toBe(901);
    expect(
      summarise({ ...map, HomeParams: { RegionScore: { '901': 2 } } }, [node(900, 20), node(901, 15)]).preferredRegion,
    ).toBe(900);
    expect(summarise(map, [node(900, 20), node(901, 15)], 900).preferredRegion).toBe(900);
    expect(summarise(map, [node(900, 40), node(901, 15)], 900).preferredRegion).toBe(901);
  });
});

describe('diagnostics resources', () => {
  const udpSockets = () => process.getActiveResourcesInfo().filter((r) => r === 'UDPWrap').length;

  it('closes its UDP sockets after each run, passing or failing', async () => {
    const before = udpSockets();
    for (let i = 0; i < 3; i++) {
      await runChecks(oneNode({ DERPPort: plain.port, STUNPort: stunPort }), { scheme: 'http' });
      await expect(
        runChecks(oneNode({ DERPPort: plain.port, STUNPort: stunPort }), { scheme: 'http', region: 'nowhere' }),
      ).rejects.toThrow();
    }
    await new Promise((r) => setImmediate(r));
    expect(udpSockets()).toBe(before);
  });

  it('refuses a bandwidth test larger than the cap, naming the cap', async () => {
    await expect(
      runChecks(oneNode({ DERPPort: plain.port, STUNPort: -1 }), { scheme: 'http', bandwidthBytes: 65 * 2 ** 20 }),
    ).rejects.toThrow(
      `bandwidth test of ${65 * 2 ** 20} bytes refused: the most is ${64 * 2 ** 20} bytes (64 MiB) per node`,
    );
  });
});
