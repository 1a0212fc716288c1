/**
 * `derpdesk relay -workers 2` in a region with a single-process peer (derper's -mesh-with and -mesh-psk-file):
 * the peer's watch connection lands on one worker, yet it hears of the clients of both, reaches each of them, and
 * hears PeerGone when one leaves; each worker dials the peer itself to reach the peer's clients.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DerpClient } from '../../electron/derp/client.js';
import { eventually, startRelay, type TestRelay } from '../helpers/relay.js';
import { freePort } from '../helpers/pebble.js';
import { deliver, inbox, startWorkersRelay, type WorkersRelay } from './workers-fixture.js';

const MESH_KEY = 'ab'.repeat(32);
const dir = mkdtempSync(path.join(os.tmpdir(), 'derpdesk-workers-mesh-'));
let peer: TestRelay;
let relay: WorkersRelay;
const open: DerpClient[] = [];

beforeAll(async () => {
  const port = await freePort();
  const keyFile = path.join(dir, 'mesh.key');
  writeFileSync(keyFile, `${MESH_KEY}\n`, { mode: 0o600 });
  // The peer dials the workers' shared port, which is not up yet: its link retries until it is.
  peer = await startRelay({ meshKey: MESH_KEY, meshWith: [`http://127.0.0.1:${port}/derp`] });
  relay = await startWorkersRelay(2, ['-mesh-psk-file', keyFile, '-mesh-with', peer.url], dir, `127.0.0.1:${port}`);
  // Until the peer's link is in, its connection could be taken for a client's when telling workers apart.
  await eventually(() => peer.service.derp.stats().gauges.meshLinks === 1, 15_000, "the peer's link");
}, 40_000);

afterAll(async () => {
  for (const c of open) c.close();
  if (relay) expect(await relay.stop()).toBe(0);
  await peer?.stop();
  rmSync(dir, { recursive: true, force: true });
}, 30_000);

async function clientOn(worker: number): Promise<DerpClient> {
  const c = await relay.landOn(
    worker,
    () => DerpClient.connect({ url: relay.url }),
    (x) => x.close(),
  );
  open.push(c);
  return c;
}

describe('-workers 2 with a region mesh peer', () => {
  it("relays both ways between the peer's client and each worker's, and the peer hears PeerGone", async () => {
    const x = await DerpClient.connect({ url: peer.url });
    open.push(x);
    const [c0, c1] = [await clientOn(0), await clientOn(1)];
    // The peer watches one worker only: exactly one worker has a watcher that is not another worker.
    await eventually(
      async () => {
        const w = await Promise.all([0, 1].map((i) => relay.workerVarz(i).then((v) => v.get('derp_watchers'))));
        return w[0]! + w[1]! === 1;
      },
      10_000,
      "the peer's watch connection",
    );
    const [boxX, box0, box1] = [inbox(x), inbox(c0), inbox(c1)];
    await deliver(x, c0, box0, 'peer to worker 1', 8000);
    await deliver(x, c1, box1, 'peer to worker 2', 8000);
    await deliver(c0, x, boxX, 'worker 1 to peer', 8000);
    await deliver(c1, x, boxX, 'worker 2 to peer', 8000);
    // The peer knows our two clients and not the workers' links to each other.
    await eventually(() => peer.service.derp.stats().gauges.clientsRemote === 2, 5000, 'two remote clients');
    expect(peer.service.derp.stats().gauges.clientsRemote).toBe(2);
    // The relay's own count: the peer's one client once, though both workers route to it; locally our two clients
    // and the peer's link (a client of this relay, as in derper).
    const varz = await relay.varz();
    expect([varz.get('derp_clients_remote'), varz.get('derp_clients_local'), varz.get('derp_clients_total')]).toEqual([
      1, 3, 4,
    ]);

    const gone = new Set<string>();
    x.on('peerGone', (key) => gone.add(key.toString('hex')));
    c0.close();
    c1.close();
    await eventually(
      () => gone.has(c0.publicKey.toString('hex')) && gone.has(c1.publicKey.toString('hex')),
      5000,
      'PeerGone for both',
    );
    await eventually(() => peer.service.derp.stats().gauges.clientsRemote === 0, 5000, 'no remote clients');
  }, 60_000);
});
