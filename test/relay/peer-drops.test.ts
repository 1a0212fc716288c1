/**
 * Per-peer drop counters on real sockets: a drop is charged to the sender (unknown destination) or to the
 * destination (full queue, write timeout), by reason. Queue-full drops of a receiver that never reads are in
 * robustness.test.ts; the write-timeout count in core.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import nacl from 'tweetnacl';
import { DerpClient } from '../../electron/derp/client.js';
import type { PeerInfo } from '../../shared/relay.js';
import { eventually, startRelay, type TestRelay } from '../helpers/relay.js';

let relay: TestRelay | null = null;
const open: DerpClient[] = [];
afterEach(async () => {
  for (const c of open.splice(0)) c.close();
  await relay?.stop();
  relay = null;
});

async function client(url: string): Promise<DerpClient> {
  const c = await DerpClient.connect({ url });
  open.push(c);
  return c;
}

const peerOf = (r: TestRelay, key: Uint8Array): PeerInfo | undefined =>
  r.service.derp.peers().find((p) => p.key.endsWith(Buffer.from(key).toString('hex')));

describe('per-peer drops', () => {
  it('charges packets to an unknown destination to their sender, matching the relay-wide count', async () => {
    relay = await startRelay();
    const alice = await client(relay.url);
    const bob = await client(relay.url);
    const nobody = nacl.box.keyPair().publicKey;
    for (let i = 0; i < 25; i++) alice.send(nobody, Buffer.alloc(100, i));
    const r = relay;
    await eventually(() => peerOf(r, alice.publicKey)?.drops === 25, 5000, 'drops charged to alice');
    const a = peerOf(r, alice.publicKey)!;
    expect(a.dropsBy).toEqual({ unknownDest: 25, queueFull: 0, writeTimeout: 0 });
    expect(peerOf(r, bob.publicKey)!.drops).toBe(0);
    expect(r.service.derp.stats().counters.packetsDropped).toBe(25);
  });

  it('counts rate-limit pauses per peer, and drops nothing for them', async () => {
    relay = await startRelay({ rateConfig: { PerClientRateLimitBytesPerSec: 200_000, PerClientRateBurstBytes: 0 } });
    const tx = await client(relay.url);
    const rx = await client(relay.url);
    let got = 0;
    rx.onPacket = () => void got++;
    for (let i = 0; i < 200; i++) tx.send(rx.publicKey, Buffer.alloc(1000, 1));
    await eventually(() => got === 200, 10_000, 'every packet, slowly');
    const t = peerOf(relay, tx.publicKey)!;
    expect(t.rateLimitWaits).toBeGreaterThan(0);
    expect(t.drops).toBe(0);
    expect(peerOf(relay, rx.publicKey)!.rateLimitWaits).toBe(0);
  });
});
