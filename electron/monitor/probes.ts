/**
 * The probes a DERP map asks for, named and labelled as derpprobe names them (prober/derp.go), and what each one
 * runs: the diagnostics steps, judged the way derpprobe judges them.
 */
import { DEFAULT_DERP_PORT, DEFAULT_STUN_PORT, regionsInOrder, type DerpMap } from '../../shared/derpmap/model.js';
import type { DerpNode } from '../../shared/derpmap/model.js';
import type { ProbeClass } from '../../shared/monitor.js';
import type { StepResult } from '../../shared/diagnostics.js';
import { checkBandwidth, checkDns, checkMeshPair, checkStun, checkTls, type NodeTarget } from '../diagnostics/steps.js';

/** derpprobe fails a certificate that expires within 7 days (prober/tls.go expiresSoon). */
export const CERT_EXPIRES_SOON_MS = 7 * 86_400_000;

export interface ProbeIntervals {
  /** derpprobe's -interval: how often the map is re-read. */
  mapMs: number;
  tlsMs: number;
  meshMs: number;
  stunMs: number;
  /** 0: no bandwidth probes (derpprobe's default). */
  bwMs: number;
  bwBytes: number;
}

/** derpprobe's defaults. */
export const DERPPROBE_INTERVALS: ProbeIntervals = {
  mapMs: 15_000,
  tlsMs: 15_000,
  meshMs: 15_000,
  stunMs: 15_000,
  bwMs: 0,
  bwBytes: 1_000_000,
};

export interface TargetOptions {
  scheme: 'https' | 'http';
  ca?: string | Buffer;
}

export interface ProbeOutcome {
  ok: boolean;
  error: string | null;
  certNotAfter?: number;
}

export interface ProbeSpec {
  name: string;
  class: ProbeClass;
  labels: Record<string, string>;
  node: string;
  regionId: number;
  intervalMs: number;
  /** Runs the probe once; each step inside is bounded by `stepTimeoutMs`. */
  run(stepTimeoutMs: number): Promise<ProbeOutcome>;
}

function target(node: DerpNode, opts: TargetOptions, timeoutMs: number): NodeTarget {
  return {
    node,
    scheme: opts.scheme,
    port: node.DERPPort || DEFAULT_DERP_PORT,
    stunPort: node.STUNPort === -1 ? -1 : node.STUNPort || DEFAULT_STUN_PORT,
    timeoutMs,
    ca: opts.ca,
  };
}

const failed = (s: StepResult): ProbeOutcome => ({ ok: false, error: s.detail });

async function addressOf(t: NodeTarget): Promise<{ v4: string | null; v6: string | null; error: string | null }> {
  const d = await checkDns(t);
  return { v4: d.v4, v6: d.v6, error: d.step.status === 'fail' ? d.step.detail : null };
}

async function probeTls(node: DerpNode, opts: TargetOptions, ms: number): Promise<ProbeOutcome> {
  const t = target(node, opts, ms);
  const a = await addressOf(t);
  if (a.error) return { ok: false, error: a.error };
  const s = await checkTls(a.v4 ?? a.v6, t);
  const notAfter = typeof s.data?.notAfter === 'string' ? Date.parse(s.data.notAfter) : undefined;
  const certNotAfter = notAfter !== undefined && Number.isFinite(notAfter) ? notAfter : undefined;
  if (s.status === 'fail' || s.status === 'skip') return { ...failed(s), certNotAfter };
  if (certNotAfter !== undefined && certNotAfter - Date.now() < CERT_EXPIRES_SOON_MS)
    return { ok: false, error: `certificate expires within 7 days: ${s.detail}`, certNotAfter };
  return { ok: true, error: null, certNotAfter };
}

async function probeUdp(node: DerpNode, family: 4 | 6, opts: TargetOptions, ms: number): Promise<ProbeOutcome> {
  // The STUN step tries three times, waiting 1, 2 and 3 timeouts: the six fit in the run's deadline (three steps).
  const t = target(node, opts, Math.floor(ms * 0.45));
  const a = await addressOf(t);
  const addr = family === 4 ? a.v4 : a.v6;
  if (!addr) return { ok: false, error: a.error ?? `${node.HostName} has no IPv${family} address` };
  const s = await checkStun(addr, t, family);
  return s.status === 'ok' || s.status === 'warn' ? { ok: true, error: null } : failed(s);
}

async function probeMesh(from: DerpNode, to: DerpNode, opts: TargetOptions, ms: number): Promise<ProbeOutcome> {
  const [tf, tt] = [target(from, opts, ms), target(to, opts, ms)];
  const [af, at] = await Promise.all([addressOf(tf), addressOf(tt)]);
  const fromAddr = af.v4 ?? af.v6;
  const toAddr = at.v4 ?? at.v6;
  if (!fromAddr || !toAddr) return { ok: false, error: af.error ?? at.error ?? 'no address' };
  const s = await checkMeshPair(tf, fromAddr, tt, toAddr);
  return s.status === 'ok' ? { ok: true, error: null } : failed(s);
}

async function probeBandwidth(node: DerpNode, bytes: number, opts: TargetOptions, ms: number): Promise<ProbeOutcome> {
  const t = target(node, opts, ms);
  const a = await addressOf(t);
  const s = await checkBandwidth(a.v4 ?? a.v6, t, bytes);
  return s.status === 'ok' ? { ok: true, error: null } : failed(s);
}

/** IPv6 is probed where the map or the host name says the node has it, as derpprobe probes the map's IPv6. */
function hasIPv6(n: DerpNode): boolean {
  if (n.IPv6 === 'none') return false;
  return Boolean(n.IPv6) || n.HostName.includes(':');
}

function hasIPv4(n: DerpNode): boolean {
  if (n.IPv4 === 'none') return false;
  return Boolean(n.IPv4) || !n.HostName.includes(':');
}

/**
 * Every probe of the map, in derpprobe's naming. STUN-only nodes get only their UDP probes (they run no DERP).
 * `region` (id or code) keeps one region, as derpprobe's -region-code does.
 */
export function planProbes(map: DerpMap, iv: ProbeIntervals, opts: TargetOptions, region?: string): ProbeSpec[] {
  const out: ProbeSpec[] = [];
  for (const r of regionsInOrder(map)) {
    if (region && r.RegionCode !== region && String(r.RegionID) !== region) continue;
    const derpNodes = r.Nodes.filter((n) => !n.STUNOnly);
    for (const n of r.Nodes) {
      const labels = { region: r.RegionCode, region_id: String(r.RegionID), hostname: n.HostName };
      const base = { node: n.Name, regionId: r.RegionID };
      const prefix = `derp/${r.RegionCode}/${n.Name}`;
      if (iv.tlsMs > 0 && !n.STUNOnly && opts.scheme === 'https')
        out.push({
          ...base,
          name: `${prefix}/tls`,
          class: 'tls',
          labels,
          intervalMs: iv.tlsMs,
          run: (ms) => probeTls(n, opts, ms),
        });
      if (iv.stunMs > 0 && n.STUNPort !== -1) {
        if (hasIPv6(n))
          out.push({
            ...base,
            name: `${prefix}/udp6`,
            class: 'derp_udp',
            labels: { ...labels, address_family: 'ipv6' },
            intervalMs: iv.stunMs,
            run: (ms) => probeUdp(n, 6, opts, ms),
          });
        if (hasIPv4(n))
          out.push({
            ...base,
            name: `${prefix}/udp`,
            class: 'derp_udp',
            labels: { ...labels, address_family: 'ipv4' },
            intervalMs: iv.stunMs,
            run: (ms) => probeUdp(n, 4, opts, ms),
          });
      }
      if (n.STUNOnly) continue;
      for (const to of derpNodes) {
        const derpPath = to === n ? 'single' : 'mesh';
        if (iv.meshMs > 0)
          out.push({
            ...base,
            name: `${prefix}/${to.Name}/mesh`,
            class: 'derp_mesh',
            labels: { ...labels, derp_path: derpPath },
            intervalMs: iv.meshMs,
            run: (ms) => probeMesh(n, to, opts, ms),
          });
        // Our bandwidth step moves data through one node; pairs of nodes are left to the mesh probes.
        if (iv.bwMs > 0 && iv.bwBytes > 0 && to === n)
          out.push({
            ...base,
            name: `${prefix}/${to.Name}/bw`,
            class: 'derp_bw',
            labels: { ...labels, derp_path: derpPath, tcp_in_tcp: 'false' },
            intervalMs: iv.bwMs,
            run: (ms) => probeBandwidth(n, iv.bwBytes, opts, ms),
          });
      }
    }
  }
  return out;
}
