/**
 * The monitor: every probe of a DERP map on its own interval, as derpprobe runs them. Bounded three ways: a
 * probe never has two runs in flight (a tick that finds it busy is skipped), at most `concurrency` probes run at
 * once (the rest wait their turn, still counted as in flight), and every run has a deadline. The map itself is a
 * probe (derpprobe's "derpmap-probe"): re-read on its interval, and the probes follow the map's changes.
 */
import { EventEmitter } from 'node:events';
import type { DerpMap } from '../../shared/derpmap/model.js';
import type { ProbeState } from '../../shared/monitor.js';
import { errorMessage } from '../../shared/errors.js';
import { planProbes, type ProbeIntervals, type ProbeOutcome, type ProbeSpec, type TargetOptions } from './probes.js';
import { Semaphore } from './semaphore.js';

export const MAP_PROBE_NAME = 'derpmap-probe';

export interface EngineOptions extends TargetOptions {
  intervals: ProbeIntervals;
  /** Reads the map (file, URL, headscale config); called on start and every map interval. */
  loadMap: () => Promise<DerpMap>;
  /** Probes running at once, all kinds together. */
  concurrency?: number;
  /** A run's deadline; by default 80% of its interval, as derpprobe's. */
  timeoutMs?: number;
  /** Start each probe after a random part of its interval, so that a big map's probes do not all fire together. */
  spread?: boolean;
  region?: string;
}

interface Running {
  spec: ProbeSpec;
  state: ProbeState;
  timer: ReturnType<typeof setTimeout> | null;
  busy: boolean;
  removed: boolean;
}

function emptyState(
  spec: Pick<ProbeSpec, 'name' | 'class' | 'labels' | 'node' | 'regionId' | 'intervalMs'>,
): ProbeState {
  return {
    name: spec.name,
    class: spec.class,
    labels: spec.labels,
    node: spec.node,
    regionId: spec.regionId,
    intervalMs: spec.intervalMs,
    start: null,
    end: null,
    ok: null,
    latencyMs: null,
    error: null,
    failingSince: null,
    attempts: { ok: 0, fail: 0 },
    seconds: { ok: 0, fail: 0 },
  };
}

export class MonitorEngine extends EventEmitter<{ result: [ProbeState]; map: [DerpMap] }> {
  private readonly probes = new Map<string, Running>();
  private readonly slots: Semaphore;
  private map: DerpMap | null = null;
  private mapProbe: Running | null = null;
  private stopped = false;

  constructor(private readonly opts: EngineOptions) {
    super();
    this.slots = new Semaphore(opts.concurrency ?? 8);
  }

  /**
   * Reads the map once (its error is thrown: nothing to monitor yet), unless the caller has just read it, then
   * schedules every probe.
   */
  async start(first?: DerpMap): Promise<void> {
    const map = first ?? (await this.opts.loadMap());
    const spec: ProbeSpec = {
      name: MAP_PROBE_NAME,
      class: 'derp_map',
      labels: {},
      node: '',
      regionId: 0,
      intervalMs: this.opts.intervals.mapMs,
      run: async () => {
        this.apply(await this.opts.loadMap());
        return { ok: true, error: null };
      },
    };
    this.mapProbe = this.add(spec, false);
    this.record(this.mapProbe, Date.now(), { ok: true, error: null });
    this.apply(map);
  }

  stop(): void {
    this.stopped = true;
    for (const p of [...this.probes.values(), ...(this.mapProbe ? [this.mapProbe] : [])]) this.remove(p);
    this.probes.clear();
  }

  currentMap(): DerpMap | null {
    return this.map;
  }

  /** The map probe first, then the node probes in the map's order. */
  states(): ProbeState[] {
    return [...(this.mapProbe ? [this.mapProbe] : []), ...this.probes.values()].map((p) => p.state);
  }

  private apply(map: DerpMap): void {
    if (this.stopped) return;
    this.map = map;
    const want = planProbes(map, this.opts.intervals, this.opts, this.opts.region);
    const names = new Set(want.map((s) => s.name));
    for (const [name, p] of this.probes) {
      if (!names.has(name)) {
        this.remove(p);
        this.probes.delete(name);
      }
    }
    for (const spec of want) {
      const have = this.probes.get(spec.name);
      // A probe that stays keeps its history and timer; it probes the node as the new map describes it.
      if (have && have.spec.intervalMs === spec.intervalMs) have.spec = spec;
      else {
        if (have) this.remove(have);
        this.probes.set(spec.name, this.add(spec, this.opts.spread ?? false));
      }
    }
    this.emit('map', map);
  }

  private add(spec: ProbeSpec, spread: boolean): Running {
    const p: Running = { spec, state: emptyState(spec), timer: null, busy: false, removed: false };
    const first = spread
      ? Math.floor(Math.random() * spec.intervalMs)
      : spec.name === MAP_PROBE_NAME
        ? spec.intervalMs
        : 0;
    const tick = () => {
      if (p.removed) return;
      p.timer = setTimeout(tick, spec.intervalMs);
      p.timer.unref?.();
      this.tick(p);
    };
    p.timer = setTimeout(tick, first);
    p.timer.unref?.();
    return p;
  }

  private remove(p: Running): void {
    p.removed = true;
    if (p.timer) clearTimeout(p.timer);
    p.timer = null;
  }

  /** One run, unless the last is still in flight (queued or running): slow nodes never pile up runs. */
  private tick(p: Running): void {
    if (p.busy || this.stopped) return;
    p.busy = true;
    const done = () => {
      p.busy = false;
    };
    this.slots.run(() => this.runOnce(p)).then(done, done);
  }

  private async runOnce(p: Running): Promise<void> {
    if (p.removed) return;
    const deadline = this.opts.timeoutMs ?? Math.max(1, Math.floor(p.spec.intervalMs * 0.8));
    const start = Date.now();
    p.state.start = start;
    let timer: ReturnType<typeof setTimeout> | undefined;
    // Steps bound each connection by a third of the deadline: a probe makes up to three in a row.
    const work = p.spec
      .run(Math.max(100, Math.floor(deadline / 3)))
      .catch((err: unknown): ProbeOutcome => ({ ok: false, error: errorMessage(err) }));
    const late = new Promise<ProbeOutcome>((resolve) => {
      timer = setTimeout(() => resolve({ ok: false, error: `timed out after ${deadline} ms` }), deadline);
    });
    const outcome = await Promise.race([work, late]);
    clearTimeout(timer);
    if (!p.removed) this.record(p, start, outcome);
    // The slot and the probe's one run stay taken until the abandoned work has closed its sockets.
    await work;
  }

  private record(p: Running, start: number, o: ProbeOutcome): void {
    const s = p.state;
    const end = Date.now();
    const secs = (end - start) / 1000;
    s.start = start;
    s.end = end;
    s.error = o.ok ? null : o.error;
    if (o.ok) {
      s.attempts.ok++;
      s.seconds.ok += secs;
      s.latencyMs = end - start;
      s.failingSince = null;
    } else {
      s.attempts.fail++;
      s.seconds.fail += secs;
      s.latencyMs = null;
      if (s.ok !== false) s.failingSince = end;
    }
    s.ok = o.ok;
    if (o.certNotAfter !== undefined) s.certNotAfter = o.certNotAfter;
    this.emit('result', s);
  }
}
