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
  | { kind: 'stun'; host: string; port: number; sockets: number; window: number; durationMs: number }
  | { kind: 'latency'; url: string; rate: number; durationMs: number }
  | { kind: 'paced'; url: string; size: number; pps: number; durationMs: number };

export interface WorkerResult {
  sent: number;
  received: number;
  bytesReceived: number;
  elapsedMs: number;
  /** Round-trip times in ms (latency task), sorted. */
  rtts?: number[];
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

/** A client sends timestamped packets at `rate`/s to a peer that echoes them back: round trips through the relay. */
async function latency(task: Extract<WorkerTask, { kind: 'latency' }>): Promise<void> {
  const a = await DerpClient.connect({ url: task.url });
  const b = await DerpClient.connect({ url: task.url });
  b.onPacket = (src, p) => void b.send(src, Buffer.from(p));
  const rtts: number[] = [];
  a.onPacket = (_src, p) => void rtts.push(performance.now() - p.readDoubleBE(0));
  send({ ready: true });
  await new Promise<void>((resolve) => process.once('message', () => resolve()));
  const pkt = Buffer.alloc(64);
  const t0 = performance.now();
  let sent = 0;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const due = Math.floor(((performance.now() - t0) / 1000) * task.rate);
      while (sent < due) {
        pkt.writeDoubleBE(performance.now(), 0);
        a.send(b.publicKey, pkt);
        sent++;
      }
      if (performance.now() - t0 >= task.durationMs) {
        clearInterval(timer);
        resolve();
      }
    }, 5);
  });
  await new Promise((r) => setTimeout(r, 200));
  send({ result: { sent, received: rtts.length, bytesReceived: 0, elapsedMs: performance.now() - t0, rtts: rtts.sort((x, y) => x - y) } });
  a.close();
  b.close();
}

/** Open-loop load: one pair sending at a fixed packet rate regardless of delivery. */
async function paced(task: Extract<WorkerTask, { kind: 'paced' }>): Promise<void> {
  const tx = await DerpClient.connect({ url: task.url });
  const rx = await DerpClient.connect({ url: task.url });
  const result: WorkerResult = { sent: 0, received: 0, bytesReceived: 0, elapsedMs: 0 };
  rx.onPacket = (_s, p) => {
    result.received++;
    result.bytesReceived += p.length;
  };
  send({ ready: true });
  await new Promise<void>((resolve) => process.once('message', () => resolve()));
  const payload = Buffer.alloc(task.size, 1);
  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const due = Math.floor(((performance.now() - t0) / 1000) * task.pps);
      tx.cork();
      while (result.sent < due) {
        tx.send(rx.publicKey, payload);
        result.sent++;
      }
      tx.uncork();
      if (performance.now() - t0 >= task.durationMs) {
        clearInterval(timer);
        resolve();
      }
    }, 2);
  });
  await new Promise((r) => setTimeout(r, 300));
  result.elapsedMs = performance.now() - t0;
  send({ result: { ...result } });
  tx.close();
  rx.close();
}

const task = JSON.parse(process.env.DERPDESK_BENCH_TASK ?? '{}') as WorkerTask;
const runners: { [K in WorkerTask['kind']]: (t: Extract<WorkerTask, { kind: K }>) => Promise<void> } = { flood, idle, stun, handshakes, latency, paced };
const run = (runners[task.kind] as (t: WorkerTask) => Promise<void>)(task);
run.then(
  () => setTimeout(() => process.exit(0), 100),
  (err: Error) => {
    send({ error: err.message });
    process.exit(1);
  },
);
