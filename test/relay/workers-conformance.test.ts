/**
 * test/relay/wire.test.ts's byte-level assertions against `derpdesk relay -workers 2`, with the peers of each
 * exchange placed on different workers: to a client, two workers must look like the one relay.
 */
import nacl from 'tweetnacl';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAGIC, RawPeer, frame, rawHandshake, sendPacketFrame } from '../helpers/relay.js';
import { startWorkersRelay, type WorkersRelay } from './workers-fixture.js';

let relay: WorkersRelay;
let serverKeyHex: string;
beforeAll(async () => {
  relay = await startWorkersRelay(2);
  const printed = /relay nodekey:([0-9a-f]{64}) listening/.exec(relay.output())!;
  serverKeyHex = printed[1];
}, 40_000);
afterAll(async () => {
  expect(await relay.stop()).toBe(0);
}, 30_000);

const disco = (n = 10) => Buffer.concat([Buffer.from('5453f09f92ac', 'hex'), Buffer.alloc(56 + n, 0x33)]);
type Raw = Awaited<ReturnType<typeof rawHandshake>>;

function rawOn(worker: number, opts: { fastStart?: boolean } = {}): Promise<Raw> {
  return relay.landOn(
    worker,
    () => rawHandshake(relay.port, opts),
    (r) => r.peer.socket.destroy(),
  );
}

describe('wire conformance with -workers 2', () => {
  it("answers Upgrade: DERP with derper's 101 headers and the one server key, from every worker", async () => {
    const expected = `HTTP/1.1 101 Switching Protocols\r\nUpgrade: DERP\r\nConnection: Upgrade\r\nDerp-Version: 2\r\nDerp-Public-Key: ${serverKeyHex}\r\n\r\n`;
    // The public port (connections taken in turn by the workers) and each worker's own port.
    const ports = [relay.port, relay.port, relay.port, relay.port, ...relay.workers().map((w) => w.linkPort)];
    for (const port of ports) {
      const peer = await RawPeer.connect(port);
      peer.write('GET /derp HTTP/1.1\r\nHost: x\r\nUpgrade: DERP\r\nConnection: Upgrade\r\n\r\n');
      expect(await peer.readHttpHead()).toBe(expected);
      const sk = await peer.take(45);
      expect(sk.subarray(0, 5).toString('hex')).toBe('0100000028');
      expect(sk.subarray(5, 13)).toEqual(MAGIC);
      expect(sk.subarray(13).toString('hex')).toBe(serverKeyHex);
      peer.socket.destroy();
    }
  });

  it('completes a tweetnacl-sealed handshake with a ServerInfo of version 2 on each worker', async () => {
    for (const w of [0, 1]) {
      const r = await rawOn(w);
      expect(r.serverInfo).toEqual({ version: 2 });
      expect(r.serverKey.toString('hex')).toBe(serverKeyHex);
      r.peer.socket.destroy();
    }
  });

  it('relays SendPacket as RecvPacket with the sender key, byte for byte, from one worker to the other and back', async () => {
    const a = await rawOn(0);
    const b = await rawOn(1, { fastStart: true });
    for (const [from, to] of [
      [a, b],
      [b, a],
    ]) {
      const pkt = Buffer.from(`packet-bytes-0123456789-${from === a ? 'ab' : 'ba'}`);
      from.peer.write(sendPacketFrame(to.publicKey, pkt));
      const got = await to.peer.take(5 + 32 + pkt.length);
      expect(got.subarray(0, 5).toString('hex')).toBe('05' + (32 + pkt.length).toString(16).padStart(8, '0'));
      expect(got.subarray(5, 37)).toEqual(Buffer.from(from.publicKey));
      expect(got.subarray(37)).toEqual(pkt);
    }
    a.peer.socket.destroy();
    b.peer.socket.destroy();
  });

  it('echoes Ping as Pong and skips unknown frames on each worker', async () => {
    for (const w of [0, 1]) {
      const a = await rawOn(w);
      a.peer.write(
        Buffer.concat([frame(0x7f, Buffer.alloc(300, 1)), frame(0x12, Buffer.from('0102030405060708', 'hex'))]),
      );
      expect((await a.peer.take(13)).toString('hex')).toBe('1300000008' + '0102030405060708');
      a.peer.socket.destroy();
    }
  });

  it('sends PeerGone(disconnected) across workers to exactly the peers a leaving client had sent to', async () => {
    const a = await rawOn(0);
    const b = await rawOn(1);
    const c = await rawOn(1);
    a.peer.write(sendPacketFrame(b.publicKey, Buffer.from('hi')));
    await b.peer.take(5 + 32 + 2);
    a.peer.socket.end();
    const gone = await b.peer.take(5 + 33, 5000);
    expect(gone.toString('hex')).toBe('0800000021' + Buffer.from(a.publicKey).toString('hex') + '00');
    c.peer.write(frame(0x12, Buffer.alloc(8, 1)));
    expect((await c.peer.take(13))[0]).toBe(0x13);
    b.peer.socket.destroy();
    c.peer.socket.destroy();
  });

  it('answers a disco packet to a key on no worker with PeerGone(not here), rate-limited to 3', async () => {
    const a = await rawOn(1);
    const unknown = nacl.randomBytes(32);
    for (let i = 0; i < 6; i++) a.peer.write(sendPacketFrame(unknown, disco()));
    a.peer.write(sendPacketFrame(unknown, Buffer.from('not disco')));
    const pong = Buffer.from('1300000008' + '02'.repeat(8), 'hex');
    a.peer.write(frame(0x12, Buffer.alloc(8, 2)));
    await a.peer.until((b) => b.includes(pong), 3000, 'pong');
    const notHere = Buffer.from('0800000021' + Buffer.from(unknown).toString('hex') + '01', 'hex');
    expect(a.peer.buf).toEqual(Buffer.concat([notHere, notHere, notHere, pong]));
    a.peer.socket.destroy();
  });

  it('refuses WatchConns without the mesh key: the workers’ own key is not handed to clients', async () => {
    for (const w of [0, 1]) {
      const a = await rawOn(w);
      a.peer.write(frame(0x10));
      await a.peer.waitClosed();
    }
  });
});
