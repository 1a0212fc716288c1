/**
 * Every packet between clients on different workers crosses a mesh link, so the link must not cost a write
 * syscall per packet: the packets forwarded in one event-loop turn leave in one write, as a client's do.
 */
import net from 'node:net';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { DerpClient } from '../../electron/derp/client.js';
import { FrameType } from '../../electron/derp/frames.js';
import { eventually, startRelay, type TestRelay } from '../helpers/relay.js';

const MESH_KEY = 'cd'.repeat(32);
const PACKETS = 40;
const relays: TestRelay[] = [];
const clients: DerpClient[] = [];
afterAll(async () => {
  vi.restoreAllMocks();
  for (const c of clients) c.close();
  await Promise.all(relays.map((r) => r.stop()));
});

/** `_writev` gets Buffers, or `{ chunk }` entries when some writes were strings. */
type Chunk = Buffer | { chunk: Buffer };
const isForward = (c: Chunk) => (Buffer.isBuffer(c) ? c : c.chunk)[0] === FrameType.ForwardPacket;

describe('a mesh link under a burst', () => {
  it('writes the ForwardPackets of one turn with one write, not one per packet', async () => {
    const peer = await startRelay({ meshKey: MESH_KEY });
    const relay = await startRelay({ meshKey: MESH_KEY, meshWith: [peer.url] });
    relays.push(peer, relay);
    await eventually(() => relay.service.derp.stats().gauges.meshLinks === 1, 5000, 'mesh link up');
    const receiver = await DerpClient.connect({ url: peer.url });
    const sender = await DerpClient.connect({ url: relay.url });
    clients.push(receiver, sender);
    await eventually(() => relay.service.derp.stats().gauges.clientsRemote === 1, 5000, 'receiver known');
    let got = 0;
    receiver.onPacket = () => void got++;

    const proto = net.Socket.prototype as unknown as {
      _write: (chunk: unknown, ...rest: unknown[]) => void;
      _writev: (chunks: Chunk[], ...rest: unknown[]) => void;
    };
    const single = vi.spyOn(proto, '_write');
    const vector = vi.spyOn(proto, '_writev');
    // One read on the relay: the burst arrives as one chunk, so its packets are routed in one turn.
    sender.cork();
    for (let i = 0; i < PACKETS; i++) sender.send(receiver.publicKey, Buffer.alloc(1200, i));
    sender.uncork();
    await eventually(() => got === PACKETS, 5000, 'the burst delivered');

    const forwardWrites =
      single.mock.calls.filter(([chunk]) => Buffer.isBuffer(chunk) && isForward(chunk)).length +
      vector.mock.calls.filter(([chunks]) => chunks.some(isForward)).length;
    expect(forwardWrites).toBeGreaterThanOrEqual(1);
    expect(forwardWrites).toBeLessThanOrEqual(3);
  });
});
