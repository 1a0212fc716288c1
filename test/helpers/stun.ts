/** The STUN server on loopback and Debian's STUN clients, shared by the STUN tests. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { StunServer } from '../../electron/stun/server.js';

export const run = promisify(execFile);

/** A STUN server on 127.0.0.1 and ::1, each on an ephemeral port. */
export async function startLoopbackStun(): Promise<{ server: StunServer; port4: number; port6: number }> {
  const server = new StunServer();
  await server.start([
    { host: '127.0.0.1', port: 0 },
    { host: '::1', port: 0 },
  ]);
  const [port4, port6] = server.addresses().map((a) => a.port);
  return { server, port4, port6 };
}

/** Fails with what to install when a third-party client is missing. */
export async function requireBinary(name: string, pkg: string): Promise<void> {
  try {
    await run('sh', ['-c', `command -v ${name}`]);
  } catch {
    throw new Error(`${name} is not installed: install Debian's ${pkg} package (scripts/install-deps.sh does)`);
  }
}

/**
 * What stun-client's `stun -v` (RFC 3489 era) prints against host:port. It exits non-zero after its NAT tests even
 * when the binding worked, so its output is returned either way; the caller looks for `MappedAddress = ...`.
 */
export async function classicStunOutput(host: string, port: number): Promise<string> {
  const r = await run('stun', [`${host}:${port}`, '-v'], { timeout: 15_000 }).catch(
    (e: { stdout: string; stderr: string }) => e,
  );
  return r.stdout + r.stderr;
}
