/**
 * Runs the checks for every node of a DERP map (or one region, or one node), a few nodes at a time, and
 * summarises them the way `tailscale netcheck` does: UDP, public addresses, hard NAT, latency per region, the
 * region a client would choose as home, and the problems found with what to do about them.
 */
import dgram from 'node:dgram';
import type { CheckReport, CheckSummary, NodeReport, StepResult } from '../../shared/diagnostics.js';
import { DEFAULT_DERP_PORT, DEFAULT_STUN_PORT, regionsInOrder, type DerpMap } from '../../shared/derpmap/model.js';
import {
  checkBandwidth,
  checkCaptivePortal,
  checkDerp,
  checkDns,
  checkHttpProbe,
  checkMeshPair,
  checkStun,
  checkTcp,
  checkTls,
  type NodeTarget,
} from './steps.js';

/**
 * The most a bandwidth test may move through one node: enough for a stable MB/s figure on fast links, small
 * enough that a typo cannot turn a check into a multi-gigabyte transfer through someone's relay.
 */
export const MAX_BANDWIDTH_BYTES = 64 << 20;

export interface CheckOptions {
  /** Region id or code; all regions when absent. */
  region?: string;
  /** One node's Name (re-running a single node). */
  node?: string;
  /** Also move this many bytes through each DERP node and report MB/s. */
  bandwidthBytes?: number;
  concurrency?: number;
  timeoutMs?: number;
  /** Plain-HTTP relays (an http:// target). */
  scheme?: 'https' | 'http';
  ca?: string | Buffer;
  captivePort?: number;
  signal?: AbortSignal;
  /** The home region of the previous run: kept unless another is clearly better (netcheck's stickiness). */
  previousPreferred?: number | null;
  /** Called as each step finishes, for live progress. */
  onStep?: (node: NodeReport, step: StepResult) => void;
}

export async function runChecks(map: DerpMap, opts: CheckOptions = {}): Promise<CheckReport> {
  const startedAt = Date.now();
  const regions = regionsInOrder(map).filter(
    (r) => !opts.region || String(r.RegionID) === opts.region || r.RegionCode === opts.region,
  );
  if (regions.length === 0)
    throw new Error(opts.region ? `no region "${opts.region}" in the map` : 'the map has no regions');
  const jobs = regions.flatMap((r) => r.Nodes.filter((n) => !opts.node || n.Name === opts.node).map((n) => ({ r, n })));
  if (jobs.length === 0) throw new Error(`no node "${opts.node}" in the map`);
  const bw = opts.bandwidthBytes;
  if (bw !== undefined && !(Number.isFinite(bw) && bw >= 0 && bw <= MAX_BANDWIDTH_BYTES)) {
    throw new Error(
      `bandwidth test of ${bw} bytes refused: the most is ${MAX_BANDWIDTH_BYTES} bytes (${MAX_BANDWIDTH_BYTES >> 20} MiB) per node`,
    );
  }
  // One socket per family for every STUN probe of the run, so mapped ports can be compared across servers.
  const udp4 = dgram.createSocket('udp4');
  const udp6 = dgram.createSocket({ type: 'udp6', ipv6Only: true });
  try {
    return await runJobs(map, opts, startedAt, regions, jobs, udp4, udp6);
  } finally {
    udp4.close();
    udp6.close();
  }
}

type Job = { r: ReturnType<typeof regionsInOrder>[number]; n: DerpMap['Regions'][string]['Nodes'][number] };

async function runJobs(
  map: DerpMap,
  opts: CheckOptions,
  startedAt: number,
  regions: ReturnType<typeof regionsInOrder>,
  jobs: Job[],
  udp4: dgram.Socket,
  udp6: dgram.Socket,
): Promise<CheckReport> {
  udp6.on('error', () => {});
  await new Promise<void>((res) => udp4.bind(0, res));
  await new Promise<void>((res) => {
    udp6.once('error', () => res());
    udp6.bind(0, res);
  });
  const reports: NodeReport[] = jobs.map(({ r, n }) => ({
    regionId: r.RegionID,
    regionCode: r.RegionCode,
    node: n.Name,
    host: n.HostName,
    steps: [],
  }));
  const targets: NodeTarget[] = [];
  const addrs: Array<string | null> = [];
  let next = 0;
  const worker = async () => {
    while (next < jobs.length && !opts.signal?.aborted) {
      const i = next++;
      const { n } = jobs[i];
      const report = reports[i];
      const add = (s: StepResult) => {
        report.steps.push(s);
        opts.onStep?.(report, s);
      };
      const t: NodeTarget = {
        node: n,
        scheme: opts.scheme ?? 'https',
        port: n.DERPPort || DEFAULT_DERP_PORT,
        stunPort: n.STUNPort === -1 ? -1 : n.STUNPort || DEFAULT_STUN_PORT,
        timeoutMs: opts.timeoutMs ?? 5000,
        ca: opts.ca,
        captivePort: opts.captivePort,
      };
      const d = await checkDns(t);
      add(d.step);
      const [tcp4, tcp6] = await Promise.all([checkTcp(d.v4, t, 4), checkTcp(d.v6, t, 6)]);
      add(tcp4);
      add(tcp6);
      const addr = tcp4.status === 'ok' ? d.v4 : tcp6.status === 'ok' ? d.v6 : null;
      targets[i] = t;
      addrs[i] = addr;
      if (!n.STUNOnly) {
        add(await checkTls(addr, t));
        add(await checkHttpProbe(addr, t));
        for (const s of await checkDerp(addr, t)) add(s);
      }
      const [s4, s6] = await Promise.all([checkStun(d.v4, t, 4, udp4), checkStun(d.v6, t, 6, udp6)]);
      add(s4);
      add(s6);
      add(await checkCaptivePortal(addr, t));
      if (opts.bandwidthBytes && !n.STUNOnly) add(await checkBandwidth(addr, t, opts.bandwidthBytes));
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.concurrency ?? 4, jobs.length) }, worker));
  // Mesh: every ordered pair of DERP nodes in a multi-node region.
  for (const r of regions) {
    const idx = jobs.map((j, i) => (j.r === r && !j.n.STUNOnly ? i : -1)).filter((i) => i >= 0);
    if (idx.length < 2 || opts.signal?.aborted) continue;
    for (const i of idx) {
      for (const j of idx) {
        if (i === j) continue;
        const s = await checkMeshPair(targets[i], addrs[i], targets[j], addrs[j]);
        reports[i].steps.push(s);
        opts.onStep?.(reports[i], s);
      }
    }
  }
  return {
    startedAt,
    finishedAt: Date.now(),
    nodes: reports,
    summary: summarise(map, reports, opts.previousPreferred ?? null),
  };
}

/** netcheck's MappingVariesByDestIP: the same local socket seen at different public ports by different servers. */
function mappingVaries(stun4: StepResult[]): boolean | null {
  const byServer = new Map<string, string>();
  for (const s of stun4) if (s.data?.server) byServer.set(String(s.data.server), `${s.data.address}:${s.data.port}`);
  if (byServer.size < 2) return null;
  return new Set(byServer.values()).size > 1;
}

/** A new home must be this much faster than the old one before a client moves (netcheck keeps it within 3/2). */
const STICKY_FACTOR = 1.5;

export function summarise(map: DerpMap, nodes: NodeReport[], previousPreferred: number | null = null): CheckSummary {
  const stun = nodes.flatMap((n) =>
    n.steps
      .filter((s) => (s.step === 'stun4' || s.step === 'stun6') && s.status !== 'fail' && s.status !== 'skip')
      .map((s) => ({ n, s })),
  );
  const v4 = stun.filter((x) => x.s.step === 'stun4');
  const v6 = stun.filter((x) => x.s.step === 'stun6');
  const latency: Record<string, number> = {};
  for (const n of nodes) {
    const stunMs = n.steps
      .filter((s) => s.step.startsWith('stun') && s.status !== 'fail' && s.ms !== undefined)
      .map((s) => s.ms!);
    const ping = n.steps.find((s) => s.step === 'derp-roundtrip')?.data?.pingMs as number | undefined;
    const best = stunMs.length ? Math.min(...stunMs) : ping;
    if (best !== undefined) latency[n.regionId] = Math.min(latency[n.regionId] ?? Infinity, best);
  }
  const scores = map.HomeParams?.RegionScore ?? {};
  let preferred: number | null = null;
  let bestScore = Infinity;
  for (const [id, ms] of Object.entries(latency)) {
    const r = map.Regions[id];
    if (r?.Avoid || r?.NoMeasureNoHome) continue;
    const score = ms * (scores[id] && scores[id] > 0 ? scores[id] : 1);
    if (score < bestScore) {
      bestScore = score;
      preferred = Number(id);
    }
  }
  if (previousPreferred !== null && preferred !== null && previousPreferred !== preferred) {
    const old = latency[previousPreferred];
    if (old !== undefined && old <= latency[preferred] * STICKY_FACTOR) preferred = previousPreferred;
  }
  const problems = nodes.flatMap((n) =>
    n.steps
      .filter((s) => s.status === 'fail' || s.status === 'warn')
      .map((s) => `${n.regionCode}/${n.node} ${s.step}: ${s.detail}${s.advice ? ` (${s.advice})` : ''}`),
  );
  return {
    udp: stun.length > 0,
    publicIPv4: (v4[0]?.s.data?.address as string) ?? null,
    publicIPv6: (v6[0]?.s.data?.address as string) ?? null,
    mappingVariesByDestIP: mappingVaries(v4.map((x) => x.s)),
    regionLatencyMs: latency,
    preferredRegion: preferred,
    problems,
  };
}
