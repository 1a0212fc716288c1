/**
 * The server's side of a DERP handshake leaves in as few writes as the protocol allows: every write to the peer is a
 * syscall (and over TLS a record), a large share of what a handshake costs the relay.
 */
import net from 'node:net';
import nacl from 'tweetnacl';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseNodePublic } from '../../electron/derp/keys.js';
import { RawPeer, frame, rawHandshake, startRelay, type TestRelay } from '../helpers/relay.js';

let relay: TestRelay;
beforeAll(async () => {
  relay = await startRelay();
});
afterAll(async () => {
  await relay.stop();
});
afterEach(() => {
  vi.restoreAllMocks();
});

/** Counts the writes that relay-side sockets (local port = the relay's) hand to the stream machinery. */
function countRelayWrites(): () => number {
  const single = vi.spyOn(net.Socket.prototype, '_write');
  const batched = vi.spyOn(net.Socket.prototype, '_writev');
  const fromRelay = (contexts: unknown[]) => contexts.filter((s) => (s as net.Socket).localPort === relay.port).length;
  return () => fromRelay(single.mock.contexts) + fromRelay(batched.mock.contexts);
}

function sealedClientInfo(serverKey: Uint8Array): Buffer {
  const kp = nacl.box.keyPair();
  const nonce = nacl.randomBytes(24);
  const box = nacl.box(Buffer.from('{"version":2}'), nonce, serverKey, kp.secretKey);
  return frame(2, Buffer.concat([kp.publicKey, nonce, box]));
}

describe('handshake writes', () => {
  it('answers a fast-start request that carries its ClientInfo with ServerKey and ServerInfo in one write', async () => {
    const serverKey = parseNodePublic(relay.service.publicKey);
    const writes = countRelayWrites();
    const peer = await RawPeer.connect(relay.port);
    peer.write(
      Buffer.concat([
        Buffer.from(
          'GET /derp HTTP/1.1\r\nHost: x\r\nUpgrade: DERP\r\nConnection: Upgrade\r\nDerp-Fast-Start: 1\r\n\r\n',
        ),
        sealedClientInfo(serverKey),
      ]),
    );
    expect((await peer.readFrame()).type).toBe(1);
    expect((await peer.readFrame()).type).toBe(3);
    expect(writes()).toBe(1);
    peer.socket.destroy();
  });

  it('sends the 101 and ServerKey in one write, then ServerInfo once ClientInfo arrives', async () => {
    const writes = countRelayWrites();
    const { peer } = await rawHandshake(relay.port);
    expect(writes()).toBe(2);
    peer.socket.destroy();
  });
});
