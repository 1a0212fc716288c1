/** The monitor's results (derpprobe's job), shared by the engine, `derpdesk probe`, the API and the Monitor page. */
import type { CheckSource } from './sources.js';

/** derpprobe's probe classes: the `class` label of every metric. */
export type ProbeClass = 'derp_map' | 'tls' | 'derp_udp' | 'derp_mesh' | 'derp_bw';

export interface ProbeState {
  /** derpprobe's name: derp/<region code>/<node>/tls, …/udp, …/udp6, derp/<code>/<from>/<to>/mesh, …/bw. */
  name: string;
  class: ProbeClass;
  /** Metric labels besides name and class: region, region_id, hostname, and derp_path or address_family. */
  labels: Record<string, string>;
  /** The node the probe judges (the sending node for mesh and bandwidth probes); '' for the map probe. */
  node: string;
  regionId: number;
  intervalMs: number;
  /** Last run's start and end, ms since the epoch; null before the first run finished. */
  start: number | null;
  end: number | null;
  /** null before the first result. */
  ok: boolean | null;
  latencyMs: number | null;
  error: string | null;
  /** When the probe last went from passing (or unknown) to failing; null while it passes. */
  failingSince: number | null;
  attempts: { ok: number; fail: number };
  seconds: { ok: number; fail: number };
  /** Leaf certificate's expiry, ms since the epoch (TLS probes). */
  certNotAfter?: number;
}

/** One node's current state: failing when any of its probes fails. */
export interface NodeState {
  regionId: number;
  regionCode: string;
  node: string;
  host: string;
  status: 'ok' | 'failing' | 'unknown';
  failingSince: number | null;
  /** The failing probes' names and errors. */
  failures: Array<{ probe: string; error: string; since: number }>;
  /** Latest successful DERP round trip through this node alone, ms. */
  latencyMs: number | null;
}

export interface MonitorSnapshot {
  running: boolean;
  /** What is monitored (file, URL or relay), as the user named it. */
  label: string;
  /** The source itself, so that any page (not only the one that started it) can diagnose the same nodes. */
  source: CheckSource | null;
  startedAt: number | null;
  /** The map could not be (re-)read: the probes keep the last good map meanwhile. */
  mapError: string | null;
  nodes: NodeState[];
  probes: ProbeState[];
}

/** Availability and latency of one node over a slice of time (the strip's and the chart's unit). */
export interface HistoryBucket {
  /** Start of the bucket, ms since the epoch. */
  t: number;
  ok: number;
  fail: number;
  /** Mean DERP round trip of the bucket's successful runs, ms; null when none. */
  latencyMs: number | null;
}

export interface NodeHistory {
  regionId: number;
  node: string;
  buckets: HistoryBucket[];
}

/** A node went from passing to failing, or back. */
export interface MonitorTransition {
  regionId: number;
  regionCode: string;
  node: string;
  to: 'failing' | 'ok';
  at: number;
  /** The first failing probe's error (for `failing`). */
  error?: string;
}

/** The history's time slice: the strip shows a day of them. */
export const HISTORY_BUCKET_MS = 5 * 60_000;
