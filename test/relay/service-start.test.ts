/** A relay that refuses to start because of its mesh settings must not keep the port it was given. */
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { RelayStartError } from '../../electron/relay/service.js';
import { startRelay } from '../helpers/relay.js';

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function canBind(port: number): Promise<void> {
  const s = net.createServer();
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.listen(port, '127.0.0.1', resolve);
  });
  await new Promise<void>((r) => s.close(() => r()));
}

describe('RelayService.start with bad mesh settings', () => {
  it.each([
    ['a mesh key that is not 64 hex characters', { meshKey: 'not-hex' }, /mesh key must be 64 hex characters/],
    ['mesh peers without a mesh key', { meshWith: ['http://127.0.0.1:1/derp'] }, /meshing needs a mesh key/],
    [
      'an unparsable mesh peer',
      { meshKey: 'ab'.repeat(32), meshWith: ['http://[/derp'] },
      /mesh peer "http:\/\/\[\/derp" is not a host/,
    ],
  ])('refuses %s before binding, leaving the port free', async (_what, mesh, message) => {
    const port = await freePort();
    const failed = startRelay({ addr: `127.0.0.1:${port}`, ...mesh });
    await expect(failed).rejects.toThrow(message);
    await expect(failed).rejects.toBeInstanceOf(RelayStartError);
    await canBind(port);
  });
});
