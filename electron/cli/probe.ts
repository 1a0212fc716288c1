/**
 * `derpdesk probe`: derpprobe's job. Probes every node of a DERP map on derpprobe's schedule (flags named as
 * derpprobe names them, durations written as Go writes them: 15s, 1m30s, 500ms) and serves the results: `/` a
 * status page, `/json`, `/metrics` in Prometheus format with derpprobe's metric names.
 */
import path from 'node:path';
import type { CheckSource } from '../../shared/api.js';
import type { ProbeState } from '../../shared/monitor.js';
import { errorMessage } from '../../shared/errors.js';
import { isLoopbackAddress } from '../headless/loopback.js';
import { startProbeHttp } from '../monitor/http-server.js';
import { DEFAULT_NAMESPACE, isValidNamespace } from '../monitor/metrics.js';
import { Monitor } from '../monitor/monitor.js';
import { DERPPROBE_INTERVALS, type ProbeIntervals } from '../monitor/probes.js';
import { parseHostPort } from '../util/hostport.js';
import { UsageError, formatUsage, parseFlags, type FlagSpec } from './flags.js';

const FLAGS: FlagSpec[] = [
  { name: 'derp-map', type: 'string', default: '', arg: 'file|url', help: 'the DERP map (or give it as the argument)' },
  { name: 'listen', type: 'string', default: '127.0.0.1:8030', arg: 'host:port', help: 'HTTP listen address' },
  { name: 'interval', type: 'string', default: '15s', arg: 'duration', help: 'how often the map is re-read' },
  { name: 'tls-interval', type: 'string', default: '15s', arg: 'duration', help: 'TLS probe interval (0 = off)' },
  { name: 'mesh-interval', type: 'string', default: '15s', arg: 'duration', help: 'mesh probe interval (0 = off)' },
  { name: 'stun-interval', type: 'string', default: '15s', arg: 'duration', help: 'STUN probe interval (0 = off)' },
  {
    name: 'bw-interval',
    type: 'string',
    default: '0',
    arg: 'duration',
    help: 'bandwidth probe interval (0 = no bandwidth probing)',
  },
  { name: 'bw-probe-size-bytes', type: 'int', default: 1_000_000, arg: 'bytes', help: 'bandwidth probe size' },
  { name: 'region-code', type: 'string', default: '', arg: 'code|id', help: 'probe only this region' },
  { name: 'spread', type: 'bool', default: true, help: 'whether to spread probing over time' },
  { name: 'concurrency', type: 'int', default: 8, arg: 'n', help: 'probes running at once, all kinds together' },
  {
    name: 'timeout',
    type: 'string',
    default: '',
    arg: 'duration',
    help: "each probe's deadline (default 80% of its interval, as derpprobe)",
  },
  {
    name: 'metric-namespace',
    type: 'string',
    default: DEFAULT_NAMESPACE,
    arg: 'prefix',
    help: 'metric name prefix (derpprobe\'s own is "derpprobe"; the prober library\'s default "prober")',
  },
];

const USAGE =
  'Usage: derpdesk probe <derp.yaml|map.json|map URL|headscale config.yaml> [flags]\n\n' +
  "Probes every node of the map as Tailscale's derpprobe does (TLS and certificate expiry, DERP login and round trip,\n" +
  'mesh between every pair of nodes of a region, STUN over IPv4 and IPv6, optionally bandwidth) and serves a status\n' +
  'page on /, JSON on /json and Prometheus metrics on /metrics.';

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Go's time.ParseDuration, for the non-negative durations these flags take. */
export function parseDuration(text: string, flag: string): number {
  if (text === '0') return 0;
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text)
    throw new UsageError(`invalid duration "${text}" for --${flag}: write it like 15s, 1m30s or 500ms`);
  return Math.round(parts.reduce((sum, p) => sum + Number(p[1]) * UNIT_MS[p[2]], 0));
}

function sourceOf(arg: string): CheckSource {
  if (!/^https?:\/\//.test(arg)) return { kind: 'file', path: path.resolve(arg) };
  const p = new URL(arg).pathname;
  return p === '/' || p === '' || p === '/derp' ? { kind: 'relay', url: arg } : { kind: 'url', url: arg };
}

interface ProbePlan {
  source: CheckSource;
  listen: { host: string; port: number };
  intervals: ProbeIntervals;
  namespace: string;
  concurrency: number;
  timeoutMs?: number;
  spread: boolean;
  region?: string;
}

function plan(argv: string[]): ProbePlan | 'help' {
  const positional = argv[0] && !argv[0].startsWith('-') ? argv[0] : undefined;
  const f = parseFlags(FLAGS, positional ? argv.slice(1) : argv);
  if (f.help) return 'help';
  if (f.rest.length > (positional ? 0 : 1)) throw new UsageError(`unexpected argument "${f.rest.at(-1)}"`);
  const target = positional ?? f.rest[0] ?? (String(f.values['derp-map']) || undefined);
  if (!target) throw new UsageError('name a DERP map file, a map URL or a headscale config.yaml');
  const d = (name: string) => parseDuration(String(f.values[name]), name);
  const intervals: ProbeIntervals = {
    ...DERPPROBE_INTERVALS,
    mapMs: d('interval'),
    tlsMs: d('tls-interval'),
    meshMs: d('mesh-interval'),
    stunMs: d('stun-interval'),
    bwMs: d('bw-interval'),
    bwBytes: Number(f.values['bw-probe-size-bytes']),
  };
  if (intervals.mapMs <= 0) throw new UsageError('--interval must be more than 0: it is how often the map is re-read');
  const namespace = String(f.values['metric-namespace']);
  if (!isValidNamespace(namespace))
    throw new UsageError(`--metric-namespace "${namespace}": use letters, digits and underscores`);
  const concurrency = Number(f.values.concurrency);
  if (concurrency < 1) throw new UsageError('--concurrency must be at least 1');
  const listen = parseHostPort(String(f.values.listen), '--listen');
  return {
    source: sourceOf(target),
    listen: { host: listen.host || '0.0.0.0', port: listen.port },
    intervals,
    namespace,
    concurrency,
    timeoutMs: String(f.values.timeout) ? d('timeout') || undefined : undefined,
    spread: Boolean(f.values.spread),
    region: String(f.values['region-code']) || undefined,
  };
}

/** One line per probe that starts failing or recovers (derpprobe logs every failure; this keeps logs readable). */
function logTransitions(monitor: Monitor): void {
  const last = new Map<string, boolean>();
  monitor.on('result', (p: ProbeState) => {
    const was = last.get(p.name);
    last.set(p.name, Boolean(p.ok));
    if (p.ok && was === false) process.stderr.write(`probe ${p.name}: ok again\n`);
    if (!p.ok && was !== false) process.stderr.write(`probe ${p.name}: ${p.error}\n`);
  });
}

export async function runProbe(argv: string[]): Promise<number> {
  let p: ProbePlan;
  try {
    const planned = plan(argv);
    if (planned === 'help') {
      process.stdout.write(formatUsage(USAGE, FLAGS));
      return 0;
    }
    p = planned;
  } catch (err) {
    process.stderr.write(`derpdesk probe: ${errorMessage(err)}\nRun "derpdesk probe --help" for the flags.\n`);
    return 2;
  }
  const monitor = new Monitor({
    source: p.source,
    // The operator named the file on the command line: the CLI reads it (and a headscale config's paths) as given.
    guard: async (file) => path.resolve(file),
    intervals: p.intervals,
    concurrency: p.concurrency,
    timeoutMs: p.timeoutMs,
    spread: p.spread,
    region: p.region,
  });
  try {
    await monitor.start();
  } catch (err) {
    process.stderr.write(`derpdesk probe: ${errorMessage(err)}\n`);
    return 1;
  }
  logTransitions(monitor);
  let server;
  try {
    server = await startProbeHttp(p.listen.host, p.listen.port, () => monitor.snapshot(), p.namespace);
  } catch (err) {
    monitor.stop();
    process.stderr.write(`derpdesk probe: cannot listen on ${p.listen.host}:${p.listen.port}: ${errorMessage(err)}\n`);
    return 1;
  }
  if (!isLoopbackAddress(p.listen.host))
    process.stderr.write(
      `derpdesk probe: the status page and metrics are reachable from other machines on ${p.listen.host} (node names, addresses and errors)\n`,
    );
  const { address, port } = server.address;
  const shown = address.includes(':') ? `[${address}]` : address;
  const count = monitor.snapshot().probes.length - 1;
  process.stdout.write(`derpdesk probe: ${count} probes of ${monitor.label}; status on http://${shown}:${port}/\n`);
  return new Promise<number>((resolve) => {
    const stop = () => {
      monitor.stop();
      server.close().then(
        () => resolve(0),
        () => resolve(1),
      );
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
