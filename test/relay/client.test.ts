/** derpdesk's DERP client against the relay, over every transport, plus the steady-state features. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DerpClient } from '../../electron/derp/client.js';
import { PeerPresentFlags } from '../../electron/derp/frames.js';
import { eventually, startRelay, type TestRelay } from '../helpers/relay.js';

const MESH_KEY = 'ab'.repeat(32);
let relay: TestRelay;
beforeAll(async () => {
  relay = await startRelay({ meshKey: MESH_KEY });
});
afterAll(async () => {
  await relay.stop();
});

function inbox(c: DerpClient): Array<{ src: string; data: string }> {
  const got: Array<{ src: string; data: string }> = [];
  c.onPacket = (src, data) => void got.push({ src: src.toString('hex'), data: data.toString() });
  return got;
}

describe('DerpClient', () => {
  it('exchanges packets over HTTP upgrade, fast start and WebSocket in every direction', async () => {
    const clients = await Promise.all([
      DerpClient.connect({ url: relay.url }),
      DerpClient.connect({ url: relay.url, fastStart: true }),
      DerpClient.connect({ url: relay.url, websocket: true }),
    ]);
    const boxes = clients.map(inbox);
    expect(clients[0].upgradeHeaderKey).toBe(relay.service.derp.publicKey.toString('hex'));
    for (const c of clients) expect(c.serverPublicKey).toEqual(relay.service.derp.publicKey);
    for (const [i, from] of clients.entries()) {
      for (const [j, to] of clients.entries()) if (i !== j) from.send(to.publicKey, Buffer.from(`${i}->${j}`));
    }
    await eventually(() => boxes.every((b) => b.length === 2), 3000, 'all packets');
    for (const [j, b] of boxes.entries()) {
      expect(b.map((m) => m.data).sort()).toEqual([0, 1, 2].filter((i) => i !== j).map((i) => `${i}->${j}`));
    }
    expect(
      relay.service.derp
        .peers()
        .map((p) => p.transport)
        .sort(),
    ).toEqual(['tcp', 'tcp', 'websocket']);
    for (const c of clients) c.close();
    await eventually(() => relay.service.derp.peers().length === 0, 2000, 'peers gone');
  });

  it('measures Ping round trips and records NotePreferred as a home client', async () => {
    const c = await DerpClient.connect({ url: relay.url });
    const rtt = await c.ping();
    expect(rtt).toBeGreaterThan(0);
    expect(rtt).toBeLessThan(1000);
    c.notePreferred(true);
    await eventually(() => relay.service.derp.stats().gauges.currentHomeConnections === 1, 2000, 'home count');
    expect(relay.service.derp.peers()[0].preferred).toBe(true);
    c.notePreferred(false);
    await eventually(() => relay.service.derp.stats().gauges.currentHomeConnections === 0, 2000, 'home count back');
    c.close();
  });

  it('counts bytes and packets per peer and per server', async () => {
    const a = await DerpClient.connect({ url: relay.url });
    const b = await DerpClient.connect({ url: relay.url });
    const got = inbox(b);
    const before = relay.service.derp.stats().counters;
    for (let i = 0; i < 10; i++) a.send(b.publicKey, Buffer.alloc(100, i));
    await eventually(() => got.length === 10, 2000, 'ten packets');
    const after = relay.service.derp.stats().counters;
    expect(after.packetsReceived - before.packetsReceived).toBe(10);
    expect(after.bytesReceived - before.bytesReceived).toBe(1000);
    expect(after.packetsSent - before.packetsSent).toBe(10);
    const pa = relay.service.derp.peers().find((p) => p.key.endsWith(a.publicKey.toString('hex')))!;
    const pb = relay.service.derp.peers().find((p) => p.key.endsWith(b.publicKey.toString('hex')))!;
    expect([pa.packetsIn, pa.bytesIn, pb.packetsOut, pb.bytesOut]).toEqual([10, 1000, 10, 1000]);
    a.close();
    b.close();
  });

  it('gives mesh watchers PeerPresent for current and new clients and PeerGone when they leave', async () => {
    const a = await DerpClient.connect({ url: relay.url });
    const watcher = await DerpClient.connect({ url: relay.url, meshKey: MESH_KEY });
    const present: string[] = [];
    const gone: string[] = [];
    let aPresent: { ip: string; flags: number } | undefined;
    watcher.on('peerPresent', (p) => {
      present.push(p.key.toString('hex'));
      if (p.key.equals(a.publicKey)) aPresent = { ip: p.ip, flags: p.flags };
    });
    watcher.on('peerGone', (k) => gone.push(k.toString('hex')));
    watcher.watchConns();
    await eventually(() => present.includes(a.publicKey.toString('hex')), 2000, 'a present');
    // Asserted here, not in the listener, where a failed expect would be thrown into the client's event loop.
    expect(aPresent).toEqual({ ip: '127.0.0.1', flags: PeerPresentFlags.IsRegular });
    const b = await DerpClient.connect({ url: relay.url });
    await eventually(() => present.includes(b.publicKey.toString('hex')), 2000, 'b present');
    b.close();
    await eventually(() => gone.includes(b.publicKey.toString('hex')), 2000, 'b gone');
    expect(relay.service.derp.peers().find((p) => p.isMeshPeer)?.key).toBe(
      `nodekey:${watcher.publicKey.toString('hex')}`,
    );
    a.close();
    watcher.close();
  });

  it('delivers ForwardPacket from a mesh peer with the original source, and honours ClosePeer', async () => {
    const mesh = await DerpClient.connect({ url: relay.url, meshKey: MESH_KEY });
    const dst = await DerpClient.connect({ url: relay.url });
    const got = inbox(dst);
    const remoteSrc = Buffer.alloc(32, 0x5a);
    mesh.forwardPacket(remoteSrc, dst.publicKey, Buffer.from('via-mesh'));
    await eventually(() => got.length === 1, 2000, 'forwarded packet');
    expect(got[0]).toEqual({ src: remoteSrc.toString('hex'), data: 'via-mesh' });
    expect(relay.service.derp.stats().counters.packetsForwardedIn).toBeGreaterThanOrEqual(1);
    const closed = new Promise((r) => dst.once('close', r));
    mesh.closePeer(dst.publicKey);
    await closed;
    mesh.close();
  });

  it('refuses ForwardPacket from an ordinary client', async () => {
    const c = await DerpClient.connect({ url: relay.url });
    const closed = new Promise((r) => c.once('close', r));
    c.forwardPacket(Buffer.alloc(32, 1), Buffer.alloc(32, 2), Buffer.from('x'));
    await closed;
    expect(relay.logs.some((l) => l.includes('ForwardPacket from a client without the mesh key'))).toBe(true);
  });
});

describe('graceful stop', () => {
  it('sends Restarting to connected clients, then closes them and the listener', async () => {
    const r = await startRelay();
    const c = await DerpClient.connect({ url: r.url });
    const restarting = new Promise<[number, number]>((resolve) => c.once('restarting', (a, b) => resolve([a, b])));
    const closed = new Promise((resolve) => c.once('close', resolve));
    await r.service.stop({ reconnectInMs: 1500, tryForMs: 20000 });
    expect(await restarting).toEqual([1500, 20000]);
    await closed;
    await expect(DerpClient.connect({ url: r.url, timeoutMs: 1000 })).rejects.toThrow(/ECONNREFUSED/);
    await r.stop();
  });
});
