/**
 * The handshake deadline runs from TCP accept, not from the HTTP upgrade: idle and byte-a-tick connections are closed
 * once it passes, and one address cannot hold more than its share of unfinished handshakes.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DerpClient } from '../../electron/derp/client.js';
import { RawPeer, startRelay, type TestRelay } from '../helpers/relay.js';

const DEADLINE_MS = 600;
const MAX_PER_IP = 4;
const HOSTILE_IP = '127.0.0.2';
let relay: TestRelay;

beforeAll(async () => {
  relay = await startRelay({ timing: { handshakeTimeoutMs: DEADLINE_MS }, maxHandshakesPerIp: MAX_PER_IP });
});
afterAll(() => relay.stop());

function connectFrom(localAddress: string): Promise<RawPeer> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port: relay.port, host: '127.0.0.1', localAddress }, () => resolve(new RawPeer(s)));
    s.once('error', reject);
  });
}

async function varz(): Promise<string> {
  return (await fetch(`http://127.0.0.1:${relay.port}/debug/varz`)).text();
}

async function pairRelays(): Promise<void> {
  const [a, b] = await Promise.all([DerpClient.connect({ url: relay.url }), DerpClient.connect({ url: relay.url })]);
  try {
    const got = new Promise<string>((r) => (b.onPacket = (_s, p) => r(p.toString())));
    a.send(b.publicKey, Buffer.from('through'));
    expect(await got).toBe('through');
  } finally {
    a.close();
    b.close();
  }
}

describe('handshake deadline from accept', () => {
  it('closes a connection that never sends a byte', async () => {
    const p = await connectFrom('127.0.0.1');
    const t0 = Date.now();
    await p.waitClosed(DEADLINE_MS * 4);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(DEADLINE_MS - 50);
    expect(p.buf.length).toBe(0);
  });

  it('closes a slowloris sending its request headers one byte at a time', async () => {
    const p = await connectFrom('127.0.0.1');
    const request = Buffer.from(
      'GET /derp HTTP/1.1\r\nHost: relay\r\nUpgrade: DERP\r\nConnection: Upgrade\r\nX-Padding: ' + 'a'.repeat(200),
    );
    const t0 = Date.now();
    let i = 0;
    const drip = setInterval(() => {
      if (!p.closed && i < request.length) p.write(request.subarray(i, ++i));
    }, 50);
    try {
      await p.waitClosed(DEADLINE_MS * 4);
    } finally {
      clearInterval(drip);
    }
    expect(Date.now() - t0).toBeLessThan(DEADLINE_MS * 3);
    expect(i).toBeGreaterThan(3);
    expect(await varz()).toMatch(/^derpdesk_handshake_timeouts [1-9]\d*$/m);
  });

  it(`refuses the ${MAX_PER_IP + 1}th unfinished connection from one address, while other clients connect and relay`, async () => {
    const held = await Promise.all(Array.from({ length: MAX_PER_IP }, () => connectFrom(HOSTILE_IP)));
    const extra = await connectFrom(HOSTILE_IP);
    const t0 = Date.now();
    await extra.waitClosed(DEADLINE_MS / 2);
    expect(Date.now() - t0).toBeLessThan(DEADLINE_MS / 2);
    expect(held.every((p) => !p.closed)).toBe(true);
    await pairRelays();
    expect(await varz()).toMatch(/^derpdesk_handshakes_over_per_ip_limit 1$/m);
    for (const p of held) p.socket.destroy();
  });

  it('stops counting a connection against its address once its handshake is done', async () => {
    const clients: DerpClient[] = [];
    for (let i = 0; i < MAX_PER_IP * 2; i++) clients.push(await DerpClient.connect({ url: relay.url }));
    expect(await clients[0].ping()).toBeGreaterThan(0);
    for (const c of clients) c.close();
  });
});
