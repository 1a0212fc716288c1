/** shared/errors.ts: one way to turn whatever was thrown into text. */
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, promises as fs, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { causeMessage, errorDetail, errorMessage, errorWithCauses, isTimeoutError } from '../../shared/errors.js';

describe('errorMessage', () => {
  it('reads an Error, a subclass and a thrown string', () => {
    expect(errorMessage(new Error('boom'))).toBe('boom');
    expect(errorMessage(new TypeError('bad type'))).toBe('bad type');
    expect(errorMessage('plain text')).toBe('plain text');
  });

  it('reads an error-like object from another realm by its message', () => {
    expect(errorMessage({ name: 'Error', message: 'from a worker' })).toBe('from a worker');
  });

  it('writes other values as JSON, falling back to String()', () => {
    expect(errorMessage(42)).toBe('42');
    expect(errorMessage(null)).toBe('null');
    expect(errorMessage(undefined)).toBe('undefined');
    expect(errorMessage({ code: 7 })).toBe('{"code":7}');
    expect(errorMessage(10n)).toBe('10');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(errorMessage(cyclic)).toBe('[object Object]');
  });
});

describe('errorWithCauses', () => {
  it('joins the cause chain, skipping a cause the message already quotes', () => {
    const inner = new Error('connect ECONNREFUSED 127.0.0.1:1');
    const mid = new Error('fetch failed', { cause: inner });
    expect(errorWithCauses(new Error('cannot fetch map', { cause: mid }))).toBe(
      'cannot fetch map: fetch failed: connect ECONNREFUSED 127.0.0.1:1',
    );
    expect(errorWithCauses(new Error('cannot read x: ENOENT', { cause: new Error('ENOENT') }))).toBe(
      'cannot read x: ENOENT',
    );
    expect(errorWithCauses('just text')).toBe('just text');
  });

  it('stops on a cyclic cause', () => {
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    (a as { cause?: unknown }).cause = b;
    expect(errorWithCauses(a)).toBe('a: b');
  });
});

describe('causeMessage and isTimeoutError', () => {
  it('prefers the direct cause', () => {
    expect(causeMessage(new Error('fetch failed', { cause: new Error('ECONNREFUSED') }))).toBe('ECONNREFUSED');
    expect(causeMessage(new Error('no cause'))).toBe('no cause');
  });

  it('recognises an AbortSignal.timeout rejection', async () => {
    const signal = AbortSignal.timeout(1);
    await new Promise((r) => setTimeout(r, 20));
    expect(isTimeoutError(signal.reason)).toBe(true);
    expect(isTimeoutError(new Error('x'))).toBe(false);
    expect(isTimeoutError(undefined)).toBe(false);
  });
});

describe('errorDetail', () => {
  it("gives an Error's stack and anything else's message", () => {
    const err = new Error('broke');
    expect(errorDetail(err)).toBe(err.stack);
    expect(errorDetail(err)).toMatch(/^Error: broke\n\s+at /);
    expect(errorDetail('text')).toBe('text');
    expect(errorDetail({ code: 1 })).toBe('{"code":1}');
  });
});

/** Catches what `f` throws or rejects with. */
async function caught(f: () => unknown): Promise<unknown> {
  try {
    await f();
  } catch (err) {
    return err;
  }
  throw new Error('expected a failure');
}

/** What Node throws for a system call failing on a path, for codes a test running as root cannot provoke. */
function systemError(code: string, syscall: string, file: string): Error {
  return Object.assign(new Error(`${code}: failed, ${syscall} '${file}'`), { errno: -1, code, syscall, path: file });
}

function listenOn(server: net.Server | dgram.Socket, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    if (server instanceof net.Server) server.listen(port, host, () => resolve());
    else server.bind(port, host, () => resolve());
  });
}

describe('errorMessage for Node system errors', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'derpdesk-errors-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('names a missing file (ENOENT)', async () => {
    const file = path.join(dir, 'missing.yaml');
    expect(errorMessage(await caught(() => fs.readFile(file)))).toBe(`No such file: ${file} (ENOENT)`);
  });

  it('names a folder given as a file (EISDIR) and a file used as a folder (ENOTDIR)', async () => {
    expect(errorMessage(await caught(() => fs.open(dir, 'w')))).toBe(`${dir} is a folder; give a file (EISDIR)`);
    // Reading an opened folder fails without the path in the error.
    expect(errorMessage(await caught(() => fs.readFile(dir)))).toBe(
      'a folder was given where a file is needed (EISDIR)',
    );
    const file = path.join(dir, 'plain');
    writeFileSync(file, 'x');
    expect(errorMessage(await caught(() => fs.readFile(path.join(file, 'below'))))).toBe(
      `${path.join(file, 'below')}: a part of this path is a file, not a folder (ENOTDIR)`,
    );
  });

  it('names an existing path (EEXIST)', async () => {
    expect(errorMessage(await caught(() => fs.mkdir(dir)))).toBe(`${dir} already exists (EEXIST)`);
  });

  it('says what to check for a permission error on a file (EACCES, EPERM)', () => {
    expect(errorMessage(systemError('EACCES', 'open', '/etc/derp/key'))).toBe(
      'Permission denied: /etc/derp/key; check its owner and mode (ls -l), and those of the folders above it (EACCES)',
    );
    expect(errorMessage(systemError('EPERM', 'chmod', '/etc/derp/key'))).toBe(
      'Operation not permitted on /etc/derp/key; check its owner and mode (ls -l) (EPERM)',
    );
  });

  it('names a program that is not installed (spawn ENOENT)', async () => {
    const child = spawn('derpdesk-no-such-program-here');
    const err = await new Promise((resolve) => child.once('error', resolve));
    expect(errorMessage(err)).toBe('Program not found: derpdesk-no-such-program-here (ENOENT)');
  });

  it('says a TCP or UDP port is in use by another program (EADDRINUSE)', async () => {
    const blocker = net.createServer();
    await listenOn(blocker, 0, '127.0.0.1');
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const err = await caught(() => listenOn(net.createServer(), port, '127.0.0.1'));
      expect(errorMessage(err)).toBe(
        `Port ${port} is already in use by another program; stop that program or choose another port (EADDRINUSE on 127.0.0.1:${port})`,
      );
    } finally {
      blocker.close();
    }
    const udp = dgram.createSocket('udp6');
    await listenOn(udp, 0, '::1');
    const udpPort = udp.address().port;
    const second = dgram.createSocket('udp6');
    try {
      expect(errorMessage(await caught(() => listenOn(second, udpPort, '::1')))).toBe(
        `Port ${udpPort} is already in use by another program; stop that program or choose another port (EADDRINUSE on [::1]:${udpPort})`,
      );
    } finally {
      udp.close();
      second.close();
    }
  });

  it('says an address is not one of this machine (EADDRNOTAVAIL)', async () => {
    // 192.0.2.0/24 is reserved for documentation: no machine has it.
    const err = await caught(() => listenOn(net.createServer(), 0, '192.0.2.1'));
    expect(errorMessage(err)).toBe(
      'Address 192.0.2.1 does not belong to this machine; listen on one of its own addresses, or 0.0.0.0 / :: for all (EADDRNOTAVAIL on 192.0.2.1)',
    );
  });

  it('explains a privileged port refused (EACCES on listen)', () => {
    const err = Object.assign(new Error('listen EACCES: permission denied 0.0.0.0:443'), {
      code: 'EACCES',
      syscall: 'listen',
      address: '0.0.0.0',
      port: 443,
    });
    expect(errorMessage(err)).toBe(
      'Permission denied to listen on port 443: ports below 1024 need root or CAP_NET_BIND_SERVICE (see docs/service.md) (EACCES on 0.0.0.0:443)',
    );
  });

  it('says which port is out of range (ERR_SOCKET_BAD_PORT)', async () => {
    expect(errorMessage(await caught(() => net.createServer().listen(70000)))).toBe(
      'Port 70000 is not a valid port: use a whole number from 0 to 65535 (ERR_SOCKET_BAD_PORT)',
    );
  });

  it('leaves other errors with a code as they are', () => {
    const err = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), {
      code: 'ECONNREFUSED',
      syscall: 'connect',
    });
    expect(errorMessage(err)).toBe('connect ECONNREFUSED 127.0.0.1:1');
    expect(errorMessage(Object.assign(new Error('odd'), { code: 'toString', syscall: 'open', path: '/x' }))).toBe(
      'odd',
    );
  });
});
