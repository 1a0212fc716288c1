/**
 * Relay benchmarks: the relay runs as `derpdesk relay` in its own process; load comes from separate worker
 * processes. Throughput counts packets delivered to receivers, not packets offered.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { BenchResult } from './types.js';
import type { WorkerResult, WorkerTask } from './worker.js';

const DIST = path.resolve(import.meta.dirname);

export interface RelayProcess {
  child: ChildProcess;
  url: string;
  /** Everything the relay printed so far. */
  output(): string;
  rssKiB(): number;
  cpuSeconds(): number;
  stop(): Promise<void>;
}

export async function startRelayProcess(dataDir: string, extraArgs: string[] = ['-stun=false']): Promise<RelayProcess> {
  const child = spawn(process.execPath, [path.join(DIST, 'cli.mjs'), 'relay', '-a', '127.0.0.1:0', ...extraArgs], {
    env: { ...process.env, DERPDESK_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`relay did not start:\n${out}`)), 10_000);
    const onData = (d: Buffer) => {
      out += d;
      const m = /listening on (http:\/\/[^\s,]+\/derp)/.exec(out);
      if (m && (!extraArgs.some((a) => a.startsWith('-stun-listen')) || /STUN listening/.test(out))) {
        clearTimeout(t);
        resolve(m[1].replace('localhost', '127.0.0.1'));
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
  });
  const stat = () => readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return {
    child,
    url,
    output: () => out,
    rssKiB: () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))![1]),
    // utime + stime, fields 14 and 15 of /proc/pid/stat (11 and 12 after the command name).
    cpuSeconds: () => (Number(stat()[11]) + Number(stat()[12])) / 100,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

interface Worker {
  child: ChildProcess;
  ready: Promise<void>;
  result: Promise<WorkerResult>;
}

export function startWorker(task: WorkerTask): Worker {
  const child = fork(path.join(DIST, 'bench-worker.mjs'), [], { env: { ...process.env, DERPDESK_BENCH_TASK: JSON.stringify(task) }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let readyResolve!: () => void;
  let resultResolve!: (r: WorkerResult) => void;
  let fail!: (e: Error) => void;
  const ready = new Promise<void>((r, j) => {
    readyResolve = r;
    fail = j;
  });
  const result = new Promise<WorkerResult>((r, j) => {
    resultResolve = r;
    const prev = fail;
    fail = (e) => {
      prev(e);
      j(e);
    };
  });
  child.on('message', (m: { ready?: boolean; result?: WorkerResult; error?: string }) => {
    if (m.ready) readyResolve();
    if (m.result) resultResolve(m.result);
    if (m.error) fail(new Error(`bench worker: ${m.error}`));
  });
  child.on('exit', (code) => code !== 0 && fail(new Error(`bench worker exited with ${code}`)));
  ready.catch(() => {});
  result.catch(() => {});
  return { child, ready, result };
}

export async function runWorkers(tasks: WorkerTask[]): Promise<WorkerResult[]> {
  const workers = tasks.map(startWorker);
  await Promise.all(workers.map((w) => w.ready));
  for (const w of workers) w.child.send('go');
  return Promise.all(workers.map((w) => w.result));
}

export interface ThroughputFigure {
  pairs: number;
  size: number;
  pps: number;
  mbps: number;
  delivered: number;
  relayCpuPct: number;
}

/** `pairs` sender/receiver pairs, each pair in its own worker process, flooding through the relay. */
export async function measureThroughput(relay: RelayProcess, pairs: number, size: number, durationMs: number): Promise<ThroughputFigure> {
  const cpu0 = relay.cpuSeconds();
  const t0 = performance.now();
  const results = await runWorkers(Array.from({ length: pairs }, () => ({ kind: 'flood' as const, url: relay.url, pairs: 1, size, durationMs })));
  const wall = (performance.now() - t0) / 1000;
  const cpu = relay.cpuSeconds() - cpu0;
  const elapsed = Math.max(...results.map((r) => r.elapsedMs)) / 1000;
  const received = results.reduce((n, r) => n + r.received, 0);
  const sent = results.reduce((n, r) => n + r.sent, 0);
  const bytes = results.reduce((n, r) => n + r.bytesReceived, 0);
  return {
    pairs,
    size,
    pps: received / elapsed,
    mbps: bytes / elapsed / 1e6,
    delivered: sent ? received / sent : 0,
    relayCpuPct: (cpu / wall) * 100,
  };
}

export async function measureIdleMemory(relay: RelayProcess, clients: number): Promise<number> {
  const before = relay.rssKiB();
  const w = startWorker({ kind: 'idle', url: relay.url, clients });
  await w.ready;
  await new Promise((r) => setTimeout(r, 500));
  const after = relay.rssKiB();
  w.child.send('go');
  await w.result;
  return ((after - before) * 1024) / clients;
}

/** Handshakes from `procs` load processes at once; the relay's CPU share tells whether it or the load was the bound. */
export async function measureHandshakes(relay: RelayProcess, count: number, procs = 4): Promise<{ rate: number; relayCpuPct: number }> {
  const cpu0 = relay.cpuSeconds();
  const t0 = performance.now();
  const rs = await runWorkers(Array.from({ length: procs }, () => ({ kind: 'handshakes' as const, url: relay.url, count: Math.ceil(count / procs), concurrency: 16 })));
  const wall = (performance.now() - t0) / 1000;
  const secs = Math.max(...rs.map((r) => r.elapsedMs)) / 1000;
  return { rate: rs.reduce((n, r) => n + r.received, 0) / secs, relayCpuPct: ((relay.cpuSeconds() - cpu0) / wall) * 100 };
}

export interface LatencyFigure {
  p50: number;
  p99: number;
  p999: number;
  samples: number;
}

function percentiles(sorted: number[]): LatencyFigure {
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  return { p50: at(0.5), p99: at(0.99), p999: at(0.999), samples: sorted.length };
}

/** Round trips at 500/s, alone or beside `loadPps` packets/s of 1200-byte open-loop load from 4 processes. */
export async function measureLatency(relay: RelayProcess, durationMs: number, loadPps = 0): Promise<LatencyFigure & { loadDelivered: number }> {
  const load: WorkerTask[] = loadPps > 0 ? Array.from({ length: 4 }, () => ({ kind: 'paced' as const, url: relay.url, size: 1200, pps: loadPps / 4, durationMs })) : [];
  const results = await runWorkers([{ kind: 'latency', url: relay.url, rate: 500, durationMs }, ...load]);
  const loadSent = results.slice(1).reduce((n, r) => n + r.sent, 0);
  const loadGot = results.slice(1).reduce((n, r) => n + r.received, 0);
  return { ...percentiles(results[0].rtts ?? []), loadDelivered: loadSent ? loadGot / loadSent : 1 };
}

async function latencyResult(relay: RelayProcess, durationMs: number, rows: Array<Record<string, string | number>>): Promise<BenchResult> {
  // The closed-loop 1200-byte, 8-pair rate stands in for the zero-loss rate until the RFC 2544 search exists.
  const ref = Number(rows.find((r) => r['packet bytes'] === 1200 && r.pairs === 8)?.['delivered packets/s'] ?? 0);
  const out: Array<Record<string, string | number>> = [];
  for (const [label, pps] of [['idle', 0], ['50% of the closed-loop rate', ref * 0.5], ['90% of the closed-loop rate', ref * 0.9]] as const) {
    const l = await measureLatency(relay, durationMs, pps);
    out.push({ load: label, 'offered packets/s': Math.round(pps), 'p50 ms': l.p50.toFixed(3), 'p99 ms': l.p99.toFixed(3), 'p99.9 ms': l.p999.toFixed(3), 'load delivered': `${(l.loadDelivered * 100).toFixed(1)}%`, samples: l.samples });
    process.stdout.write(`  ${JSON.stringify(out.at(-1))}\n`);
  }
  return {
    title: 'Round-trip latency through the relay (64-byte echo at 500/s, 1200-byte open-loop load from 4 processes)',
    rows: out,
    notes: ['Round trip = client A -> relay -> client B -> relay -> client A, all on loopback.'],
  };
}

export async function benchRelay(dataDir: string, opts: { durationMs: number; idleClients: number }): Promise<BenchResult[]> {
  const relay = await startRelayProcess(dataDir);
  try {
    // Memory first, on a fresh process, so that heap grown by the throughput runs does not hide the cost.
    const perClient = await measureIdleMemory(relay, opts.idleClients);
    const hs = await measureHandshakes(relay, 4000);
    const rows: Array<Record<string, string | number>> = [];
    for (const size of [100, 1200]) {
      for (const pairs of [1, 8]) {
        const f = await measureThroughput(relay, pairs, size, opts.durationMs);
        const row = {
          'packet bytes': size,
          pairs,
          'delivered packets/s': Math.round(f.pps),
          'delivered MB/s': Number(f.mbps.toFixed(1)),
          'delivered / offered': `${(f.delivered * 100).toFixed(1)}%`,
          'relay CPU': `${f.relayCpuPct.toFixed(0)}%`,
        };
        rows.push(row);
        process.stdout.write(`  ${JSON.stringify(row)}\n`);
      }
    }
    return [
      {
        title: 'Relay throughput (one relay process; closed-loop load, one process per pair)',
        rows,
        notes: [
          'Closed loop: each sender keeps at most 128 KiB of packets in flight (sent but not yet received), so the offered load follows what the relay delivers; "delivered / offered" is the share of sent packets that arrived within the window.',
          'All processes share the same 2 cores: the load generator competes with the relay for CPU.',
        ],
      },
      {
        title: 'Relay memory and handshakes',
        rows: [
          { figure: `RSS per idle client (${opts.idleClients} clients)`, value: `${(perClient / 1024).toFixed(1)} KiB` },
          { figure: 'handshakes per second (4 load processes × 16 concurrent)', value: `${Math.round(hs.rate)} (relay CPU ${hs.relayCpuPct.toFixed(0)}%)` },
        ],
      },
      await latencyResult(relay, opts.durationMs, rows),
    ];
  } finally {
    await relay.stop();
  }
}
