/**
 * One monitoring session: a source, the engine probing it, and the snapshot `derpdesk probe` serves and the app
 * shows. The source's scheme (https for maps, http for a plain relay URL) is fixed by its first read.
 */
import { EventEmitter } from 'node:events';
import type { CheckSource } from '../../shared/api.js';
import type { MonitorSnapshot, ProbeState } from '../../shared/monitor.js';
import { errorMessage } from '../../shared/errors.js';
import type { PathGuard } from '../app/path-guard.js';
import { MAP_PROBE_NAME, MonitorEngine } from './engine.js';
import { loadSource, sourceLabel } from '../app/check-source.js';
import { nodeStates } from './node-state.js';
import type { ProbeIntervals } from './probes.js';

export interface MonitorOptions {
  source: CheckSource;
  guard: PathGuard;
  intervals: ProbeIntervals;
  concurrency?: number;
  timeoutMs?: number;
  spread?: boolean;
  region?: string;
  /** Trust anchors for the nodes' TLS (private CAs, tests). */
  ca?: string | Buffer;
}

export class Monitor extends EventEmitter<{ result: [ProbeState] }> {
  private engine: MonitorEngine | null = null;
  private startedAt: number | null = null;
  readonly label: string;

  constructor(private readonly opts: MonitorOptions) {
    super();
    this.label = sourceLabel(opts.source);
  }

  /** Reads the source (failing with its error when it cannot) and starts probing. */
  async start(): Promise<void> {
    const first = await loadSource(this.opts.source, this.opts.guard);
    const engine = new MonitorEngine({
      intervals: this.opts.intervals,
      concurrency: this.opts.concurrency,
      timeoutMs: this.opts.timeoutMs,
      spread: this.opts.spread,
      region: this.opts.region,
      scheme: first.scheme,
      ca: this.opts.ca,
      loadMap: async () => (await loadSource(this.opts.source, this.opts.guard)).map,
    });
    engine.on('result', (s) => this.emit('result', s));
    await engine.start(first.map).catch((err: unknown) => {
      engine.stop();
      throw new Error(errorMessage(err), { cause: err });
    });
    this.engine = engine;
    this.startedAt = Date.now();
  }

  stop(): void {
    this.engine?.stop();
    this.engine = null;
  }

  snapshot(): MonitorSnapshot {
    const probes = this.engine?.states() ?? [];
    const mapProbe = probes.find((p) => p.name === MAP_PROBE_NAME);
    return {
      running: this.engine !== null,
      label: this.label,
      source: this.opts.source,
      startedAt: this.startedAt,
      mapError: mapProbe?.ok === false ? mapProbe.error : null,
      nodes: nodeStates(this.engine?.currentMap() ?? null, probes),
      probes,
    };
  }
}
