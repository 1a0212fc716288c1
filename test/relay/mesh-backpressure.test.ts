/**
 * A mesh peer that stops reading must not grow this relay's memory: forwarded packets beyond the link's buffer
 * are dropped and counted, and a link that stays full for the mesh write timeout is cut and redialled.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DerpClient } from '../../electron/derp/client.js';
import { MAX_PACKET_SIZE } from '../../electron/derp/frames.js';
import { MESH_QUEUE_BYTES } from '../../electron/relay/mesh.js';
import { eventually, startRelay, type TestRelay } from '../helpers/relay.js';

const MESH_KEY = 'ab'.repeat(32);
const MESH_WRITE_TIMEOUT_MS = 800;

/** A TCP proxy to `port` that can stop reading from the connections it has (a peer that stopped reading). */
async function stallableProxy(port: number) {
  const inbound: net.Socket[] = [];
  const server = net.createServer((client) => {
    const upstream = net.connect({ port, host: '127.0.0.1' });
    inbound.push(client);
    client.pipe(upstream);
    upstream.pipe(client);
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    stallExisting: () => {
      for (const s of inbound) {
        s.unpipe();
        s.pause();
      }
    },
    close: () => {
      for (const s of inbound) s.destroy();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

let peer: TestRelay;
let relay: TestRelay;
let proxy: Awaited<ReturnType<typeof stallableProxy>>;

beforeAll(async () => {
  peer = await startRelay({ meshKey: MESH_KEY });
  proxy = await stallableProxy(peer.port);
  relay = await startRelay({
    meshKey: MESH_KEY,
    meshWith: [`http://127.0.0.1:${proxy.port}/derp`],
    timing: { meshWriteTimeoutMs: MESH_WRITE_TIMEOUT_MS },
  });
  await eventually(() => relay.service.derp.stats().gauges.meshLinks === 1, 5000, 'mesh link up');
});
afterAll(async () => {
  await relay.stop();
  await proxy.close();
  await peer.stop();
});

describe('mesh link to a peer that stops reading', () => {
  it('drops beyond its buffer, cuts the link after the write timeout, and redials', async () => {
    const there = await DerpClient.connect({ url: peer.url });
    const here = await DerpClient.connect({ url: relay.url });
    let arrived = 0;
    there.onPacket = () => void arrived++;
    await eventually(
      () => relay.service.derp.stats().gauges.clientsRemote === 1,
      5000,
      'the remote client to be known',
    );
    here.send(there.publicKey, Buffer.from('before'));
    await eventually(() => arrived === 1, 3000, 'a forwarded packet');

    proxy.stallExisting();
    const payload = Buffer.alloc(MAX_PACKET_SIZE - 100, 0x42);
    const total = 8 * Math.ceil(MESH_QUEUE_BYTES / payload.length) + 200;
    for (let i = 0; i < total; i++) {
      here.send(there.publicKey, payload);
      if (here.bufferedBytes > 1 << 20) await new Promise<void>((r) => here.once('drain', () => r()));
    }
    const accepted = () => relay.service.mesh[0].status().forwardedOut - 1;
    const dropped = () => relay.service.derp.stats().counters.dropped.queue_tail.other.packets;
    // On a loaded machine the write timeout can cut the link before the last packets are routed: those are
    // dropped as gone_disconnected (link closing) or unknown_dest (route gone), still counted.
    const droppedAfterCut = () => {
      const d = relay.service.derp.stats().counters.dropped;
      return d.gone_disconnected.other.packets + d.unknown_dest.other.packets;
    };
    await eventually(
      () => accepted() + dropped() + droppedAfterCut() === total,
      5000,
      'every packet forwarded or dropped',
    );
    // The link's own buffer plus what the kernel's socket buffers hold on loopback (a few MB each way).
    expect(accepted() * payload.length).toBeLessThan(MESH_QUEUE_BYTES + (16 << 20));
    expect(dropped()).toBeGreaterThan(0);
    expect(dropped() + droppedAfterCut()).toBeGreaterThan(total / 2);

    await eventually(
      () => relay.service.derp.stats().counters.writeTimeouts >= 1,
      MESH_WRITE_TIMEOUT_MS * 4,
      'the mesh write timeout',
    );
    expect(relay.logs.some((l) => /mesh: link to .* down \(write timeout/.test(l))).toBe(true);
    await eventually(
      () => relay.service.mesh[0].status().state === 'up' && relay.service.derp.stats().gauges.clientsRemote === 1,
      5000,
      'the link to be redialled',
    );
    const before = arrived;
    here.send(there.publicKey, Buffer.from('after'));
    await eventually(() => arrived > before, 3000, 'forwarding after the redial');
    here.close();
    there.close();
  });
});
