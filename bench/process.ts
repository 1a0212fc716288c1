/**
 * Processes the benchmarks run: the relay as `derpdesk relay` (its CPU and RSS read from /proc), and load
 * generators forked from bench/worker.ts, each told its task and started together on "go".
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { RELAY_V8_FLAGS } from '../electron/cli/v8-flags.js';
import { loadOrCreateSelfSigned } from '../electron/relay/selfsigned.js';
import { BENCH_TLS_NAME, type BenchCert } from './types.js';
import type { WorkerResult, WorkerTask } from './worker.js';

const DIST = path.resolve(import.meta.dirname);
/** The relay under test: this build's, or another build's `dist/cli.mjs` (DERPDESK_BENCH_RELAY_CLI) under the same load. */
export const RELAY_CLI = path.resolve(process.env.DERPDESK_BENCH_RELAY_CLI ?? path.join(DIST, 'cli.mjs'));
/** DERPDESK_BENCH_PROFILE=<dir> writes a V8 CPU profile of the relay and of every load process there. */
const PROFILE = process.env.DERPDESK_BENCH_PROFILE
  ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(process.env.DERPDESK_BENCH_PROFILE)}`]
  : [];

export interface RelayProcess {
  /** "derpdesk" or "derper": whose relay this is, for the tables. */
  name: string;
  child: ChildProcess;
  url: string;
  /** Everything the relay printed so far. */
  output(): string;
  rssKiB(): number;
  cpuSeconds(): number;
  stop(): Promise<void>;
}

/** DERPDESK_BENCH_WORKERS=N runs the relay as `derpdesk relay -workers N`; its CPU and RSS are then the sum of all. */
export const RELAY_WORKERS = Number(process.env.DERPDESK_BENCH_WORKERS ?? 1);

/** Reads a process's CPU time (utime + stime) and resident memory from /proc. */
export function procStats(pid: number): { cpuSeconds: number; rssKiB: number } {
  // Fields 14 and 15 of /proc/pid/stat, counted after the parenthesised command name.
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  const rss = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return { cpuSeconds: (Number(f[11]) + Number(f[12])) / 100, rssKiB: Number(rss?.[1] ?? 0) };
}

export interface RelayOptions {
  /** Serve TLS with the benchmark certificate (bench/types.ts BENCH_TLS_NAME). */
  tls?: BenchCert & { certdir: string };
  args?: string[];
  /** Another build's `dist/cli.mjs` instead of RELAY_CLI, to measure two builds side by side in one run. */
  cli?: string;
  /** `-workers`: relay processes (default DERPDESK_BENCH_WORKERS, else 1). */
  workers?: number;
}

/** The self-signed certificate every TLS benchmark serves, made once in the data directory. */
export async function benchCertificate(dataDir: string): Promise<BenchCert & { certdir: string }> {
  const certdir = path.join(dataDir, 'bench-certs');
  await loadOrCreateSelfSigned(certdir, BENCH_TLS_NAME);
  return {
    certdir,
    certFile: path.join(certdir, `${BENCH_TLS_NAME}.crt`),
    keyFile: path.join(certdir, `${BENCH_TLS_NAME}.key`),
  };
}

function relayUrl(port: number, tls: boolean): string {
  return tls ? `https://${BENCH_TLS_NAME}:${port}/derp` : `http://127.0.0.1:${port}/derp`;
}

/**
 * The process and its children (a -workers primary's workers), summed. A worker that exits takes its CPU time
 * with it; benchmarks run with no worker exits.
 */
function treeStats(pid: number): { cpuSeconds: number; rssKiB: number } {
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean);
  const all = [procStats(pid)];
  for (const child of children) {
    // A worker may exit between the listing and the read.
    if (existsSync(`/proc/${child}/stat`)) all.push(procStats(Number(child)));
  }
  return {
    cpuSeconds: all.reduce((n, s) => n + s.cpuSeconds, 0),
    rssKiB: all.reduce((n, s) => n + s.rssKiB, 0),
  };
}

/** Asks a child process to stop (SIGTERM) and resolves once it has exited. */
export function stopChild(child: ChildProcess): Promise<void> {
  return new Promise<void>((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

function processHandle(name: string, child: ChildProcess, url: string, output: () => string): RelayProcess {
  return {
    name,
    child,
    url,
    output,
    rssKiB: () => treeStats(child.pid!).rssKiB,
    cpuSeconds: () => treeStats(child.pid!).cpuSeconds,
    stop: () => stopChild(child),
  };
}

export async function startRelayProcess(dataDir: string, opts: RelayOptions = {}): Promise<RelayProcess> {
  const args = opts.args ?? ['-stun=false'];
  const tlsArgs = opts.tls
    ? ['-certmode', 'manual', '-certdir', opts.tls.certdir, '-hostname', BENCH_TLS_NAME, '-http-port', '-1']
    : [];
  const workers = opts.workers ?? RELAY_WORKERS;
  const workerArgs = workers > 1 ? ['-workers', String(workers)] : [];
  // With the V8 flags the `derpdesk` command runs the relay with.
  const cli = [
    ...RELAY_V8_FLAGS,
    opts.cli ?? RELAY_CLI,
    'relay',
    '-a',
    '127.0.0.1:0',
    ...tlsArgs,
    ...workerArgs,
    ...args,
  ];
  const child = spawn(process.execPath, [...PROFILE, ...cli], {
    env: { ...process.env, DERPDESK_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const port = await new Promise<number>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`relay did not start:\n${out}`)), 15_000);
    const onData = (d: Buffer) => {
      out += d;
      const m = /listening on https?:\/\/[^\s,]+:(\d+)\/derp/.exec(out);
      const stunUp = !args.some((a) => a.startsWith('-stun-listen')) || /STUN listening/.test(out);
      if (m && stunUp && (workers === 1 || / workers ready /.test(out))) {
        clearTimeout(t);
        resolve(Number(m[1]));
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`relay exited with ${code}:\n${out}`)));
  });
  return processHandle('derpdesk', child, relayUrl(port, opts.tls !== undefined), () => out);
}

/** DERPDESK_BENCH_DERPER=<path to derper> adds Tailscale's relay, measured under the same load in the same run. */
export const DERPER_BIN = process.env.DERPDESK_BENCH_DERPER ? path.resolve(process.env.DERPDESK_BENCH_DERPER) : null;

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/** Polls derper's latency probe until it answers: derper logs the address it was given, not the port it bound. */
async function waitForProbe(port: number, secure: boolean, out: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const opts = { host: '127.0.0.1', port, path: '/derp/probe', timeout: 1000 };
      const req = secure
        ? https.get({ ...opts, servername: BENCH_TLS_NAME, rejectUnauthorized: false }, (r) =>
            resolve(r.statusCode === 200),
          )
        : http.get(opts, (r) => resolve(r.statusCode === 200));
      req.on('error', () => resolve(false));
      req.on('timeout', () => req.destroy());
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`derper did not answer its probe:\n${out()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * derper v1.34: plain HTTP on a port other than 443 under its default cert mode; TLS with -certmode manual and the
 * benchmark certificate (it finds <hostname>.crt/.key in -certdir and requires SNI to match -hostname).
 */
export async function startDerperProcess(dataDir: string, opts: Pick<RelayOptions, 'tls'> = {}): Promise<RelayProcess> {
  if (!DERPER_BIN) throw new Error('DERPDESK_BENCH_DERPER is not set');
  const port = await freePort();
  const tlsArgs = opts.tls ? ['-certmode', 'manual', '-certdir', opts.tls.certdir, '-hostname', BENCH_TLS_NAME] : [];
  const args = ['-a', `127.0.0.1:${port}`, '-stun=false', '-http-port', '-1', '-c', path.join(dataDir, 'derper.json')];
  const child = spawn(DERPER_BIN, [...args, ...tlsArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d));
  child.stderr!.on('data', (d: Buffer) => (out += d));
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`derper exited with ${code}:\n${out}`))),
  );
  exited.catch(() => {});
  await Promise.race([waitForProbe(port, opts.tls !== undefined, () => out), exited]);
  return processHandle('derper', child, relayUrl(port, opts.tls !== undefined), () => out);
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
  // The latency probe is light and must not measure its own wait for the CPU; the pipe server stands where a relay
  // stands, so it runs at the relay's priority.
  if (task.kind !== 'latency' && task.kind !== 'pipe-server') os.setPriority(child.pid!, LOAD_NICENESS);
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
