/**
 * The probes in Prometheus text format, with the metric and label names of derpprobe (tailscale.com/prober):
 * <namespace>_result, _latency_millis, _start_secs, _end_secs, _interval_secs, _attempts_total{status},
 * _seconds_total{status}, labelled name, class, region, region_id, hostname and the class's own labels. derpprobe
 * runs with namespace "derpprobe", so its dashboards and alerts read these unchanged. Which samples exist when
 * follows prober.go's Collect: the interval always, the start once a run began, the rest once one ended, and the
 * latency only after a run that passed. Added: the TLS probes' <namespace>_cert_expiry_secs (seconds until the
 * leaf certificate expires; negative once expired).
 */
import type { ProbeState } from '../../shared/monitor.js';

export const DEFAULT_NAMESPACE = 'derpprobe';

/** Prometheus label values escape backslash, double quote and newline. */
const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

function labelText(p: ProbeState, extra: Record<string, string> = {}): string {
  const all: Record<string, string> = { name: p.name, class: p.class, ...p.labels, ...extra };
  return Object.keys(all)
    .sort()
    .map((k) => `${k}="${esc(all[k])}"`)
    .join(',');
}

interface Family {
  name: string;
  type: 'gauge' | 'counter';
  help: string;
  values: (p: ProbeState, now: number) => Array<[extra: Record<string, string>, value: number]>;
}

const secs = (ms: number) => ms / 1000;
/** prober.go exports times as whole Unix seconds. */
const unixSecs = (ms: number) => Math.floor(ms / 1000);
const ended = (p: ProbeState) => p.end !== null;

const FAMILIES: Family[] = [
  {
    name: 'result',
    type: 'gauge',
    help: 'Latest probe result (1 = success, 0 = failure)',
    values: (p) => (p.ok === null ? [] : [[{}, p.ok ? 1 : 0]]),
  },
  {
    name: 'latency_millis',
    type: 'gauge',
    help: 'Latest probe latency (ms)',
    // derpprobe leaves the latency out after a failed run (it would read as a fast success).
    values: (p) => (p.ok === true && p.latencyMs !== null ? [[{}, p.latencyMs]] : []),
  },
  {
    name: 'start_secs',
    type: 'gauge',
    help: 'Latest probe start time (seconds since epoch)',
    values: (p) => (p.start === null ? [] : [[{}, unixSecs(p.start)]]),
  },
  {
    name: 'end_secs',
    type: 'gauge',
    help: 'Latest probe end time (seconds since epoch)',
    values: (p) => (p.end === null ? [] : [[{}, unixSecs(p.end)]]),
  },
  {
    name: 'interval_secs',
    type: 'gauge',
    help: 'Probe interval in seconds',
    values: (p) => [[{}, secs(p.intervalMs)]],
  },
  {
    name: 'attempts_total',
    type: 'counter',
    help: 'Total number of probing attempts',
    values: (p) =>
      ended(p)
        ? [
            [{ status: 'ok' }, p.attempts.ok],
            [{ status: 'fail' }, p.attempts.fail],
          ]
        : [],
  },
  {
    name: 'seconds_total',
    type: 'counter',
    help: 'Total amount of time spent executing the probe',
    values: (p) =>
      ended(p)
        ? [
            [{ status: 'ok' }, p.seconds.ok],
            [{ status: 'fail' }, p.seconds.fail],
          ]
        : [],
  },
  {
    name: 'cert_expiry_secs',
    type: 'gauge',
    help: 'Seconds until the TLS leaf certificate expires (negative: expired)',
    values: (p, now) => (p.certNotAfter === undefined ? [] : [[{}, Math.round(secs(p.certNotAfter - now))]]),
  },
];

/** The exposition text: one family at a time, each with its HELP and TYPE, samples in probe order. */
export function renderMetrics(probes: ProbeState[], namespace = DEFAULT_NAMESPACE, now = Date.now()): string {
  const lines: string[] = [];
  for (const f of FAMILIES) {
    const samples = probes.flatMap((p) =>
      f.values(p, now).map(([extra, v]) => `${namespace}_${f.name}{${labelText(p, extra)}} ${formatValue(v)}`),
    );
    if (samples.length === 0) continue;
    lines.push(`# HELP ${namespace}_${f.name} ${f.help}`, `# TYPE ${namespace}_${f.name} ${f.type}`, ...samples);
  }
  return lines.join('\n') + '\n';
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  return String(v);
}

/** A Prometheus metric name prefix: letters, digits and underscores, not starting with a digit. */
export function isValidNamespace(ns: string): boolean {
  return /^[a-zA-Z_][a-zA-Z0-9_]*$/.test(ns);
}
