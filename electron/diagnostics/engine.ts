/**
 * Runs the checks for every node of a DERP map (or one region, or one node), a few nodes at a time, and
 * summarises them the way `tailscale netcheck` does: UDP, public addresses, hard NAT, latency per region, the
 * region a client would choose as home, and the problems found with what to do about them.
 */
import dgram from 'node:dgram';
import type { CheckReport, CheckSummary, NodeReport, StepName, StepResult } from '../../shared/diagnostics.js';
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
    regionName: r.RegionName,
    ...(r.Latitude !== undefined && r.Longitude !== undefined ? { latitude: r.Latitude, longitude: r.Longitude } : {}),
    node: n.Name,
    host: n.HostName,
    steps: [],
  }));
  const targets: NodeTarget[] = [];
  const reached: Reached[] = [];
  let next = 0;
  const worker = async () => {
    while (next < jobs.length && !opts.signal?.aborted) {
      const i = next++;
      const { n } = jobs[i];
      const report = reports[i];
      targets[i] = {
        node: n,
        scheme: opts.scheme ?? 'https',
        port: n.DERPPort || DEFAULT_DERP_PORT,
        stunPort: n.STUNPort === -1 ? -1 : n.STUNPort || DEFAULT_STUN_PORT,
        timeoutMs: opts.timeoutMs ?? 5000,
        ca: opts.ca,
        captivePort: opts.captivePort,
      };
      reached[i] = await checkNode(targets[i], opts.bandwidthBytes, { udp4, udp6 }, (s) => {
        report.steps.push(s);
        opts.onStep?.(report, s);
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.concurrency ?? 4, jobs.length) }, worker));
  for (const r of regions) {
    if (opts.signal?.aborted) break;
    const idx = jobs.map((j, i) => (j.r === r && !j.n.STUNOnly ? i : -1)).filter((i) => i >= 0);
    await checkRegionMesh(idx, targets, reached, (i, s) => {
      reports[i].steps.push(s);
      opts.onStep?.(reports[i], s);
    });
  }
  return {
    startedAt,
    finishedAt: Date.now(),
    nodes: reports,
    summary: summarise(map, reports, opts.previousPreferred ?? null),
  };
}

/** Where a node's checks got to: the address that answered, or the step whose failure stopped the rest. */
interface Reached {
  addr: string | null;
  blockedBy: string | null;
}

/** A step that did not run because an earlier one failed: one cause is one problem, not several. */
const notReached = (step: StepName, cause: string): StepResult => ({
  step,
  status: 'skip',
  detail: `not reached because ${cause} failed`,
});

/** Every check of one node, in the order a client connects; steps that depend on a failed one are skipped. */
async function checkNode(
  t: NodeTarget,
  bandwidthBytes: number | undefined,
  sockets: { udp4: dgram.Socket; udp6: dgram.Socket },
  add: (s: StepResult) => void,
): Promise<Reached> {
  const n = t.node;
  const d = await checkDns(t);
  add(d.step);
  const tcp = await checkDerpPort(d, t);
  tcp.steps.forEach(add);
  const addr = tcp.addr;
  let blockedBy = d.step.status === 'fail' ? 'dns' : addr ? null : 'tcp';
  if (!n.STUNOnly) {
    const tlsStep = blockedBy ? notReached('tls', blockedBy) : await checkTls(addr, t);
    add(tlsStep);
    if (tlsStep.status === 'fail') blockedBy = 'tls';
    if (blockedBy) {
      add(notReached('http-probe', blockedBy));
      add(notReached('derp', blockedBy));
    } else {
      add(await checkHttpProbe(addr, t));
      const derp = await checkDerp(addr, t);
      derp.forEach(add);
      if (derp[0].status === 'fail') blockedBy = 'derp';
    }
  }
  const [s4, s6] = await Promise.all([checkStun(d.v4, t, 4, sockets.udp4), checkStun(d.v6, t, 6, sockets.udp6)]);
  add(s4);
  add(s6);
  add(addr || !n.CanPort80 ? await checkCaptivePortal(addr, t) : notReached('captive-portal', blockedBy ?? 'tcp'));
  if (bandwidthBytes && !n.STUNOnly)
    add(blockedBy ? notReached('bandwidth', blockedBy) : await checkBandwidth(addr, t, bandwidthBytes));
  return { addr, blockedBy };
}

/** TCP to the DERP port over each family, and the address that answered. */
async function checkDerpPort(
  d: { v4: string | null; v6: string | null },
  t: NodeTarget,
): Promise<{ steps: StepResult[]; addr: string | null }> {
  if (t.node.STUNOnly) {
    const skip = (step: StepName): StepResult => ({ step, status: 'skip', detail: 'STUN-only node: no DERP port' });
    // Its port 80 is still asked when CanPort80 is set.
    return { steps: [skip('tcp4'), skip('tcp6')], addr: d.v4 ?? d.v6 };
  }
  const [tcp4, tcp6] = oneFamilyDown(...(await Promise.all([checkTcp(d.v4, t, 4), checkTcp(d.v6, t, 6)])));
  return { steps: [tcp4, tcp6], addr: tcp4.status === 'ok' ? d.v4 : tcp6.status === 'ok' ? d.v6 : null };
}

/**
 * A relay reachable over one IP family but not the other still serves every client with that family (clients
 * race both), so the failing family is a warning, not a failure.
 */
function oneFamilyDown(tcp4: StepResult, tcp6: StepResult): [StepResult, StepResult] {
  const soften = (down: StepResult, up: 4 | 6): StepResult =>
    down.status === 'fail'
      ? {
          ...down,
          status: 'warn',
          advice: `clients fall back to IPv${up}, but IPv${up === 4 ? 6 : 4}-only clients cannot connect: make the relay listen on that family too, or set IPv${up === 4 ? 6 : 4} to "none" in the DERP map`,
        }
      : down;
  if (tcp4.status === 'ok') return [tcp4, soften(tcp6, 4)];
  if (tcp6.status === 'ok') return [soften(tcp4, 6), tcp6];
  return [tcp4, tcp6];
}

/** Mesh: every ordered pair of DERP nodes in a multi-node region (the indexes of its DERP nodes). */
async function checkRegionMesh(
  idx: number[],
  targets: NodeTarget[],
  reached: Reached[],
  add: (i: number, s: StepResult) => void,
): Promise<void> {
  if (idx.length < 2) return;
  for (const i of idx) {
    for (const j of idx) {
      if (i === j) continue;
      const stuck = [i, j].find((k) => reached[k].blockedBy);
      const label = `${targets[i].node.Name} -> ${targets[j].node.Name}`;
      add(
        i,
        stuck === undefined
          ? await checkMeshPair(targets[i], reached[i].addr, targets[j], reached[j].addr)
          : {
              step: 'mesh',
              status: 'skip',
              detail: `${label}: not reached because ${reached[stuck].blockedBy} failed on ${targets[stuck].node.Name}`,
            },
      );
    }
  }
}

/**
 * netcheck's MappingVariesByDestIP: the one local socket, seen at different public addresses by STUN servers at
 * different IPs. Servers sharing an IP (two ports of one host) do not count: a NAT maps by destination IP.
 */
function mappingVaries(stun4: StepResult[]): { varies: boolean | null; whyUnknown?: string } {
  const byServerIp = new Map<string, string>();
  for (const s of stun4) {
    if (s.data?.serverIp) byServerIp.set(String(s.data.serverIp), `${s.data.address}:${s.data.port}`);
  }
  if (byServerIp.size >= 2) return { varies: new Set(byServerIp.values()).size > 1 };
  const whyUnknown =
    stun4.length === 0
      ? 'no IPv4 STUN server answered'
      : `only one STUN server IP answered (${[...byServerIp.keys()][0]}); it takes two or more servers at different IPs`;
  return { varies: null, whyUnknown };
}

/** A new home must be this much faster than the old one before a client moves (netcheck keeps it within 3/2). */
const STICKY_FACTOR = 1.5;

/** Best latency per region: the fastest STUN answer of its nodes, else the DERP ping. */
function regionLatencies(nodes: NodeReport[]): Record<string, number> {
  const latency: Record<string, number> = {};
  for (const n of nodes) {
    const stunMs = n.steps
      .filter((s) => s.step.startsWith('stun') && s.status !== 'fail' && s.status !== 'skip' && s.ms !== undefined)
      .map((s) => s.ms!);
    const ping = n.steps.find((s) => s.step === 'derp-roundtrip')?.data?.pingMs as number | undefined;
    const best = stunMs.length ? Math.min(...stunMs) : ping;
    if (best !== undefined) latency[n.regionId] = Math.min(latency[n.regionId] ?? Infinity, best);
  }
  return latency;
}

/** The region a client would choose as home: lowest latency weighed by RegionScore, sticky to the previous one. */
function homeRegion(map: DerpMap, latency: Record<string, number>, previousPreferred: number | null): number | null {
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
  return preferred;
}

/** netcheck's CaptivePortal: true when a node's /generate_204 was answered by something else. */
function captivePortal(nodes: NodeReport[]): boolean | null {
  const asked = nodes.flatMap((n) =>
    n.steps.filter((s) => s.step === 'captive-portal' && s.data?.portal !== undefined),
  );
  return asked.length ? asked.some((s) => s.data!.portal === true) : null;
}

export function summarise(map: DerpMap, nodes: NodeReport[], previousPreferred: number | null = null): CheckSummary {
  const answered = (step: StepName) =>
    nodes.flatMap((n) => n.steps.filter((s) => s.step === step && (s.status === 'ok' || s.status === 'warn')));
  const v4 = answered('stun4');
  const v6 = answered('stun6');
  const latency = regionLatencies(nodes);
  const preferred = homeRegion(map, latency, previousPreferred);
  const named = Object.entries(latency)
    .map(([id, ms]) => ({
      regionId: Number(id),
      code: map.Regions[id]?.RegionCode ?? id,
      name: map.Regions[id]?.RegionName ?? '',
      ms,
    }))
    .sort((a, b) => a.ms - b.ms);
  const problems = nodes.flatMap((n) =>
    n.steps
      .filter((s) => s.status === 'fail' || s.status === 'warn')
      .map((s) => `${n.regionCode}/${n.node} ${s.step}: ${s.detail}${s.advice ? ` (${s.advice})` : ''}`),
  );
  const mapping = mappingVaries(v4);
  const mapped = (s: StepResult | undefined) =>
    s ? `${String(s.data?.address).includes(':') ? `[${s.data?.address}]` : s.data?.address}:${s.data?.port}` : null;
  return {
    udp: v4.length + v6.length > 0,
    publicIPv4: (v4[0]?.data?.address as string) ?? null,
    publicIPv6: (v6[0]?.data?.address as string) ?? null,
    mappedIPv4: mapped(v4[0]),
    mappedIPv6: mapped(v6[0]),
    mappingVariesByDestIP: mapping.varies,
    ...(mapping.whyUnknown ? { mappingVariesWhyUnknown: mapping.whyUnknown } : {}),
    regionLatencyMs: latency,
    regionLatency: named,
    preferredRegion: preferred,
    nearest: named.find((r) => r.regionId === preferred) ?? null,
    captivePortal: captivePortal(nodes),
    bandwidth: nodes.flatMap((n) =>
      n.steps
        .filter((s) => s.step === 'bandwidth' && s.status === 'ok' && typeof s.data?.mbps === 'number')
        .map((s) => ({ regionCode: n.regionCode, node: n.node, mbps: s.data!.mbps as number })),
    ),
    problems,
  };
}
