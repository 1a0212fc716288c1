/**
 * Runs map jobs (map-jobs.ts) in one long-lived worker thread, so that parsing or diffing a large map never
 * stalls the relay, which shares this process's event loop. Jobs run one at a time from a bounded queue; a job
 * that overruns its time is stopped by terminating the worker, and the next job gets a fresh one.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import { MapShapeError } from '../derpmap/convert.js';
import { MapParseError } from '../derpmap/map-errors.js';
import { errorMessage } from '../../shared/errors.js';
import type { MapJobName, MapJobs } from './map-jobs.js';
import type { JobReply, JobRequest } from './map-worker.js';
import { fromPiecesSliced, packSliced, transferList, unpack, type Packed } from './sliced-transfer.js';

export interface MapWorkOptions {
  /** The worker bundle; by default the one beside the running bundle. */
  workerFile?: string;
  /** Per job; parsing a 4 MiB derp.yaml takes about 5 s on an idle core. */
  timeoutMs?: number;
  /** Jobs waiting behind the running one before new ones are refused. */
  maxQueued?: number;
  /** The worker's heap: a job that needs more fails alone instead of taking the app down. */
  maxHeapMb?: number;
}

export class MapWorkError extends Error {}

/**
 * Bundled, the worker sits beside this bundle in the same module format: dist/map-worker.mjs beside dist/cli.mjs,
 * dist/electron/map-worker.cjs beside dist/electron/main.cjs (whose import.meta.url the build defines). From the
 * TypeScript sources (the tests), it is the last build's: npm test builds first.
 */
export function defaultWorkerFile(): string {
  const here = fileURLToPath(import.meta.url);
  if (path.extname(here) === '.ts') return path.resolve(path.dirname(here), '../../dist/map-worker.mjs');
  return workerFileBeside(here);
}

/** The worker bundle beside `bundle`; packaged, Electron cannot start a worker from inside app.asar, so
 * electron-builder.yml unpacks it beside the archive. */
export function workerFileBeside(bundle: string): string {
  const dir = path.dirname(bundle).replace(/([\\/])app\.asar(?=[\\/]|$)/, '$1app.asar.unpacked');
  return path.join(dir, `map-worker${path.extname(bundle)}`);
}

interface Job {
  name: MapJobName;
  args: unknown[];
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
}

function rebuildError(e: { name: string; message: string; line?: number; column?: number }): Error {
  if (e.name === 'MapParseError') return new MapParseError(e.message, e.line, e.column);
  if (e.name === 'MapShapeError') return new MapShapeError(e.message);
  return new MapWorkError(e.message);
}

export class MapWork {
  private readonly workerFile: string;
  private readonly timeoutMs: number;
  private readonly maxQueued: number;
  private readonly maxHeapMb: number;
  private worker: Worker | null = null;
  private running: (Job & { id: number; timer: NodeJS.Timeout }) | null = null;
  private readonly queue: Job[] = [];
  /** A job whose arguments are being encoded: it has left the queue but not reached the worker. */
  private starting = false;
  private closed = false;
  private nextId = 1;

  constructor(opts: MapWorkOptions = {}) {
    this.workerFile = opts.workerFile ?? defaultWorkerFile();
    this.timeoutMs = opts.timeoutMs ?? 60_000;
    this.maxQueued = opts.maxQueued ?? 16;
    this.maxHeapMb = opts.maxHeapMb ?? 1024;
  }

  run<K extends MapJobName>(name: K, ...args: Parameters<MapJobs[K]>): Promise<ReturnType<MapJobs[K]>> {
    if (this.closed) return Promise.reject(new MapWorkError('the map worker was stopped'));
    if (this.queue.length >= this.maxQueued) {
      return Promise.reject(
        new MapWorkError(`the map worker already has ${this.queue.length} jobs waiting; try again when they finish`),
      );
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ name, args, resolve: resolve as (v: unknown) => void, reject });
      this.startNext();
    });
  }

  /** Stops the worker; waiting and running jobs fail. */
  async close(): Promise<void> {
    this.closed = true;
    const err = new MapWorkError('the map worker was stopped');
    for (const job of this.queue.splice(0)) job.reject(err);
    this.finish(null, err);
    const w = this.worker;
    this.worker = null;
    await w?.terminate();
  }

  private spawn(): Worker {
    if (!existsSync(this.workerFile))
      throw new MapWorkError(`the map worker ${this.workerFile} is missing; build it with node scripts/build.mjs`);
    const w = new Worker(this.workerFile, { resourceLimits: { maxOldGenerationSizeMb: this.maxHeapMb } });
    w.on('message', (reply: JobReply) => {
      if (this.running?.id !== reply.id) return;
      this.finish(reply.ok ? reply.value : null, reply.ok ? null : rebuildError(reply.error));
    });
    w.on('error', (err: Error & { code?: string }) =>
      this.lose(
        w,
        err.code === 'ERR_WORKER_OUT_OF_MEMORY' ? `needed more than ${this.maxHeapMb} MB` : `failed: ${err.message}`,
      ),
    );
    w.on('exit', (code) => this.lose(w, `exited with code ${code}`));
    return w;
  }

  /** The worker died under a job: that job fails, and the next one gets a new worker. */
  private lose(w: Worker, why: string): void {
    if (this.worker !== w) return;
    this.worker = null;
    if (this.running)
      this.finish(
        null,
        new MapWorkError(`the map ${this.running.name} job ${why}; the map is too large or too complex`),
      );
  }

  /** Runs the next job: its arguments are encoded a slice at a time, before the job's clock starts. */
  private startNext(): void {
    if (this.running || this.starting || this.queue.length === 0) return;
    const job = this.queue.shift()!;
    this.starting = true;
    packSliced(job.args).then(
      (args) => {
        this.starting = false;
        this.post(job, args);
      },
      (err: unknown) => {
        this.starting = false;
        job.reject(
          new MapWorkError(`cannot pass the ${job.name} job its arguments: ${errorMessage(err)}`, { cause: err }),
        );
        this.startNext();
      },
    );
  }

  private post(job: Job, args: Packed): void {
    if (this.closed) {
      job.reject(new MapWorkError('the map worker was stopped'));
      return;
    }
    try {
      this.worker ??= this.spawn();
    } catch (err) {
      job.reject(err as Error);
      this.startNext();
      return;
    }
    const w = this.worker;
    const id = this.nextId++;
    const timer = setTimeout(() => {
      this.worker = null;
      // Whether or not it stops cleanly, this worker is no longer ours: the next job starts a fresh one.
      w.terminate().catch(() => undefined);
      this.finish(
        null,
        new MapWorkError(
          `the map ${job.name} job took longer than ${this.timeoutMs / 1000} s and was stopped; the map is too large or too complex`,
        ),
      );
    }, this.timeoutMs);
    this.running = { ...job, id, timer };
    // A waiting job keeps the process alive; an idle worker must not.
    w.ref();
    w.postMessage({ id, name: job.name, args } satisfies JobRequest, transferList(args));
  }

  private finish(packed: Packed | null, err: Error | null): void {
    const job = this.running;
    if (!job) return;
    this.running = null;
    clearTimeout(job.timer);
    if (err) job.reject(err);
    else fromPiecesSliced(unpack(packed!)).then(job.resolve, job.reject);
    if (this.queue.length === 0) this.worker?.unref();
    this.startNext();
  }
}

let shared: MapWork | null = null;

/** The process's map worker, started on first use. */
export function mapWork(): MapWork {
  return (shared ??= new MapWork());
}
