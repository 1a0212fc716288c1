/** Connectivity diagnostics results, shared by the engine, the CLI and the GUI. */
import { countOf } from './words.js';

export type StepStatus = 'ok' | 'warn' | 'fail' | 'skip';

export type StepName =
  | 'dns'
  | 'tcp4'
  | 'tcp6'
  | 'tls'
  | 'http-probe'
  | 'derp'
  | 'derp-keys'
  | 'derp-roundtrip'
  | 'stun4'
  | 'stun6'
  | 'captive-portal'
  | 'mesh'
  | 'bandwidth';

export interface StepResult {
  step: StepName;
  status: StepStatus;
  /** How long the step took, when it ran. */
  ms?: number;
  /** What was found, in one line. */
  detail: string;
  /** For warn/fail: what to do about it. */
  advice?: string;
  data?: Record<string, string | number | boolean | string[]>;
}

export interface NodeReport {
  regionId: number;
  regionCode: string;
  /** Absent in runs stored by older versions. */
  regionName?: string;
  /** The region's place from the map, when it has one (older runs have none). */
  latitude?: number;
  longitude?: number;
  node: string;
  host: string;
  steps: StepResult[];
}

/** One region's best latency, named as a user knows it. */
export interface RegionLatency {
  regionId: number;
  code: string;
  name: string;
  ms: number;
}

/** One node's bandwidth test result. */
export interface NodeBandwidth {
  regionCode: string;
  node: string;
  mbps: number;
}

/**
 * What `tailscale netcheck` prints, for the nodes checked. The optional fields are absent in runs stored by
 * versions before they were measured; readers treat them as unknown.
 */
export interface CheckSummary {
  udp: boolean;
  publicIPv4: string | null;
  publicIPv6: string | null;
  /** The IPv4 address:port the first answering STUN server saw. */
  mappedIPv4?: string | null;
  /** The IPv6 [address]:port the first answering STUN server saw. */
  mappedIPv6?: string | null;
  /**
   * netcheck's MappingVariesByDestIP (hard NAT): STUN servers at different IPs, asked from one local socket, saw
   * different mapped addresses. Null when fewer than two server IPs answered.
   */
  mappingVariesByDestIP: boolean | null;
  /** Why mappingVariesByDestIP is null. */
  mappingVariesWhyUnknown?: string;
  /** Best latency per region (STUN, else DERP ping), ms. */
  regionLatencyMs: Record<string, number>;
  /** The same, named and sorted fastest first. */
  regionLatency?: RegionLatency[];
  /** Lowest-latency region, as a client would choose its home (RegionScore applied). */
  preferredRegion: number | null;
  /** The preferred region, named. */
  nearest?: RegionLatency | null;
  /** A captive portal answered instead of a node's /generate_204; null when no node was asked. */
  captivePortal?: boolean | null;
  /** Bandwidth test results, when the run included them. */
  bandwidth?: NodeBandwidth[];
  problems: string[];
}

export interface CheckReport {
  startedAt: number;
  finishedAt: number;
  nodes: NodeReport[];
  summary: CheckSummary;
}

/** A region as users know it: "fra (Frankfurt)", or just the code when the name adds nothing. */
export function regionLabel(r: { code: string; name: string }): string {
  return r.name && r.name !== r.code ? `${r.code} (${r.name})` : r.code;
}

/** Latency per region, fastest first; runs stored before regions were named show their ids as codes. */
export function latencyByRegion(s: CheckSummary): RegionLatency[] {
  return (
    s.regionLatency ??
    Object.entries(s.regionLatencyMs)
      .map(([id, ms]) => ({ regionId: Number(id), code: id, name: '', ms }))
      .sort((a, b) => a.ms - b.ms)
  );
}

/** A run in one line, as the history and the exports show it: "1 node · 0 failures · 1 warning". */
export function runTally(r: { nodes: number; fails: number; warns: number }): string {
  return `${countOf(r.nodes, 'node')} · ${countOf(r.fails, 'failure')} · ${countOf(r.warns, 'warning')}`;
}

/** netcheck's "IPv4: yes, 198.51.100.7:41641": the mapped address:port, or the address alone in older runs. */
export function addressFact(mapped: string | null | undefined, ip: string | null): string {
  const seen = mapped ?? ip;
  return seen ? `yes, ${seen}` : 'no';
}
