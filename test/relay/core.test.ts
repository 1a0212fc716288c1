/**
 * The relay core without sockets: DerpServer and ClientConnection over FakeTransport, with a hand-moved clock.
 * Flushes happen once per event-loop turn, so tests await `nextTurn()` where the server would write.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DISCO_MAGIC_BYTES } from '../../electron/derp/disco.js';
import { FrameType, KEY_LEN, PeerGoneReason, encodeFrame } from '../../electron/derp/frames.js';
import { generateKeyPair } from '../../electron/derp/keys.js';
import { WRITE_HIGH_WATER } from '../../electron/relay/connection.js';
import { FakeTransport, fakeRelay, nextTurn, type FakeRelay } from './fake-transport.js';

/** Magic, sender disco key and nonce (62 bytes), then `text`: what the relay recognises as disco. */
const DISCO_HEADER = Buffer.concat([DISCO_MAGIC_BYTES, Buffer.alloc(32 + 24)]);
const disco = (text: string) => Buffer.concat([DISCO_HEADER, Buffer.from(text)]);
const MESH_KEY = 'ab'.repeat(32);

let relay: FakeRelay;
afterEach(async () => {
  await relay?.server.close(null, 0);
});

describe('duplicate connections for one key', () => {
  it('routes to the newest, then to whichever duplicate last sent, and collapses when one leaves', async () => {
    relay = fakeRelay();
    const alice = await relay.connect();
    const keyPair = generateKeyPair();
    const older = await relay.connect({ keyPair });
    const newer = await relay.connect({ keyPair });
    const { gauges, counters } = relay.server.stats();
    expect(gauges.dupClientKeys).toBe(1);
    expect(gauges.dupClientConns).toBe(2);
    expect(counters.dupClientConnTotal).toBe(1);

    alice.send(keyPair.publicKey, Buffer.from('one'));
    await nextTurn();
    expect(newer.packets().map((p) => p.text)).toEqual(['one']);
    expect(older.packets()).toEqual([]);

    older.ping();
    alice.send(keyPair.publicKey, Buffer.from('two'));
    await nextTurn();
    expect(older.packets().map((p) => p.text)).toEqual(['two']);
    expect(newer.packets()).toEqual([]);
    const inactive = relay.server
      .peers()
      .filter((p) => p.inactiveDuplicate)
      .map((p) => p.id);
    expect(inactive).toEqual([newer.conn.id]);

    await older.close();
    const after = relay.server.stats().gauges;
    expect(after.dupClientKeys).toBe(0);
    expect(after.dupClientConns).toBe(0);
    expect(after.clientsLocal).toBe(2);
    expect(newer.conn.isDup).toBe(false);
    alice.send(keyPair.publicKey, Buffer.from('three'));
    await nextTurn();
    expect(newer.packets().map((p) => p.text)).toEqual(['three']);
  });
});

describe('PeerGone', () => {
  it('tells exactly the clients that received from a leaving key, once', async () => {
    relay = fakeRelay();
    const alice = await relay.connect();
    const bob = await relay.connect();
    const carol = await relay.connect();
    alice.send(bob.key, Buffer.from('a'));
    alice.send(bob.key, Buffer.from('b'));
    await nextTurn();
    expect(bob.packets().map((p) => p.src.equals(alice.key))).toEqual([true, true]);

    await alice.close();
    await nextTurn();
    const gone = bob.frames().filter((f) => f.type === FrameType.PeerGone);
    expect(gone).toHaveLength(1);
    expect(gone[0].payload.subarray(0, KEY_LEN).equals(alice.key)).toBe(true);
    expect(gone[0].payload[KEY_LEN]).toBe(PeerGoneReason.Disconnected);
    expect(carol.frames()).toEqual([]);
    expect(relay.server.stats().counters.peerGoneDisconnectedFrames).toBe(1);
  });

  it('answers disco packets to an unknown key with "not here", three at once and one more per second', async () => {
    relay = fakeRelay();
    const alice = await relay.connect();
    const nobody = generateKeyPair().publicKey;
    for (let i = 0; i < 5; i++) alice.send(nobody, disco(`probe ${i}`));
    alice.send(nobody, Buffer.from('not disco'));
    await nextTurn();
    const notHere = () =>
      alice.frames().filter((f) => f.type === FrameType.PeerGone && f.payload[KEY_LEN] === PeerGoneReason.NotHere);
    const first = notHere();
    expect(first).toHaveLength(3);
    expect(first.every((f) => f.payload.subarray(0, KEY_LEN).equals(nobody))).toBe(true);

    relay.clock.advance(1_000);
    alice.send(nobody, disco('later'));
    alice.send(nobody, disco('too soon'));
    await nextTurn();
    expect(notHere()).toHaveLength(1);

    const c = relay.server.stats().counters;
    expect(c.peerGoneNotHereFrames).toBe(4);
    expect(c.dropped.unknown_dest.disco.packets).toBe(7);
    expect(c.dropped.unknown_dest.other.packets).toBe(1);
    // Charged to the sender: the destination does not exist.
    expect(alice.conn.dropsUnknownDest).toBe(8);
  });
});

describe('send queues', () => {
  it('keeps at most sendQueueDepth packets per ring for a stalled receiver, drops the oldest and counts them', async () => {
    relay = fakeRelay({ sendQueueDepth: 4 });
    const alice = await relay.connect();
    const bob = await relay.connect();
    bob.transport.bufferedBytes = WRITE_HIGH_WATER;
    for (let i = 0; i < 10; i++) alice.send(bob.key, Buffer.from(`p${i}`));
    for (let i = 0; i < 6; i++) alice.send(bob.key, disco(`d${i}`));
    await nextTurn();
    expect(bob.packets()).toEqual([]);
    expect(bob.conn.queuedFrames).toBe(8);
    expect(bob.conn.dropsQueueFull).toBe(6 + 2);
    expect(alice.conn.dropsUnknownDest).toBe(0);
    const dropped = relay.server.stats().counters.dropped.queue_head;
    expect(dropped.other).toEqual({ packets: 6, bytes: 6 * 2 });
    expect(dropped.disco).toEqual({ packets: 2, bytes: 2 * (DISCO_HEADER.length + 2) });

    bob.transport.drain();
    const got = bob.packets().map((p) => p.text.slice(-2));
    // Disco first (it sets up direct paths), then the freshest ordinary packets, each in order.
    expect(got).toEqual(['d2', 'd3', 'd4', 'd5', 'p6', 'p7', 'p8', 'p9']);
    expect(bob.conn.queuedFrames).toBe(0);
    expect(bob.conn.packetsOut).toBe(8);
    expect(relay.server.stats().counters.packetsSent).toBe(8);
  });

  it('cuts a receiver that reads nothing for writeTimeoutMs and counts what it still had queued', async () => {
    relay = fakeRelay({ writeTimeoutMs: 2_000 });
    const alice = await relay.connect();
    const bob = await relay.connect();
    bob.transport.bufferedBytes = WRITE_HIGH_WATER;
    alice.send(bob.key, Buffer.from('stuck'));
    await nextTurn();
    relay.clock.advance(2_000);
    relay.server.tick();
    expect(bob.transport.destroyed).toBe(false);
    relay.clock.advance(1);
    relay.server.tick();
    expect(bob.transport.destroyed).toBe(true);
    await bob.transport.closed();
    const c = relay.server.stats().counters;
    expect(c.writeTimeouts).toBe(1);
    expect(c.dropped.gone_disconnected.other).toEqual({ packets: 1, bytes: 5 });
    expect(bob.conn.dropsWriteTimeout).toBe(1);
  });

  it('stops answering pings beyond eight unanswered Pongs', async () => {
    relay = fakeRelay();
    const alice = await relay.connect();
    alice.transport.bufferedBytes = WRITE_HIGH_WATER;
    for (let i = 0; i < 12; i++) alice.ping(Buffer.alloc(8, i));
    await nextTurn();
    alice.transport.drain();
    const pongs = alice.frames().filter((f) => f.type === FrameType.Pong);
    expect(pongs.map((f) => f.payload[0])).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    const c = relay.server.stats().counters;
    expect([c.gotPing, c.sentPong]).toEqual([12, 8]);
  });
});

describe('timers on the injected clock', () => {
  it('closes a connection that sends no ClientInfo within the handshake timeout', async () => {
    relay = fakeRelay({ handshakeTimeoutMs: 5_000 });
    const transport = new FakeTransport();
    relay.server.accept(transport);
    relay.clock.advance(5_000);
    relay.server.tick();
    expect(transport.destroyed).toBe(false);
    relay.clock.advance(1);
    relay.server.tick();
    expect(transport.destroyed).toBe(true);
    await transport.closed();
    expect(relay.server.stats().counters.handshakeFailures).toBe(1);
    expect(relay.server.connectionCount).toBe(0);
  });

  it('sends KeepAlive once the keep-alive interval (plus jitter) has passed', async () => {
    relay = fakeRelay({ keepAliveMs: 60_000 });
    const alice = await relay.connect();
    relay.clock.advance(59_999);
    relay.server.tick();
    await nextTurn();
    expect(alice.transport.takeFrames()).toEqual([]);
    relay.clock.advance(5_001 + 1);
    relay.server.tick();
    await nextTurn();
    expect(alice.transport.takeFrames().map((f) => f.type)).toEqual([FrameType.KeepAlive]);
  });
});

describe('forwarded packets', () => {
  it("delivers a mesh peer's ForwardPacket under the original sender's key and never forwards it again", async () => {
    relay = fakeRelay({ meshKey: MESH_KEY });
    const peer = await relay.connect({ info: { meshKey: MESH_KEY } });
    const bob = await relay.connect();
    const remote = generateKeyPair().publicKey;
    peer.transport.receive(encodeFrame(FrameType.ForwardPacket, remote, bob.key, Buffer.from('via mesh')));
    peer.transport.receive(
      encodeFrame(FrameType.ForwardPacket, remote, generateKeyPair().publicKey, Buffer.from('lost')),
    );
    await nextTurn();
    const got = bob.packets();
    expect(got.map((p) => [p.src.equals(remote), p.text])).toEqual([[true, 'via mesh']]);
    const c = relay.server.stats().counters;
    expect(c.packetsForwardedIn).toBe(2);
    expect(c.packetsReceived).toBe(0);
    expect(c.dropped.unknown_dest_on_fwd.other.packets).toBe(1);
    expect(peer.conn.packetsIn).toBe(2);
  });

  it('refuses ForwardPacket from a client without the mesh key', async () => {
    relay = fakeRelay({ meshKey: MESH_KEY });
    const mallory = await relay.connect();
    const bob = await relay.connect();
    mallory.transport.receive(
      encodeFrame(FrameType.ForwardPacket, generateKeyPair().publicKey, bob.key, Buffer.from('forged')),
    );
    expect(mallory.transport.destroyed).toBe(true);
    await nextTurn();
    expect(bob.packets()).toEqual([]);
  });
});
