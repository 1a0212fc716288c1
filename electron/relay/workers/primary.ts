/**
 * The primary of `derpdesk relay -workers N`: it reads the server key once, runs STUN once, and forks N relay
 * workers with Node's cluster module. On Linux the primary accepts each TCP connection and hands it to a worker in
 * turn (cluster's SCHED_RR), so TLS and DERP work spread over the cores. The primary tells the workers where the
 * others listen, collects /debug/varz parts, forwards SIGHUP (reload) and SIGTERM/SIGINT (stop), and replaces a
 * worker that dies; that worker's clients reconnect, as after a derper restart. With -certmode letsencrypt it runs
 * the ACME orders and sends every worker the certificate and the challenges' answers.
 */
import cluster, { type Worker } from 'node:cluster';
import { randomBytes } from 'node:crypto';
import { loadOrCreateServerKey, type LoadedServerKey } from '../keyfile.js';
import { AcmeCertManager, AcmeConfigError, type AcmeConfig } from '../acme/manager.js';
import { PrimaryCertificates } from './primary-certificates.js';
import type { Logger } from '../../util/log.js';
import { isMessage, type ToPrimary, type ToWorker, type WorkerPeer } from './messages.js';
import { errorMessage } from '../../../shared/errors.js';

/** STUN as the primary runs it: once, on behalf of every worker. */
export interface PrimaryStun {
  /** False when the sockets cannot be bound (the reason already printed). */
  start(): Promise<boolean>;
  varz(): string[];
  stop(): Promise<void>;
}

export interface PrimaryOptions {
  workers: number;
  keyFile: string;
  log: Logger;
  stun: PrimaryStun | null;
  /** -certmode letsencrypt: the primary runs the orders for every worker; `httpChallenge` when -http-port serves. */
  acme: { config: AcmeConfig; httpChallenge: boolean } | null;
}

const MIN_RESTART_MS = 500;
const MAX_RESTART_MS = 30_000;
/** A worker that ran this long before dying was not crash-looping: its replacement starts without delay. */
const STABLE_MS = 30_000;
/** How long the primary waits for each worker's varz part; a slower worker is left out of that answer. */
const VARZ_PART_TIMEOUT_MS = 2_000;
/** Workers still running this long after SIGTERM (their clients had a 2 s grace) are killed. */
const STOP_TIMEOUT_MS = 15_000;

interface Slot {
  index: number;
  worker: Worker | null;
  /** Set once the worker serves and listens for the others' links. */
  peer: WorkerPeer | null;
  /** Its links to every other serving worker are up (since the last change of who serves). */
  linked: boolean;
  /** It has its configuration, so certificates and challenges are sent to it from now on. */
  configured: boolean;
  startedAt: number;
  starts: number;
  restartDelayMs: number;
}

function sendTo(worker: Worker, m: ToWorker): void {
  // A worker that just died gets nothing; its exit is handled on its own.
  if (worker.isConnected()) worker.send(m, undefined, () => {});
}

/** Runs the relay as N workers until SIGTERM or SIGINT; resolves with the exit code. */
export async function runPrimary(opts: PrimaryOptions): Promise<number> {
  const { log } = opts;
  let key: LoadedServerKey;
  try {
    key = await loadOrCreateServerKey(opts.keyFile);
  } catch (err) {
    process.stderr.write(`derpdesk relay: ${errorMessage(err)}\n`);
    return 2;
  }
  if (key.created) log.info(`derpdesk relay: created server key file ${opts.keyFile}`);
  if (key.looseMode !== undefined)
    log.warn(
      `key file ${opts.keyFile} has mode ${key.looseMode.toString(8)}; run chmod 600 on it, a private key should be readable by its owner only`,
    );
  const pool = new WorkerPool(opts, key.privateKey.toString('hex'));
  if (opts.acme) {
    try {
      const { config, httpChallenge } = opts.acme;
      pool.certificates.use(
        await AcmeCertManager.open(config, { httpChallenge, logger: log, share: pool.certificates }),
      );
    } catch (err) {
      if (!(err instanceof AcmeConfigError)) throw err;
      process.stderr.write(`derpdesk relay: ${err.message}\n`);
      return 2;
    }
  }
  // From here on, or a `systemctl reload` while starting would end the primary.
  process.on('SIGHUP', () => pool.reload());
  if (opts.stun && !(await opts.stun.start())) return 1;
  const failure = await pool.start();
  if (failure !== null) {
    await opts.stun?.stop();
    return failure;
  }
  pool.certificates.start();
  return pool.runUntilSignalled();
}

class WorkerPool {
  private readonly slots: Slot[];
  private readonly meshKey = randomBytes(32).toString('hex');
  private readonly varzParts = new Map<number, (text: string) => void>();
  private nextCollection = 1;
  private stopping = false;
  /** A worker that did not exit 0 when told to stop (killed after the timeout, or its stop failed). */
  private uncleanStop = false;
  /** Resolves start(): null once every worker serves, or the exit code when one could not start. */
  private settleStart: ((failure: number | null) => void) | null = null;
  private startFailure: { message: string; exitCode: number } | null = null;
  private onAllExited: (() => void) | null = null;
  readonly certificates: PrimaryCertificates;

  constructor(
    private readonly opts: PrimaryOptions,
    private readonly serverPrivateKey: string,
  ) {
    this.slots = Array.from({ length: opts.workers }, (_, index) => ({
      index,
      worker: null,
      peer: null,
      linked: false,
      configured: false,
      startedAt: 0,
      starts: 0,
      restartDelayMs: MIN_RESTART_MS,
    }));
    this.certificates = new PrimaryCertificates(
      {
        configured: () =>
          this.slots.flatMap((s) => (s.worker && s.configured ? [{ index: s.index, worker: s.worker }] : [])),
        send: sendTo,
      },
      opts.log,
    );
  }

  start(): Promise<number | null> {
    return new Promise((resolve) => {
      this.settleStart = resolve;
      for (const slot of this.slots) this.fork(slot);
    });
  }

  /** SIGHUP for every serving worker (one still starting reads its files anyway). */
  reload(): void {
    this.opts.log.info('derpdesk relay: SIGHUP: each worker re-reads its files');
    for (const slot of this.slots) if (slot.peer) slot.worker?.process.kill('SIGHUP');
  }

  /** Serves until SIGTERM or SIGINT; resolves with the exit code once every worker is gone. */
  runUntilSignalled(): Promise<number> {
    return new Promise((resolve) => {
      const stop = (signal: string) => {
        this.opts.log.info(`derpdesk relay: ${signal}, stopping the ${this.slots.length} workers`);
        this.stopAll()
          .then(() => this.opts.stun?.stop())
          .then(
            () => resolve(this.uncleanStop ? 1 : 0),
            () => resolve(1),
          );
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
    });
  }

  private fork(slot: Slot): void {
    const worker = cluster.fork();
    slot.worker = worker;
    slot.peer = null;
    slot.configured = false;
    slot.startedAt = Date.now();
    slot.starts++;
    worker.on('message', (m: unknown) => {
      if (isMessage<ToPrimary>(m)) this.onMessage(slot, worker, m);
    });
    worker.on('exit', (code, signal) => this.onExit(slot, worker, code, signal));
    // An IPC error (a worker gone mid-send) must not end the primary; the exit handler deals with the worker.
    worker.on('error', (err) => this.opts.log.warn(`derpdesk relay: worker ${slot.index + 1}: ${err.message}`));
  }

  private onMessage(slot: Slot, worker: Worker, m: ToPrimary): void {
    switch (m.t) {
      case 'hello':
        sendTo(worker, {
          t: 'config',
          config: {
            index: slot.index,
            count: this.slots.length,
            announce: slot.index === 0 && slot.starts === 1,
            serverPrivateKey: this.serverPrivateKey,
            meshKey: this.meshKey,
            certificates: this.certificates.forConfig(),
          },
        });
        slot.configured = true;
        return;
      case 'up':
        slot.peer = { index: slot.index, pid: worker.process.pid ?? 0, url: m.url, linkKey: m.linkKey };
        this.opts.log.info(
          `derpdesk relay: worker ${slot.index + 1} (pid ${slot.peer.pid}) serving; link for the other workers ${m.url}`,
        );
        this.broadcastPeers();
        return;
      case 'linked':
        slot.linked = slot.peer !== null && m.links === this.slots.filter((s) => s.peer).length - 1;
        if (this.slots.every((s) => s.peer && s.linked)) this.allLinked();
        return;
      case 'failed':
        this.startFailure = { message: m.message, exitCode: m.exitCode };
        return;
      case 'varz?':
        this.collectVarz(worker, m.id);
        return;
      case 'varz-part':
        this.varzParts.get(m.id)?.(m.text);
        return;
      case 'challenge-held':
        this.certificates.held(slot.index, m.id);
    }
  }

  private onExit(slot: Slot, worker: Worker, code: number | null, signal: string | null): void {
    if (slot.worker !== worker) return;
    slot.worker = null;
    slot.peer = null;
    slot.configured = false;
    this.certificates.forget(slot.index);
    this.broadcastPeers();
    if (this.stopping) {
      if (code !== 0) this.uncleanStop = true;
      if (this.slots.every((s) => !s.worker)) this.onAllExited?.();
      return;
    }
    const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
    if (this.settleStart) {
      // A worker that cannot start (a busy port, an unreadable certificate) fails the whole relay, as one process would.
      const failure = this.startFailure;
      process.stderr.write(`derpdesk relay: worker ${slot.index + 1} ${how}${failure ? `: ${failure.message}` : ''}\n`);
      const settle = this.settleStart;
      this.settleStart = null;
      const code = failure?.exitCode || 1;
      this.stopAll().then(
        () => settle(code),
        () => settle(code),
      );
      return;
    }
    // A worker that crashes again soon after its start waits longer each time, so a crash loop does not spin.
    const crashLoop = Date.now() - slot.startedAt < STABLE_MS;
    const delay = crashLoop ? slot.restartDelayMs : 0;
    slot.restartDelayMs = crashLoop ? Math.min(slot.restartDelayMs * 2, MAX_RESTART_MS) : MIN_RESTART_MS;
    this.opts.log.warn(
      `derpdesk relay: worker ${slot.index + 1} (pid ${worker.process.pid}) ${how}; its clients reconnect to the others; starting a replacement${delay ? ` in ${delay / 1000} s` : ''}`,
    );
    setTimeout(() => {
      if (!this.stopping) this.fork(slot);
    }, delay);
  }

  /** Every worker serves and links to every other: the relay serves as one (again). */
  private allLinked(): void {
    const pids = this.slots.map((s) => s.peer!.pid).join(', ');
    if (this.settleStart) {
      this.opts.log.info(`derpdesk relay: ${this.slots.length} workers ready (pids ${pids})`);
      this.settleStart(null);
      this.settleStart = null;
    } else {
      this.opts.log.info(`derpdesk relay: all ${this.slots.length} workers serving and linked again (pids ${pids})`);
    }
  }

  private broadcastPeers(): void {
    const peers = this.slots.flatMap((s) => (s.peer ? [s.peer] : []));
    for (const slot of this.slots) slot.linked = false;
    for (const slot of this.slots) if (slot.worker && slot.peer) sendTo(slot.worker, { t: 'peers', peers });
  }

  /** Asks every serving worker for its varz text and sends them all (with STUN's counters) to the one that asked. */
  private collectVarz(requester: Worker, id: number): void {
    const serving = this.slots.flatMap((s) => (s.worker && s.peer ? [s.worker] : []));
    const collection = this.nextCollection++;
    const texts: string[] = [];
    const done = () => {
      if (!this.varzParts.delete(collection)) return;
      clearTimeout(timer);
      sendTo(requester, { t: 'varz', id, texts: [...texts, ...(this.opts.stun?.varz() ?? [])] });
    };
    const timer = setTimeout(done, VARZ_PART_TIMEOUT_MS);
    this.varzParts.set(collection, (text) => {
      texts.push(text);
      if (texts.length === serving.length) done();
    });
    if (serving.length === 0) done();
    for (const worker of serving) sendTo(worker, { t: 'varz-part?', id: collection });
  }

  /** SIGTERM to every worker (each tells its clients to reconnect and exits), SIGKILL to any that hangs. */
  private stopAll(): Promise<void> {
    this.stopping = true;
    this.certificates.stop();
    const live = this.slots.flatMap((s) => (s.worker ? [s.worker] : []));
    if (live.length === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        for (const w of live) w.process.kill('SIGKILL');
      }, STOP_TIMEOUT_MS);
      this.onAllExited = () => {
        clearTimeout(timer);
        resolve();
      };
      for (const w of live) w.process.kill('SIGTERM');
    });
  }
}
