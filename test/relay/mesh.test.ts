/**
 * Three relays on loopback meshed with one key, as derper regions are: clients on different relays reach each
 * other in every direction through ForwardPacket, and a relay that dies takes its clients with it.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DerpClient } from '../../electron/derp/client.js';
import { eventually, startRelay, type TestRelay } from '../helpers/relay.js';

const MESH_KEY = 'ee'.repeat(32);

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

let relays: TestRelay[] = [];
let clients: DerpClient[] = [];
const inbox: string[][] = [[], [], []];

beforeAll(async () => {
  const ports = [await freePort(), await freePort(), await freePort()];
  const urls = ports.map((p) => `http://127.0.0.1:${p}/derp`);
  relays = await Promise.all(
    ports.map((p, i) =>
      startRelay({ addr: `127.0.0.1:${p}`, meshKey: MESH_KEY, meshWith: urls.filter((_, j) => j !== i) }),
    ),
  );
  await eventually(() => relays.every((r) => r.service.derp.stats().gauges.meshLinks === 2), 5000, 'full mesh');
  clients = await Promise.all(relays.map((r) => DerpClient.connect({ url: r.url })));
  clients.forEach(
    (c, i) => (c.onPacket = (src, p) => void inbox[i].push(`${src.toString('hex').slice(0, 8)}:${p.toString()}`)),
  );
  await eventually(
    () => relays.every((r) => r.service.derp.stats().gauges.clientsRemote === 2),
    5000,
    'remote clients known',
  );
});
afterAll(async () => {
  for (const c of clients) c.close();
  await Promise.all(relays.map((r) => r.stop().catch(() => {})));
});

describe('mesh of three relays', () => {
  it('delivers packets between clients on different relays in every direction', async () => {
    for (const [i, from] of clients.entries()) {
      for (const [j, to] of clients.entries()) if (i !== j) from.send(to.publicKey, Buffer.from(`${i}->${j}`));
    }
    await eventually(() => inbox.every((b) => b.length === 2), 5000, 'all six packets');
    for (const [j, box] of inbox.entries()) {
      const expected = [0, 1, 2]
        .filter((i) => i !== j)
        .map((i) => `${clients[i].publicKey.toString('hex').slice(0, 8)}:${i}->${j}`);
      expect(box.sort()).toEqual(expected.sort());
    }
    const c = relays[0].service.derp.stats().counters;
    expect(c.packetsForwardedOut).toBe(2);
    expect(c.packetsForwardedIn).toBe(2);
  });

  it('forgets the clients of a relay that dies, and tells their correspondents they are gone', async () => {
    const gone: string[] = [];
    clients[0].on('peerGone', (k) => gone.push(k.toString('hex')));
    await relays[2].service.stop(null);
    await eventually(() => relays[0].service.derp.stats().gauges.clientsRemote === 1, 5000, 'relay 0 forgets client 2');
    await eventually(() => relays[1].service.derp.stats().gauges.clientsRemote === 1, 5000, 'relay 1 forgets client 2');
    // Client 0 had received from client 2, so it hears PeerGone for it.
    await eventually(() => gone.includes(clients[2].publicKey.toString('hex')), 5000, 'PeerGone for client 2');
    const links = relays[0].service.mesh.map((l) => l.status());
    expect(links.filter((l) => l.state === 'up').length).toBe(1);
    expect(links.find((l) => l.state !== 'up')!.lastError).toBeTruthy();
    // The survivors still talk.
    clients[1].send(clients[0].publicKey, Buffer.from('still here'));
    await eventually(() => inbox[0].some((m) => m.endsWith(':still here')), 3000, 'packet after the loss');
  });
});
