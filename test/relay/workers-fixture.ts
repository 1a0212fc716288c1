/**
 * A `derpdesk relay -workers N` process for tests: the built CLI on loopback, with the public port, each worker's
 * pid and private link port read from its output, and each worker's own /debug/varz (served on that private
 * port) next to the relay-wide one.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DerpClient } from '../../electron/derp/client.js';
import type { NodeKeyPair } from '../../electron/derp/keys.js';
import { startCli, waitExit } from '../helpers/cli.js';
import { eventually } from '../helpers/relay.js';

export interface WorkerInfo {
  pid: number;
  /** The worker's private loopback port: the other workers' links, and its own /debug/varz. */
  linkPort: number;
}

export interface WorkersRelay {
  child: ChildProcess;
  port: number;
  url: string;
  output(): string;
  /** The workers as last announced (a replacement takes its slot). */
  workers(): WorkerInfo[];
  /** The relay-wide /debug/varz, from the public port. */
  varz(): Promise<Map<string, number>>;
  /** One worker's own /debug/varz. */
  workerVarz(index: number): Promise<Map<string, number>>;
  /** Which worker a plain-HTTP client just connected landed on. */
  connectTracked(keyPair?: NodeKeyPair): Promise<{ client: DerpClient; worker: number }>;
  /**
   * Connects through the public port until a connection lands on `worker` (judged by the workers' accept counts),
   * closing the ones that land elsewhere.
   */
  landOn<T>(worker: number, connect: () => Promise<T>, close: (t: T) => void): Promise<T>;
  stop(): Promise<number | null>;
}

export const READY = /(\d+) workers ready \(pids ([\d, ]+)\)/;

export function parseVarz(text: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const line of text.split('\n')) {
    const s = /^(\S+) (\S+)$/.exec(line);
    if (s && !line.startsWith('#')) m.set(s[1], Number(s[2]));
  }
  return m;
}

async function fetchVarz(port: number): Promise<Map<string, number>> {
  const res = await fetch(`http://127.0.0.1:${port}/debug/varz`);
  if (res.status !== 200) throw new Error(`varz on ${port}: ${res.status} ${await res.text()}`);
  return parseVarz(await res.text());
}

export async function startWorkersRelay(
  count: number,
  extra: string[] = [],
  dir = mkdtempSync(path.join(os.tmpdir(), 'derpdesk-workers-')),
  addr = '127.0.0.1:0',
): Promise<WorkersRelay> {
  const { child, output } = await startCli(
    ['relay', '-a', addr, '-stun-listen', '127.0.0.1:0', '-workers', String(count), ...extra],
    READY,
    { DERPDESK_DATA_DIR: dir },
    30_000,
  );
  const [, scheme, portText] = /listening on (https?):\/\/127\.0\.0\.1:(\d+)\/derp/.exec(output())!;
  const port = Number(portText);
  const workers = (): WorkerInfo[] => {
    const slots: WorkerInfo[] = [];
    for (const m of output().matchAll(
      /worker (\d+) \(pid (\d+)\) serving; link for the other workers \S+:(\d+)\/derp/g,
    ))
      slots[Number(m[1]) - 1] = { pid: Number(m[2]), linkPort: Number(m[3]) };
    return slots;
  };
  const workerVarz = (i: number) => fetchVarz(workers()[i].linkPort);
  // Accepts only grow, so a connection closing elsewhere meanwhile cannot hide which worker took the new one.
  const accepts = () => Promise.all(workers().map((_, i) => workerVarz(i).then((v) => v.get('derp_accepts')!)));
  /** Connects and returns the worker whose accept count went up. */
  async function tracked<T>(connect: () => Promise<T>): Promise<{ conn: T; worker: number }> {
    const before = await accepts();
    const conn = await connect();
    const after = await accepts();
    const worker = after.findIndex((n, i) => n > before[i]);
    if (worker < 0 || after.filter((n, i) => n > before[i]).length > 1)
      throw new Error(`cannot tell which worker took the connection: accepts ${before} -> ${after}`);
    return { conn, worker };
  }
  return {
    child,
    port,
    url: `${scheme}://127.0.0.1:${port}/derp`,
    output,
    workers,
    varz: () => fetchVarz(port),
    workerVarz,
    async connectTracked(keyPair) {
      const t = await tracked(() => DerpClient.connect({ url: `http://127.0.0.1:${port}/derp`, keyPair }));
      return { client: t.conn, worker: t.worker };
    },
    async landOn(worker, connect, close) {
      for (let attempt = 0; attempt < 12; attempt++) {
        const t = await tracked(connect);
        if (t.worker === worker) return t.conn;
        close(t.conn);
      }
      throw new Error(`no connection landed on worker ${worker + 1} in 12 tries`);
    },
    async stop() {
      child.kill('SIGTERM');
      const code = await waitExit(child, 20_000);
      rmSync(dir, { recursive: true, force: true });
      return code;
    },
  };
}

/** What `c` receives from now on, as "<first 8 hex of the sender>:<text>". */
export function inbox(c: DerpClient): string[] {
  const got: string[] = [];
  c.onPacket = (src, p) => void got.push(`${src.toString('hex').slice(0, 8)}:${p.toString()}`);
  return got;
}

/** Sends until it arrives: a new client's PeerPresent reaches the other workers (and peers) a moment after it connects. */
export async function deliver(from: DerpClient, to: DerpClient, box: string[], text: string, ms = 5000): Promise<void> {
  const want = `${from.publicKey.toString('hex').slice(0, 8)}:${text}`;
  await eventually(
    () => {
      if (box.includes(want)) return true;
      from.send(to.publicKey, Buffer.from(text));
      return false;
    },
    ms,
    `"${text}" delivered`,
  );
}
