/**
 * A DERP map of real relays on loopback, each node broken in its own way and fixable: region "mesh" has two TLS
 * relays meshed with each other (healthy), "down" one relay that is stopped, "nostun" one whose STUN server is off,
 * "expired" one that serves an expired certificate. Every certificate is self-signed and pinned in the map
 * (CertName sha256-raw:…), as private DERP maps do.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { createHash, webcrypto } from 'node:crypto';
import dgram from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { loadOrCreateSelfSigned } from '../../electron/relay/selfsigned.js';
import { StunServer } from '../../electron/stun/server.js';
import type { DerpMap, DerpNode } from '../../shared/derpmap/model.js';
import { eventually, startRelay, type TestRelay } from '../helpers/relay.js';

const MESH_KEY = 'ab'.repeat(32);

interface Cert {
  certFile: string;
  keyFile: string;
  pin: string;
}

async function freePort(kind: 'tcp' | 'udp'): Promise<number> {
  if (kind === 'udp') {
    const s = dgram.createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
    const port = s.address().port;
    await new Promise<void>((r) => s.close(() => r()));
    return port;
  }
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function expiredCert(dir: string): Promise<Cert> {
  x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const day = 86_400_000;
  const c = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '02',
    name: 'CN=127.0.0.1',
    notBefore: new Date(Date.now() - 30 * day),
    notAfter: new Date(Date.now() - day),
    signingAlgorithm: alg,
    keys: keys as never,
    extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'ip', value: '127.0.0.1' }])],
  });
  const pk = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)).toString('base64');
  const certFile = path.join(dir, 'expired.crt');
  const keyFile = path.join(dir, 'expired.key');
  writeFileSync(certFile, c.toString('pem'));
  writeFileSync(keyFile, `-----BEGIN PRIVATE KEY-----\n${pk}\n-----END PRIVATE KEY-----\n`);
  return { certFile, keyFile, pin: `sha256-raw:${createHash('sha256').update(Buffer.from(c.rawData)).digest('hex')}` };
}

async function startStun(port = 0): Promise<{ server: StunServer; port: number }> {
  const server = new StunServer();
  await server.start([{ host: '127.0.0.1', port }]);
  return { server, port: server.addresses()[0].port };
}

export interface Lab {
  dir: string;
  /** The map file the monitor reads (JSON); rewritten when a fix changes the map. */
  mapFile: string;
  map(): DerpMap;
  /** Brings the stopped relay back, turns the missing STUN server on, and replaces the expired certificate. */
  fix(): Promise<void>;
  close(): Promise<void>;
}

export async function startLab(): Promise<Lab> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'derpdesk-monitor-'));
  const good = await loadOrCreateSelfSigned(path.join(dir, 'certs'), '127.0.0.1');
  const goodCert: Cert = { certFile: good.certFile, keyFile: good.keyFile, pin: good.certName };
  const tls = (c: Cert) => ({ tls: { certFile: c.certFile, keyFile: c.keyFile } });
  const relays: TestRelay[] = [];
  const stuns: StunServer[] = [];

  const [pa1, pa2] = [await freePort('tcp'), await freePort('tcp')];
  const meshUrl = (p: number) => `https://127.0.0.1:${p}/derp`;
  const meshed = (own: number, peer: number) =>
    startRelay({
      addr: `127.0.0.1:${own}`,
      ...tls(goodCert),
      meshKey: MESH_KEY,
      meshWith: [meshUrl(peer)],
      meshCa: readFileSync(good.certFile),
    });
  const a1 = await meshed(pa1, pa2);
  const a2 = await meshed(pa2, pa1);
  relays.push(a1, a2);
  await eventually(() => [a1, a2].every((r) => r.service.derp.stats().gauges.meshLinks === 1), 10_000, 'mesh up');
  const sa1 = await startStun();
  const sa2 = await startStun();
  const b1 = await startRelay(tls(goodCert));
  const sb1 = await startStun();
  const c1 = await startRelay(tls(goodCert));
  const cStunPort = await freePort('udp');
  const expired = await expiredCert(dir);
  let d1 = await startRelay(tls(expired));
  stuns.push(sa1.server, sa2.server);
  relays.push(c1);
  // b1 is down from the start: its relay and STUN server stop before the monitor first looks.
  const bPort = b1.port;
  await b1.stop();
  await sb1.server.stop();
  let dPin = expired.pin;

  const node = (name: string, regionId: number, port: number, stunPort: number, pin = goodCert.pin): DerpNode => ({
    Name: name,
    RegionID: regionId,
    HostName: '127.0.0.1',
    DERPPort: port,
    STUNPort: stunPort,
    CertName: pin,
  });
  const region = (id: number, code: string, nodes: DerpNode[]) => ({
    RegionID: id,
    RegionCode: code,
    RegionName: code,
    Nodes: nodes,
  });
  const map = (): DerpMap => ({
    Regions: {
      '901': region(901, 'mesh', [node('901a', 901, pa1, sa1.port), node('901b', 901, pa2, sa2.port)]),
      '902': region(902, 'down', [node('902a', 902, bPort, sb1.port)]),
      '903': region(903, 'nostun', [node('903a', 903, c1.port, cStunPort)]),
      '904': region(904, 'expired', [node('904a', 904, d1.port, sa1.port, dPin)]),
    },
  });
  const mapFile = path.join(dir, 'derpmap.json');
  const write = () => writeFileSync(mapFile, JSON.stringify(map(), null, 2));
  write();

  return {
    dir,
    mapFile,
    map,
    async fix() {
      relays.push(await startRelay({ addr: `127.0.0.1:${bPort}`, ...tls(goodCert) }));
      stuns.push((await startStun(sb1.port)).server, (await startStun(cStunPort)).server);
      const dPort = d1.port;
      await d1.stop();
      d1 = await startRelay({ addr: `127.0.0.1:${dPort}`, ...tls(goodCert) });
      dPin = goodCert.pin;
      write();
    },
    async close() {
      await Promise.all([...relays, d1].map((r) => r.stop().catch(() => {})));
      await Promise.all(stuns.map((s) => s.stop()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
