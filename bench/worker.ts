/**
 * Load generator process for the relay benchmarks. The parent (bench/relay.ts) forks it and talks over IPC:
 * it connects its clients, reports ready, floods or idles on "go", and reports what it sent and received.
 */
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { DerpClient } from '../electron/derp/client.js';
import { encodeBindingRequest } from '../electron/stun/message.js';

export type WorkerTask =
  | { kind: 'flood'; url: string; pairs: number; size: number; durationMs: number }
  | { kind: 'idle'; url: string; clients: number }
  | { kind: 'handshakes'; url: string; count: number; concurrency: number }
  | { kind: 'stun'; host: string; port: number; sockets: number; window: number; durationMs: number };

export interface WorkerResult {
  sent: number;
  received: number;
  bytesReceived: number;
  elapsedMs: number;
}

/**
 * Closed loop: each sender keeps at most this many bytes in flight (sent, not yet received by its receiver), so
 * the offered load follows what the relay delivers instead of flooding it with packets it must drop.
 */
const IN_FLIGHT_BYTES = 128 << 10;

function send(msg: unknown): void {
  process.send!(msg);
}

async function flood(task: Extract<WorkerTask, { kind: 'flood' }>): Promise<void> {
  const pairs = await Promise.all(
    Array.from({ length: task.pairs }, async () => {
      const tx = await DerpClient.connect({ url: task.url });
      const rx = await DerpClient.connect({ url: task.url });
      return { tx, rx };
    }),
  );
  const result: WorkerResult = { sent: 0, received: 0, bytesReceived: 0, elapsedMs: 0 };
  const window = Math.max(8, Math.floor(IN_FLIGHT_BYTES / (task.size + 37)));
  const payload = Buffer.alloc(task.size, 0x42);
  let running = false;
  const flows = pairs.map(({ tx, rx }) => ({ tx, dst: rx.publicKey, sent: 0, received: 0, scheduled: false }));
  const pump = (f: (typeof flows)[number]) => {
    f.scheduled = false;
    if (!running) return;
    f.tx.cork();
    while (f.sent - f.received < window) {
      f.tx.send(f.dst, payload);
      f.sent++;
      result.sent++;
    }
    f.tx.uncork();
  };
  for (const [i, { rx }] of pairs.entries()) {
    const f = flows[i];
    rx.onPacket = (_src, p) => {
      f.received++;
      result.received++;
      result.bytesReceived += p.length;
      if (!f.scheduled && f.sent - f.received <= window / 2) {
        f.scheduled = true;
        setImmediate(pump, f);
      }
    };
  }
  send({ ready: true });
  await new Promise<void>((resolve) => process.once('message', () => resolve()));
  running = true;
  const t0 = performance.now();
  for (const f of flows) pump(f);
  await new Promise((r) => setTimeout(r, task.durationMs));
  running = false;
  result.elapsedMs = performance.now() - t0;
  // Count only what arrived within the window: the parent divides by elapsedMs.
  const snapshot = { ...result };
  send({ result: snapshot });
  for (const { tx, rx } of pairs) {
    tx.close();
    rx.close();
  }
}

async function idle(task: Extract<WorkerTask, { kind: 'idle' }>): Promise<void> {
  const clients: DerpClient[] = [];
  for (let i = 0; i < task.clients; i += 50) {
    clients.push(...(await Promise.all(Array.from({ length: Math.min(50, task.clients - i) }, () => DerpClient.connect({ url: task.url })))));
  }
  send({ ready: true });
  await new Promise<void>((resolve) => process.once('message', () => resolve()));
  for (const c of clients) c.close();
  send({ result: { sent: 0, received: 0, bytesReceived: 0, elapsedMs: 0 } });
}

async function handshakes(task: Extract<WorkerTask, { kind: 'handshakes' }>): Promise<void> {
  send({ ready: true });
  await new Promise<void>((resolve) => process.once('message', () => resolve()));
  const t0 = performance.now();
  let done = 0;
  await Promise.all(
    Array.from({ length: task.concurrency }, async () => {
      while (done < task.count) {
        done++;
        const c = await DerpClient.connect({ url: task.url });
        c.close();
      }
    }),
  );
  send({ result: { sent: done, received: done, bytesReceived: 0, elapsedMs: performance.now() - t0 } });
}

/** Each socket keeps `window` Binding Requests outstanding; a timeout tick refills windows lost to drops. */
async function stun(task: Extract<WorkerTask, { kind: 'stun' }>): Promise<void> {
  const req = encodeBindingRequest(randomBytes(12));
  const result: WorkerResult = { sent: 0, received: 0, bytesReceived: 0, elapsedMs: 0 };
  let running = false;
  const socks = await Promise.all(
    Array.from({ length: task.sockets }, async () => {
      const s = dgram.createSocket('udp4');
      await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
      const flow = { s, outstanding: 0 };
      s.on('message', () => {
        result.received++;
        flow.outstanding--;
        if (running) {
          s.send(req, task.port, task.host);
          result.sent++;
          flow.outstanding++;
        }
      });
      return flow;
    }),
  );
  send({ ready: true });
  await new Promise<void>((resolve) => process.once('message', () => resolve()));
  running = true;
  const t0 = performance.now();
  const refill = () => {
    for (const f of socks) {
      while (f.outstanding < task.window) {
        f.s.send(req, task.port, task.host);
        result.sent++;
        f.outstanding++;
      }
    }
  };
  refill();
  const timer = setInterval(() => {
    for (const f of socks) f.outstanding = Math.min(f.outstanding, task.window / 2);
    refill();
  }, 50);
  await new Promise((r) => setTimeout(r, task.durationMs));
  running = false;
  clearInterval(timer);
  result.elapsedMs = performance.now() - t0;
  send({ result: { ...result } });
  for (const f of socks) f.s.close();
}

const task = JSON.parse(process.env.DERPDESK_BENCH_TASK ?? '{}') as WorkerTask;
const run = task.kind === 'flood' ? flood(task) : task.kind === 'idle' ? idle(task) : task.kind === 'stun' ? stun(task) : handshakes(task);
run.then(
  () => setTimeout(() => process.exit(0), 100),
  (err: Error) => {
    send({ error: err.message });
    process.exit(1);
  },
);
