/** Test fixtures: a relay on an ephemeral loopback port, and a raw DERP peer built from the spec, not our client. */
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import nacl from 'tweetnacl';
import { vi } from 'vitest';
import { DerpClient } from '../../electron/derp/client.js';
import { generateKeyPair } from '../../electron/derp/keys.js';
import { RelayService, type RelayServiceConfig } from '../../electron/relay/service.js';
import type { Logger } from '../../electron/util/log.js';

export interface TestRelay {
  service: RelayService;
  url: string;
  port: number;
  dir: string;
  logs: string[];
  stop(): Promise<void>;
}

export async function startRelay(over: Partial<RelayServiceConfig> = {}): Promise<TestRelay> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'derpdesk-test-'));
  const logs: string[] = [];
  // Debug lines stay out of `logs`: tests read what a relay without -verbose would say.
  const logger: Logger = { info: (m) => logs.push(m), warn: (m) => logs.push(m), debug: () => {} };
  const service = await RelayService.start({
    addr: '127.0.0.1:0',
    tls: null,
    httpPort: -1,
    keyFile: path.join(dir, 'derper.key'),
    logger,
    ...over,
  });
  const port = service.endpoints[0].port;
  return {
    service,
    url: `http://127.0.0.1:${port}/derp`,
    port,
    dir,
    logs,
    stop: async () => {
      await service.stop(null);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function frame(type: number, payload: Uint8Array = new Uint8Array()): Buffer {
  const b = Buffer.alloc(5 + payload.length);
  b[0] = type;
  b.writeUInt32BE(payload.length, 1);
  b.set(payload, 5);
  return b;
}

/**
 * A socket that accumulates everything it receives, with helpers to wait for exact byte counts; the peer's
 * bytes are checked by the test, byte for byte.
 */
export class RawPeer {
  buf = Buffer.alloc(0);
  closed = false;
  private waiters: Array<() => void> = [];

  constructor(readonly socket: net.Socket) {
    socket.on('data', (d) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => {});
  }

  static connect(port: number, host = '127.0.0.1'): Promise<RawPeer> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ port, host }, () => resolve(new RawPeer(s)));
      s.once('error', reject);
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Waits until `pred` holds on the received bytes (or the socket closes), failing after `ms`. */
  async until(pred: (buf: Buffer) => boolean, ms = 3000, what = 'data'): Promise<void> {
    const deadline = Date.now() + ms;
    while (!pred(this.buf)) {
      if (this.closed) throw new Error(`socket closed while waiting for ${what}; got ${this.buf.length} bytes`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; got ${this.buf.length} bytes`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  async take(n: number, ms = 3000): Promise<Buffer> {
    await this.until((b) => b.length >= n, ms, `${n} bytes`);
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return Buffer.from(out);
  }

  /** Reads one whole frame: [type, payload]. */
  async readFrame(ms = 3000): Promise<{ type: number; payload: Buffer }> {
    const head = await this.take(5, ms);
    const payload = await this.take(head.readUInt32BE(1), ms);
    return { type: head[0], payload };
  }

  async readHttpHead(ms = 3000): Promise<string> {
    await this.until((b) => b.includes('\r\n\r\n'), ms, 'HTTP headers');
    const end = this.buf.indexOf('\r\n\r\n') + 4;
    const head = this.buf.subarray(0, end).toString('latin1');
    this.buf = this.buf.subarray(end);
    return head;
  }

  async waitClosed(ms = 3000): Promise<void> {
    if (this.closed) return;
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('socket still open')), ms);
      this.socket.once('close', () => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  write(b: Uint8Array | string): void {
    this.socket.write(b);
  }
}

export const MAGIC = Buffer.from('DERP🔑', 'utf8');

/**
 * Performs the DERP handshake by hand with tweetnacl's box (independent of derpdesk's client), returning the
 * peer positioned right after ServerInfo.
 */
export async function rawHandshake(
  port: number,
  opts: { secretKey?: Uint8Array; info?: object; sealTo?: Uint8Array; fastStart?: boolean } = {},
): Promise<{ peer: RawPeer; publicKey: Uint8Array; secretKey: Uint8Array; serverKey: Buffer; serverInfo: unknown }> {
  const peer = await RawPeer.connect(port);
  peer.write(
    `GET /derp HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: DERP\r\nConnection: Upgrade\r\n${opts.fastStart ? 'Derp-Fast-Start: 1\r\n' : ''}\r\n`,
  );
  if (!opts.fastStart) await peer.readHttpHead();
  const sk = await peer.readFrame();
  if (sk.type !== 1) throw new Error(`expected ServerKey, got ${sk.type}`);
  const serverKey = sk.payload.subarray(8);
  const kp = opts.secretKey ? nacl.box.keyPair.fromSecretKey(opts.secretKey) : nacl.box.keyPair();
  const nonce = nacl.randomBytes(24);
  const msg = Buffer.from(JSON.stringify(opts.info ?? { version: 2, CanAckPings: true, IsProber: false }));
  const box = nacl.box(msg, nonce, opts.sealTo ?? serverKey, kp.secretKey);
  peer.write(frame(2, Buffer.concat([kp.publicKey, nonce, box])));
  const si = await peer.readFrame();
  if (si.type !== 3) throw new Error(`expected ServerInfo, got ${si.type}`);
  const opened = nacl.box.open(si.payload.subarray(24), si.payload.subarray(0, 24), serverKey, kp.secretKey);
  if (!opened) throw new Error('ServerInfo does not open');
  return {
    peer,
    publicKey: kp.publicKey,
    secretKey: kp.secretKey,
    serverKey: Buffer.from(serverKey),
    serverInfo: JSON.parse(Buffer.from(opened).toString()),
  };
}

export function sendPacketFrame(dst: Uint8Array, packet: Uint8Array): Buffer {
  return frame(4, Buffer.concat([dst, packet]));
}

/** Kept for test/cli/relay.test.ts (it waits out a file watcher's first look); relay and DERP tests await events. */
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Waits until `f` returns true, failing after `ms`: for state that changes without an event to await (counters,
 * gauges). Polls through vi.waitFor.
 */
export async function eventually(f: () => boolean | Promise<boolean>, ms = 3000, what = 'condition'): Promise<void> {
  await vi.waitFor(
    async () => {
      if (!(await f())) throw new Error(`timed out waiting for ${what}`);
    },
    { timeout: ms, interval: 10 },
  );
}

/**
 * Whether the relay lets a client with this key in: it connects and gets a pong (refused clients are cut). A TLS
 * relay with a self-signed certificate takes its `certName` pin.
 */
export async function admitted(url: string, keyPair = generateKeyPair(), certName?: string): Promise<boolean> {
  const c = await DerpClient.connect({ url, keyPair, certName }).catch(() => null);
  if (!c) return false;
  try {
    await c.ping(2000);
    return true;
  } catch {
    return false;
  } finally {
    c.close();
  }
}
