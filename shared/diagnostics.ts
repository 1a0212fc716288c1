/** Connectivity diagnostics results, shared by the engine, the CLI and the GUI. */

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
  node: string;
  host: string;
  steps: StepResult[];
}

export interface CheckSummary {
  udp: boolean;
  publicIPv4: string | null;
  publicIPv6: string | null;
  /** STUN mapped ports differ between servers: netcheck's MappingVariesByDestIP (hard NAT). */
  mappingVariesByDestIP: boolean | null;
  /** Best latency per region (STUN, else DERP ping), ms. */
  regionLatencyMs: Record<string, number>;
  /** Lowest-latency region, as a client would choose its home (RegionScore applied). */
  preferredRegion: number | null;
  problems: string[];
}

export interface CheckReport {
  startedAt: number;
  finishedAt: number;
  nodes: NodeReport[];
  summary: CheckSummary;
}
