/**
 * Packet load through the relay (or the loopback pipe), one process per sender/receiver pair: closed-loop runs,
 * open-loop runs at a set offered rate, and the RFC 2544 search for the highest rate delivered without loss.
 */
import { procStats, runWorkers, startWorker, sum, type RelayProcess } from './process.js';
import { WARMUP_MS, type BenchCert } from './types.js';
import type { WorkerResult, WorkerTask } from './worker.js';

/** RFC 2544 allows no loss; on a shared 2-core machine we accept 1% (the definition of zero loss). */
export const ZERO_LOSS_DELIVERY = 0.99;

export interface LoadFigure {
  pairs: number;
  size: number;
  /** Open loop: the offered rate; closed loop: what the senders sent. */
  offeredPps: number;
  pps: number;
  mbps: number;
  /** Share of offered packets that arrived. */
  delivered: number;
  relayCpuPct: number;
  /** Relay CPU seconds per GB of payload delivered. */
  cpuSecPerGB: number;
}

function figure(
  results: WorkerResult[],
  pairs: number,
  size: number,
  cpuSeconds: number,
  windowSeconds: number,
): LoadFigure {
  const elapsed = Math.max(...results.map((r) => r.elapsedMs)) / 1000;
  const received = sum(results, 'received');
  const sent = sum(results, 'sent');
  const bytes = sum(results, 'bytesReceived');
  return {
    pairs,
    size,
    offeredPps: sent / elapsed,
    pps: received / elapsed,
    mbps: bytes / elapsed / 1e6,
    delivered: sent ? Math.min(1, received / sent) : 0,
    relayCpuPct: (cpuSeconds / windowSeconds) * 100,
    cpuSecPerGB: bytes ? cpuSeconds / (bytes / 1e9) : NaN,
  };
}

/** Runs the tasks, reading the relay's CPU time at the start and end of the measured window (after `skipMs`). */
async function measured(
  cpu: () => number,
  tasks: WorkerTask[],
  pairs: number,
  size: number,
  skipMs: number,
  durationMs: number,
): Promise<LoadFigure> {
  let cpu0 = NaN;
  let cpu1 = NaN;
  const timers: NodeJS.Timeout[] = [];
  const results = await runWorkers(tasks, () => {
    timers.push(setTimeout(() => (cpu0 = cpu()), skipMs));
    timers.push(setTimeout(() => (cpu1 = cpu()), skipMs + durationMs));
  });
  for (const t of timers) clearTimeout(t);
  return figure(results, pairs, size, cpu1 - cpu0, durationMs / 1000);
}

export function closedLoop(relay: RelayProcess, pairs: number, size: number, durationMs: number): Promise<LoadFigure> {
  return measured(
    relay.cpuSeconds,
    Array.from({ length: pairs }, () => ({ kind: 'flood' as const, url: relay.url, size, durationMs })),
    pairs,
    size,
    0,
    durationMs,
  );
}

/** `pps` packets/s offered in all, split evenly over the pairs. */
export function openLoop(
  relay: RelayProcess,
  pairs: number,
  size: number,
  pps: number,
  durationMs: number,
): Promise<LoadFigure> {
  const tasks = Array.from({ length: pairs }, () => ({
    kind: 'paced' as const,
    url: relay.url,
    size,
    pps: pps / pairs,
    durationMs,
  }));
  return measured(relay.cpuSeconds, tasks, pairs, size, WARMUP_MS, durationMs);
}

export interface ZeroLoss {
  /** The highest offered rate that delivered at least ZERO_LOSS_DELIVERY. */
  best: LoadFigure;
  /** The same load at 1.5x that rate: how the relay degrades past it. */
  over: LoadFigure;
  trials: LoadFigure[];
}

/**
 * Finds the zero-loss rate: grow from `guess` by 1.5x until a trial loses packets, then bisect down to `resolution`
 * (a fraction of the rate). `trial` runs one full open-loop load at the given offered rate.
 */
export async function zeroLossSearch(
  trial: (pps: number) => Promise<LoadFigure>,
  guess: number,
  resolution = 0.03,
): Promise<ZeroLoss> {
  const trials: LoadFigure[] = [];
  const run = async (pps: number) => {
    const f = await trial(pps);
    trials.push(f);
    return f;
  };
  const passes = (f: LoadFigure) => f.delivered >= ZERO_LOSS_DELIVERY;
  let lo = 0;
  let hi = guess;
  let best: LoadFigure | null = null;
  for (let f = await run(hi); passes(f) && trials.length < 6; f = await run(hi)) {
    best = f;
    lo = hi;
    hi *= 1.5;
  }
  while (hi - lo > hi * resolution && trials.length < 14) {
    const mid = lo === 0 ? hi / 2 : (lo + hi) / 2;
    const f = await run(mid);
    if (passes(f)) {
      best = f;
      lo = mid;
    } else {
      hi = mid;
    }
  }
  if (!best) throw new Error(`no rate down to ${Math.round(hi)} packets/s delivered ${ZERO_LOSS_DELIVERY * 100}%`);
  return { best, over: await run(best.offeredPps * 1.5), trials };
}

export interface PipeServer {
  port: number;
  /** Both legs are TLS with the benchmark certificate. */
  tls: boolean;
  cpuSeconds(): number;
  stop(): void;
}

/**
 * A pipe in one Node process (socket.pipe between paired connections): the loopback ceiling, over plain TCP, or
 * over TLS when given the certificate (what terminating TLS on both legs costs without any DERP work).
 */
export async function startPipeServer(cert?: BenchCert): Promise<PipeServer> {
  const server = startWorker({ kind: 'pipe-server', tls: cert });
  const { port } = (await server.ready) as { port: number };
  return {
    port,
    tls: cert !== undefined,
    cpuSeconds: () => procStats(server.child.pid!).cpuSeconds,
    stop: () => void server.child.kill(),
  };
}

/** The same closed-loop load as `closedLoop`, through the pipe. */
export function pipeClosedLoop(pipe: PipeServer, pairs: number, size: number, durationMs: number): Promise<LoadFigure> {
  const tasks = Array.from({ length: pairs }, () => ({
    kind: 'pipe-flood' as const,
    port: pipe.port,
    tls: pipe.tls,
    size,
    durationMs,
  }));
  return measured(pipe.cpuSeconds, tasks, pairs, size, 0, durationMs);
}
