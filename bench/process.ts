/**
 * Processes the benchmarks run: the relay as `derpdesk relay` (its CPU and RSS read from /proc), and load
 * generators forked from bench/worker.ts, each told its task and started together on "go".
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { WorkerResult, WorkerTask } from './worker.js';

const DIST = path.resolve(import.meta.dirname);
/** The relay under test: this build's, or another build's `dist/cli.mjs` (DERPDESK_BENCH_RELAY_CLI) under the same load. */
export const RELAY_CLI = path.resolve(process.env.DERPDESK_BENCH_RELAY_CLI ?? path.join(DIST, 'cli.mjs'));
/** DERPDESK_BENCH_PROFILE=<dir> writes a V8 CPU profile of the relay and of every load process there. */
const PROFILE = process.env.DERPDESK_BENCH_PROFILE
  ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(process.env.DERPDESK_BENCH_PROFILE)}`]
  : [];

export interface RelayProcess {
  child: ChildProcess;
  url: string;
  /** Everything the relay printed so far. */
  output(): string;
  rssKiB(): number;
  cpuSeconds(): number;
  stop(): Promise<void>;
}

/** Reads a process's CPU time (utime + stime) and resident memory from /proc. */
export function procStats(pid: number): { cpuSeconds: number; rssKiB: number } {
  // Fields 14 and 15 of /proc/pid/stat, counted after the parenthesised command name.
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  const rss = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return { cpuSeconds: (Number(f[11]) + Number(f[12])) / 100, rssKiB: Number(rss?.[1] ?? 0) };
}

export interface RelayOptions {
  /** Serve TLS with a self-signed certificate (made once in the data directory). */
  tls?: boolean;
  args?: string[];
}

export async function startRelayProcess(dataDir: string, opts: RelayOptions = {}): Promise<RelayProcess> {
  const args = opts.args ?? ['-stun=false'];
  const tlsArgs = opts.tls ? ['-certmode', 'self-signed', '-hostname', '127.0.0.1', '-http-port', '-1'] : [];
  const child = spawn(process.execPath, [...PROFILE, RELAY_CLI, 'relay', '-a', '127.0.0.1:0', ...tlsArgs, ...args], {
    env: { ...process.env, DERPDESK_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`relay did not start:\n${out}`)), 15_000);
    const onData = (d: Buffer) => {
      out += d;
      const m = /listening on (https?:\/\/[^\s,]+\/derp)/.exec(out);
      if (m && (!args.some((a) => a.startsWith('-stun-listen')) || /STUN listening/.test(out))) {
        clearTimeout(t);
        resolve(m[1].replace('localhost', '127.0.0.1'));
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`relay exited with ${code}:\n${out}`)));
  });
  return {
    child,
    url,
    output: () => out,
    rssKiB: () => procStats(child.pid!).rssKiB,
    cpuSeconds: () => procStats(child.pid!).cpuSeconds,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

const LOAD_NICENESS = 10;

export interface Worker {
  child: ChildProcess;
  /** Resolves with what the worker reported when it was ready (e.g. a port it listens on). */
  ready: Promise<Record<string, unknown>>;
  result: Promise<WorkerResult>;
}

export function startWorker(task: WorkerTask): Worker {
  const child = fork(path.join(DIST, 'bench-worker.mjs'), [], {
    execArgv: PROFILE,
    env: { ...process.env, DERPDESK_BENCH_TASK: JSON.stringify(task) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  // The load shares the 2 cores with the relay; at a lower priority it, not the relay, waits when they are busy,
  // as it would on separate machines. Otherwise the scheduler's fair share gives the relay 1/9 of the CPU.
  // The latency probe is light and must not measure its own wait for the CPU.
  if (task.kind !== 'latency') os.setPriority(child.pid!, LOAD_NICENESS);
  let readyResolve!: (info: Record<string, unknown>) => void;
  let resultResolve!: (r: WorkerResult) => void;
  let readyReject!: (e: Error) => void;
  let resultReject!: (e: Error) => void;
  const ready = new Promise<Record<string, unknown>>((r, j) => {
    readyResolve = r;
    readyReject = j;
  });
  const result = new Promise<WorkerResult>((r, j) => {
    resultResolve = r;
    resultReject = j;
  });
  const fail = (e: Error) => {
    readyReject(e);
    resultReject(e);
  };
  child.on(
    'message',
    (m: { ready?: Record<string, unknown>; result?: WorkerResult; error?: string; round?: number }) => {
      if (m.ready) readyResolve(m.ready);
      if (m.round !== undefined) child.emit('round', m.round);
      if (m.result) resultResolve(m.result);
      if (m.error) fail(new Error(`bench worker (${task.kind}): ${m.error}`));
    },
  );
  child.on('exit', (code) => code !== 0 && fail(new Error(`bench worker (${task.kind}) exited with ${code}`)));
  ready.catch(() => {});
  result.catch(() => {});
  return { child, ready, result };
}

/** Starts one worker per task, waits until all are connected, then starts them at once (calling `onGo`). */
export async function runWorkers(tasks: WorkerTask[], onGo?: () => void): Promise<WorkerResult[]> {
  const workers = tasks.map(startWorker);
  await Promise.all(workers.map((w) => w.ready));
  onGo?.();
  for (const w of workers) w.child.send('go');
  return Promise.all(workers.map((w) => w.result));
}

export const sum = (rs: WorkerResult[], k: 'sent' | 'received' | 'bytesReceived'): number =>
  rs.reduce((n, r) => n + (r[k] ?? 0), 0);
