/**
 * Hostile and broken clients: each is closed (or ignored) on its own, with a clear log line, while a pair of
 * well-behaved clients keeps exchanging packets through the same relay.
 */
import nacl from 'tweetnacl';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DerpClient } from '../../electron/derp/client.js';
import {
  RawPeer,
  eventually,
  frame,
  rawHandshake,
  sendPacketFrame,
  startRelay,
  type TestRelay,
} from '../helpers/relay.js';

let relay: TestRelay;
let alice: DerpClient;
let bob: DerpClient;
const bobGot: string[] = [];

beforeAll(async () => {
  relay = await startRelay({ timing: { handshakeTimeoutMs: 600, writeTimeoutMs: 800 } });
  alice = await DerpClient.connect({ url: relay.url });
  bob = await DerpClient.connect({ url: relay.url });
  bob.onPacket = (_src, p) => void bobGot.push(p.toString());
});
afterAll(async () => {
  alice.close();
  bob.close();
  await relay.stop();
});

/** The healthy pair still works: a fresh packet arrives. */
async function healthyPairStillWorks(tag: string): Promise<void> {
  alice.send(bob.publicKey, Buffer.from(tag));
  await eventually(() => bobGot.includes(tag), 2000, `packet ${tag}`);
}

async function upgraded(): Promise<RawPeer> {
  const p = await RawPeer.connect(relay.port);
  p.write('GET /derp HTTP/1.1\r\nHost: x\r\nUpgrade: DERP\r\nConnection: Upgrade\r\n\r\n');
  await p.readHttpHead();
  await p.take(45);
  return p;
}

describe('bad input harms only its own connection', () => {
  it('closes a connection whose ClientInfo is sealed to another server key, and logs why', async () => {
    const p = await upgraded();
    const kp = nacl.box.keyPair();
    const wrong = nacl.box.keyPair().publicKey;
    const nonce = nacl.randomBytes(24);
    p.write(
      frame(
        2,
        Buffer.concat([kp.publicKey, nonce, nacl.box(Buffer.from('{"version":2}'), nonce, wrong, kp.secretKey)]),
      ),
    );
    await p.waitClosed();
    expect(
      relay.logs.some((l) => l.includes('does not open') && l.includes(Buffer.from(kp.publicKey).toString('hex'))),
    ).toBe(true);
    await healthyPairStillWorks('after-wrong-key');
  });

  it('closes a connection that sends garbage instead of ClientInfo', async () => {
    const p = await upgraded();
    p.write(Buffer.from('GET / HTTP/1.1\r\n\r\n this is not DERP at all'));
    await p.waitClosed();
    await healthyPairStillWorks('after-garbage');
  });

  it('closes a connection announcing a ClientInfo over 256 KiB without reading it', async () => {
    const p = await upgraded();
    const head = Buffer.alloc(5);
    head[0] = 2;
    head.writeUInt32BE((256 << 10) + 1, 1);
    p.write(head);
    await p.waitClosed();
    await healthyPairStillWorks('after-huge-info');
  });

  it('closes a connection that sends ClientInfo with valid box but invalid JSON', async () => {
    const p = await upgraded();
    const kp = nacl.box.keyPair();
    const nonce = nacl.randomBytes(24);
    const serverKey = relay.service.derp.publicKey;
    p.write(
      frame(
        2,
        Buffer.concat([kp.publicKey, nonce, nacl.box(Buffer.from('{not json'), nonce, serverKey, kp.secretKey)]),
      ),
    );
    await p.waitClosed();
    expect(relay.logs.some((l) => l.includes('is not valid JSON'))).toBe(true);
  });

  it('closes a connection that connects and sends nothing, after the handshake deadline', async () => {
    const p = await upgraded();
    const t0 = Date.now();
    await p.waitClosed(4000);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(500);
    expect(relay.logs.some((l) => /no valid ClientInfo within|handshake: not done within/.test(l))).toBe(true);
    await healthyPairStillWorks('after-silent');
  });

  it('waits for the rest of a frame cut mid-way, without disturbing other clients', async () => {
    const a = await rawHandshake(relay.port);
    const f = sendPacketFrame(bob.publicKey, Buffer.from('truncated'));
    a.peer.write(f.subarray(0, 20));
    await healthyPairStillWorks('during-truncated');
    a.peer.write(f.subarray(20));
    await eventually(() => bobGot.includes('truncated'), 2000, 'completed frame');
    a.peer.socket.destroy();
  });

  it('closes a client sending a packet over 64 KiB', async () => {
    const a = await rawHandshake(relay.port);
    a.peer.write(sendPacketFrame(bob.publicKey, Buffer.alloc((64 << 10) + 1)));
    await a.peer.waitClosed();
    expect(relay.logs.some((l) => l.includes('exceeds the 65536-byte limit'))).toBe(true);
    await healthyPairStillWorks('after-oversize');
  });

  it('closes a client announcing a frame over the steady-state limit', async () => {
    const a = await rawHandshake(relay.port);
    const head = Buffer.alloc(5);
    head[0] = 0x7e;
    head.writeUInt32BE(10 << 20, 1);
    a.peer.write(head);
    await a.peer.waitClosed();
    await healthyPairStillWorks('after-giant-frame');
  });

  it('closes a client with a malformed NotePreferred or short Ping', async () => {
    const a = await rawHandshake(relay.port);
    a.peer.write(frame(7, Buffer.of(1, 1)));
    await a.peer.waitClosed();
    const b = await rawHandshake(relay.port);
    b.peer.write(frame(0x12, Buffer.alloc(4)));
    await b.peer.waitClosed();
    await healthyPairStillWorks('after-malformed-control');
  });

  it('survives random garbage after a valid handshake from many clients at once', async () => {
    const peers = await Promise.all(Array.from({ length: 8 }, () => rawHandshake(relay.port)));
    let seed = 42;
    const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
    for (const p of peers) p.peer.write(Buffer.from(Array.from({ length: 4096 }, () => rnd() & 0xff)));
    await healthyPairStillWorks('after-fuzz');
    for (const p of peers) p.peer.socket.destroy();
  });

  it('drops and counts packets for a client that never reads, holds at most its queue, and disconnects it after the write timeout', async () => {
    const stalled = await rawHandshake(relay.port);
    stalled.peer.socket.pause();
    const key = Buffer.from(stalled.publicKey).toString('hex');
    const droppedBefore = relay.service.derp.stats().counters.dropped.queue_head.other.packets;
    const payload = Buffer.alloc(16_000, 7);
    const offered = 2000;
    for (let i = 0; i < offered; i++) {
      alice.send(stalled.publicKey, payload);
      // Pace the sender so that the test measures the relay's buffering, not our client's.
      if (i % 50 === 49) await eventually(() => alice.bufferedBytes < 1 << 20, 2000, 'sender drains');
    }
    await healthyPairStillWorks('while-stalled');
    const peer = relay.service.derp.peers().find((p) => p.key.endsWith(key))!;
    const dropped = relay.service.derp.stats().counters.dropped.queue_head.other.packets - droppedBefore;
    expect(dropped).toBeGreaterThan(offered / 2);
    // Whatever was neither written to the socket nor dropped is what the relay holds: at most one queue.
    expect(offered - dropped - peer.packetsOut).toBeLessThanOrEqual(32);
    expect(peer.dropsBy.queueFull).toBe(dropped);
    expect(peer.drops).toBe(dropped);
    await eventually(
      () => stalled.peer.closed || relay.service.derp.stats().counters.writeTimeouts > 0,
      5000,
      'write timeout',
    );
    expect(relay.logs.some((l) => l.includes('write timeout'))).toBe(true);
    stalled.peer.socket.destroy();
  });

  it('delivers a burst far larger than its queue to a client that reads, without a drop', async () => {
    const droppedBefore = relay.service.derp.stats().counters.dropped.queue_head.other.packets;
    const rx = await DerpClient.connect({ url: relay.url });
    let got = 0;
    rx.onPacket = () => void got++;
    const tx = await rawHandshake(relay.port);
    // 2.4 MB in one write: the relay reads much of it in one event-loop turn, 32 frames' queue notwithstanding.
    const count = 2000;
    tx.peer.write(
      Buffer.concat(Array.from({ length: count }, () => sendPacketFrame(rx.publicKey, Buffer.alloc(1200, 3)))),
    );
    await eventually(
      () => got === count || relay.service.derp.stats().counters.dropped.queue_head.other.packets > droppedBefore,
      5000,
      'the burst',
    );
    expect(relay.service.derp.stats().counters.dropped.queue_head.other.packets - droppedBefore).toBe(0);
    expect(got).toBe(count);
    rx.close();
    tx.peer.socket.destroy();
  });
});

describe('duplicate connections for one key', () => {
  it('delivers to the newest connection, then to whichever duplicate last sent', async () => {
    const secretKey = nacl.box.keyPair().secretKey;
    const first = await rawHandshake(relay.port, { secretKey });
    const second = await rawHandshake(relay.port, { secretKey });
    const key = first.publicKey;
    const g = relay.service.derp.stats().gauges;
    expect(g.dupClientKeys).toBe(1);
    alice.send(key, Buffer.from('to-newest'));
    await second.peer.until((b) => b.includes(Buffer.from('to-newest')), 2000, 'newest gets it');
    // Had the relay routed 'to-newest' here too, it would have been written in that same turn, before this Pong.
    first.peer.write(frame(0x12, Buffer.alloc(8, 3)));
    await first.peer.until((b) => b.length >= 13, 2000, 'pong');
    expect(first.peer.buf.includes(Buffer.from('to-newest'))).toBe(false);
    first.peer.buf = Buffer.alloc(0);
    alice.send(key, Buffer.from('to-last-writer'));
    await first.peer.until((b) => b.includes(Buffer.from('to-last-writer')), 2000, 'last writer gets it');
    expect(second.peer.buf.includes(Buffer.from('to-last-writer'))).toBe(false);
    const peers = relay.service.derp.peers().filter((p) => p.key.endsWith(Buffer.from(key).toString('hex')));
    expect(peers.map((p) => p.inactiveDuplicate).sort()).toEqual([false, true]);

    first.peer.socket.destroy();
    await eventually(() => relay.service.derp.stats().gauges.dupClientKeys === 0, 2000, 'dup set collapses');
    alice.send(key, Buffer.from('to-survivor'));
    await second.peer.until((b) => b.includes(Buffer.from('to-survivor')), 2000, 'survivor gets it');
    second.peer.socket.destroy();
  });
});
