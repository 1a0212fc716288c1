/** DerpClient.connect's failure paths, against scripted servers: each step says what went wrong. */
import net, { type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DerpClient } from '../../electron/derp/client.js';
import { FrameType, encodeFrame, encodeServerKey } from '../../electron/derp/frames.js';
import { upgradeResponse } from '../../electron/derp/upgrade.js';

let server: net.Server | null = null;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

/** A server that waits for the request head and then does `answer` with the socket. */
async function scripted(answer: (socket: net.Socket) => void): Promise<string> {
  server = net.createServer((socket) => {
    let head = '';
    socket.on('error', () => {});
    socket.on('data', function onData(d) {
      head += d.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      answer(socket);
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server!.address() as AddressInfo).port}/derp`;
}

const serverKey = Buffer.alloc(32, 5);

describe('DerpClient.connect failures', () => {
  it('names a refused upgrade with its status line and body', async () => {
    const url = await scripted((s) =>
      s.end('HTTP/1.1 426 Upgrade Required\r\nContent-Length: 33\r\n\r\nDERP requires connection upgrade\n'),
    );
    await expect(DerpClient.connect({ url })).rejects.toThrow(
      'DERP upgrade refused: HTTP/1.1 426 Upgrade Required: DERP requires connection upgrade',
    );
  });

  it('says "not a DERP server" when the first frame lacks the magic, even in the same write as the 101', async () => {
    const bad = encodeServerKey(serverKey);
    bad[5] = 0;
    const url = await scripted((s) => s.write(Buffer.concat([Buffer.from(upgradeResponse(serverKey), 'latin1'), bad])));
    await expect(DerpClient.connect({ url })).rejects.toThrow(
      'ServerKey frame lacks the DERP magic: not a DERP server',
    );
  });

  it('says which frame it expected', async () => {
    const url = await scripted((s) => s.write(encodeFrame(FrameType.KeepAlive)));
    await expect(DerpClient.connect({ url, fastStart: true })).rejects.toThrow(
      'expected ServerKey frame, got type 0x6',
    );
  });

  it('reports a server that hangs up after ServerKey as closed during the handshake', async () => {
    const url = await scripted((s) =>
      s.end(Buffer.concat([Buffer.from(upgradeResponse(serverKey), 'latin1'), encodeServerKey(serverKey)])),
    );
    await expect(DerpClient.connect({ url })).rejects.toThrow(
      /^connection to 127\.0\.0\.1:\d+ closed during the handshake$/,
    );
  });

  it('times out a server that never answers, and stops when aborted', async () => {
    const url = await scripted(() => {});
    await expect(DerpClient.connect({ url, timeoutMs: 200 })).rejects.toThrow(
      /^DERP handshake with 127\.0\.0\.1:\d+ timed out after 200 ms$/,
    );
    const abort = new AbortController();
    const pending = DerpClient.connect({ url, signal: abort.signal });
    abort.abort();
    await expect(pending).rejects.toThrow('connect aborted');
  });

  it('keeps the socket error as the cause of a failed connection', async () => {
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const err = (await DerpClient.connect({ url: `http://127.0.0.1:${port}/derp` }).catch((e: Error) => e)) as Error;
    expect(err.message).toBe(`TCP connection to 127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`);
    expect((err.cause as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
  });
});
