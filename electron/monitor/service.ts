/**
 * The monitor inside the app (main process or `derpdesk host`): one monitoring session at a time, started and
 * stopped from the Monitor page and resumed when the app starts again, its results kept in the history file, and
 * its changes sent as events: the snapshot at most once a second, and rate-limited notices when a node starts
 * failing or recovers.
 */
import type { MonitorRequest } from '../../shared/api.js';
import type { MonitorSnapshot, NodeHistory, ProbeState } from '../../shared/monitor.js';
import { errorMessage } from '../../shared/errors.js';
import { sourceLabel } from '../app/check-source.js';
import type { ApiEventEmitter } from '../app/events.js';
import type { PathGuard } from '../app/path-guard.js';
import { HistoryStore, type HistoryOptions } from './history.js';
import { Monitor } from './monitor.js';
import { isSinglePath } from './node-state.js';
import { DERPPROBE_INTERVALS } from './probes.js';
import { SessionFile } from './session.js';
import { TransitionTracker } from './transitions.js';

export const DEFAULT_INTERVAL_SEC = 15;

export interface MonitorServiceOptions {
  dataDir: string;
  events: ApiEventEmitter;
  guard: PathGuard;
  history?: HistoryOptions;
  /** Least time between two notices about one node. */
  notifyGapMs?: number;
  /** Least time between two snapshot events. */
  updateEveryMs?: number;
}

const IDLE: MonitorSnapshot = {
  running: false,
  label: '',
  source: null,
  startedAt: null,
  mapError: null,
  nodes: [],
  probes: [],
};

export class MonitorService {
  private monitor: Monitor | null = null;
  private last: MonitorSnapshot = IDLE;
  private readonly history: HistoryStore;
  private transitions: TransitionTracker;
  private updateTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly session: SessionFile;
  private resumeTimer: ReturnType<typeof setTimeout> | null = null;
  /** Counts the user's starts and stops (and disposal): a resume that one of them overtook gives way. */
  private generation = 0;

  constructor(private readonly opts: MonitorServiceOptions) {
    this.history = new HistoryStore(opts.dataDir, opts.history);
    this.transitions = new TransitionTracker(opts.notifyGapMs);
    this.session = new SessionFile(opts.dataDir);
  }

  /**
   * Replaces any running session once the new one has started: the source's first read must succeed (its error is
   * the call's, and the running session goes on). The session is remembered, to be resumed when the app starts.
   */
  async start(req: MonitorRequest): Promise<MonitorSnapshot> {
    this.cancelResume();
    return this.begin(req, ++this.generation);
  }

  /**
   * Starts again the session that ran when the app last quit (a stop forgets it). A source that cannot be read yet,
   * such as a map URL before the network is up, is tried again every interval until it starts or the user acts.
   */
  resume(): void {
    const generation = this.generation;
    // load() turns every problem with the file into null: the empty handler is never called.
    this.session.load().then(
      (req) => {
        if (req && generation === this.generation) this.tryResume(req, generation);
      },
      () => {},
    );
  }

  private tryResume(req: MonitorRequest, generation: number): void {
    this.resumeTimer = null;
    this.begin(req, generation).catch((err: unknown) => {
      if (generation !== this.generation) return;
      const every = req.intervalSec ?? DEFAULT_INTERVAL_SEC;
      const error = `${errorMessage(err)} (trying again every ${every} s)`;
      this.last = { ...IDLE, label: sourceLabel(req.source), source: req.source, mapError: error };
      this.opts.events.emit('monitor.update', this.last);
      this.resumeTimer = setTimeout(() => this.tryResume(req, generation), every * 1000);
      this.resumeTimer.unref?.();
    });
  }

  private cancelResume(): void {
    if (this.resumeTimer) clearTimeout(this.resumeTimer);
    this.resumeTimer = null;
  }

  private async begin(req: MonitorRequest, generation: number): Promise<MonitorSnapshot> {
    await this.history.load();
    const every = (req.intervalSec ?? DEFAULT_INTERVAL_SEC) * 1000;
    const monitor = new Monitor({
      source: req.source,
      guard: this.opts.guard,
      intervals: { ...DERPPROBE_INTERVALS, mapMs: every, tlsMs: every, meshMs: every, stunMs: every },
      spread: true,
      region: req.region || undefined,
    });
    await monitor.start();
    if (generation !== this.generation) {
      // The user started another session or stopped monitoring while this one read its source.
      monitor.stop();
      return this.status();
    }
    this.halt();
    this.monitor = monitor;
    this.transitions = new TransitionTracker(this.opts.notifyGapMs);
    monitor.on('result', (p) => this.onResult(monitor, p));
    await this.session.set(req);
    return this.status();
  }

  async stop(): Promise<MonitorSnapshot> {
    this.generation++;
    if (this.resumeTimer) this.last = { ...this.last, mapError: null };
    this.cancelResume();
    this.halt();
    await this.session.set(null);
    await this.history.flush();
    this.opts.events.emit('monitor.update', this.status());
    return this.status();
  }

  /** The running session's state, or the last one's (stopped) after a stop. */
  status(): MonitorSnapshot {
    return this.monitor ? this.monitor.snapshot() : this.last;
  }

  async historyFor(hours: number): Promise<NodeHistory[]> {
    await this.history.load();
    return this.history.get(Date.now() - hours * 3_600_000);
  }

  /** The app quits: the session stays remembered, to resume at the next start. */
  async dispose(): Promise<void> {
    this.generation++;
    this.cancelResume();
    this.halt();
    await this.history.flush();
  }

  private halt(): void {
    if (this.updateTimer) clearTimeout(this.updateTimer);
    this.updateTimer = null;
    if (!this.monitor) return;
    this.last = { ...this.monitor.snapshot(), running: false };
    this.monitor.stop();
    this.monitor = null;
  }

  private onResult(monitor: Monitor, p: ProbeState): void {
    if (monitor !== this.monitor) return;
    if (p.node)
      this.history.record(p.regionId, p.node, p.end ?? Date.now(), Boolean(p.ok), isSinglePath(p) ? p.latencyMs : null);
    const snap = monitor.snapshot();
    for (const t of this.transitions.update(snap.nodes)) this.opts.events.emit('monitor.transition', t);
    if (this.updateTimer) return;
    this.updateTimer = setTimeout(() => {
      this.updateTimer = null;
      if (this.monitor) this.opts.events.emit('monitor.update', this.monitor.snapshot());
    }, this.opts.updateEveryMs ?? 1000);
    this.updateTimer.unref?.();
  }
}
