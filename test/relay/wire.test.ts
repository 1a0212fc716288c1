/**
 * The relay against hand-built bytes on raw sockets: what a Tailscale client sends and expects, checked byte for
 * byte without derpdesk's own client in the loop.
 */
import nacl from 'tweetnacl';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAGIC, RawPeer, frame, rawHandshake, sendPacketFrame, startRelay, type TestRelay } from '../helpers/relay.js';

let relay: TestRelay;
beforeAll(async () => {
  relay = await startRelay();
});
afterAll(async () => {
  await relay.stop();
});

const disco = (n = 10) => Buffer.concat([Buffer.from('5453f09f92ac', 'hex'), Buffer.alloc(56 + n, 0x33)]);

describe('HTTP upgrade and handshake bytes', () => {
  it("answers Upgrade: DERP with exactly derper's 101 headers, then ServerKey", async () => {
    const peer = await RawPeer.connect(relay.port);
    peer.write('GET /derp HTTP/1.1\r\nHost: x\r\nUpgrade: DERP\r\nConnection: Upgrade\r\n\r\n');
    const head = await peer.readHttpHead();
    const hex = relay.service.derp.publicKey.toString('hex');
    expect(head).toBe(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: DERP\r\nConnection: Upgrade\r\nDerp-Version: 2\r\nDerp-Public-Key: ${hex}\r\n\r\n`,
    );
    const sk = await peer.take(45);
    expect(sk.subarray(0, 5).toString('hex')).toBe('0100000028');
    expect(sk.subarray(5, 13)).toEqual(MAGIC);
    expect(sk.subarray(13).toString('hex')).toBe(hex);
    peer.socket.destroy();
  });

  it('accepts the upgrade header in any case', async () => {
    const peer = await RawPeer.connect(relay.port);
    peer.write('GET /derp HTTP/1.1\r\nHost: x\r\nupgrade: derp\r\nconnection: upgrade\r\n\r\n');
    expect(await peer.readHttpHead()).toMatch(/^HTTP\/1\.1 101 /);
    peer.socket.destroy();
  });

  it('with Derp-Fast-Start: 1 sends no HTTP reply, only the ServerKey frame', async () => {
    const peer = await RawPeer.connect(relay.port);
    peer.write('GET /derp HTTP/1.1\r\nHost: x\r\nUpgrade: DERP\r\nConnection: Upgrade\r\nDerp-Fast-Start: 1\r\n\r\n');
    const first = await peer.take(5);
    expect(first.toString('hex')).toBe('0100000028');
    peer.socket.destroy();
  });

  it('completes a handshake sealed by tweetnacl and replies with a ServerInfo of version 2', async () => {
    const { peer, serverInfo } = await rawHandshake(relay.port);
    expect(serverInfo).toEqual({ version: 2 });
    peer.socket.destroy();
  });

  it('relays SendPacket as RecvPacket with the sender key, byte for byte', async () => {
    const a = await rawHandshake(relay.port);
    const b = await rawHandshake(relay.port, { fastStart: true });
    const pkt = Buffer.from('packet-bytes-0123456789');
    a.peer.write(sendPacketFrame(b.publicKey, pkt));
    const got = await b.peer.take(5 + 32 + pkt.length);
    expect(got.subarray(0, 5).toString('hex')).toBe('05' + (32 + pkt.length).toString(16).padStart(8, '0'));
    expect(got.subarray(5, 37)).toEqual(Buffer.from(a.publicKey));
    expect(got.subarray(37)).toEqual(pkt);
    a.peer.socket.destroy();
    b.peer.socket.destroy();
  });

  it('echoes Ping as Pong with the same 8 bytes', async () => {
    const a = await rawHandshake(relay.port);
    a.peer.write(frame(0x12, Buffer.from('0102030405060708', 'hex')));
    expect((await a.peer.take(13)).toString('hex')).toBe('1300000008' + '0102030405060708');
    a.peer.socket.destroy();
  });

  it('skips unknown frame types and keeps serving the connection', async () => {
    const a = await rawHandshake(relay.port);
    a.peer.write(Buffer.concat([frame(0x7f, Buffer.alloc(300, 1)), frame(0x06), frame(0x12, Buffer.alloc(8, 5))]));
    expect((await a.peer.take(13)).toString('hex')).toBe('1300000008' + '05'.repeat(8));
    a.peer.socket.destroy();
  });

  it('sends PeerGone(disconnected) to the peers a leaving client had sent packets to', async () => {
    const a = await rawHandshake(relay.port);
    const b = await rawHandshake(relay.port);
    const c = await rawHandshake(relay.port);
    a.peer.write(sendPacketFrame(b.publicKey, Buffer.from('hi')));
    await b.peer.take(5 + 32 + 2);
    a.peer.socket.end();
    const gone = await b.peer.take(5 + 33);
    expect(gone.toString('hex')).toBe('0800000021' + Buffer.from(a.publicKey).toString('hex') + '00');
    // c never heard from a, so it gets nothing: a Ping round trip proves nothing else was queued before the Pong.
    c.peer.write(frame(0x12, Buffer.alloc(8, 1)));
    expect((await c.peer.take(13))[0]).toBe(0x13);
    b.peer.socket.destroy();
    c.peer.socket.destroy();
  });

  it('answers a disco packet to an unknown key with PeerGone(not here), rate-limited to 3 then 1/s', async () => {
    const a = await rawHandshake(relay.port);
    const unknown = nacl.randomBytes(32);
    for (let i = 0; i < 6; i++) a.peer.write(sendPacketFrame(unknown, disco()));
    a.peer.write(sendPacketFrame(unknown, Buffer.from('not disco')));
    a.peer.write(frame(0x12, Buffer.alloc(8, 2)));
    await a.peer.until((b) => b.includes(Buffer.from('1300000008' + '02'.repeat(8), 'hex')), 3000, 'pong');
    const notHere = Buffer.from('0800000021' + Buffer.from(unknown).toString('hex') + '01', 'hex');
    const pong = Buffer.from('1300000008' + '02'.repeat(8), 'hex');
    expect(a.peer.buf).toEqual(Buffer.concat([notHere, notHere, notHere, pong]));
    a.peer.socket.destroy();
  });

  it('reports clients present to a mesh watcher and refuses WatchConns without the mesh key', async () => {
    const a = await rawHandshake(relay.port);
    a.peer.write(frame(0x10));
    await a.peer.waitClosed();
    expect(relay.logs.some((l) => l.includes('insufficient permissions'))).toBe(true);
  });
});

describe('keep-alives', () => {
  it('sends KeepAlive frames (05 bytes: 06 00 00 00 00) on the configured interval, with jitter', async () => {
    const r = await startRelay({ timing: { keepAliveMs: 400 } });
    const a = await rawHandshake(r.port);
    const t0 = Date.now();
    await a.peer.until((b) => b.length >= 10, 3000, 'two keep-alives');
    const elapsed = Date.now() - t0;
    expect(a.peer.buf.subarray(0, 10).toString('hex')).toBe('0600000000'.repeat(2));
    expect(elapsed).toBeGreaterThanOrEqual(700);
    expect(elapsed).toBeLessThan(2000);
    a.peer.socket.destroy();
    await r.stop();
  });
});
