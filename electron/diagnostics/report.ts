/** The plain-text report `derpdesk check` prints (also embedded in Markdown exports), in netcheck's terms. */
import {
  addressFact,
  latencyByRegion,
  regionLabel,
  type CheckReport,
  type CheckSummary,
  type NodeReport,
  type StepStatus,
} from '../../shared/diagnostics.js';

const MARK: Record<StepStatus, string> = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL', skip: '--  ' };

/** "region 1 nyc (New York City) node 1a host": a node by the names a user knows, not only numbers. */
export function nodeTitle(n: NodeReport): string {
  return `region ${n.regionId} ${regionLabel({ code: n.regionCode, name: n.regionName ?? '' })} node ${n.node} ${n.host}`;
}

/** The summary lines, as `tailscale netcheck` words them. */
export function summaryLines(sm: CheckSummary): string[] {
  const latency = latencyByRegion(sm);
  const lines = [
    `  UDP: ${sm.udp ? 'yes' : 'no'}`,
    `  IPv4: ${addressFact(sm.mappedIPv4, sm.publicIPv4)}`,
    `  IPv6: ${addressFact(sm.mappedIPv6, sm.publicIPv6)}`,
    `  MappingVariesByDestIP: ${
      sm.mappingVariesByDestIP === null
        ? `unknown${sm.mappingVariesWhyUnknown ? ` (${sm.mappingVariesWhyUnknown})` : ''}`
        : String(sm.mappingVariesByDestIP)
    }`,
    `  CaptivePortal: ${sm.captivePortal === undefined || sm.captivePortal === null ? 'not checked' : String(sm.captivePortal)}`,
    `  Nearest DERP: ${sm.nearest ? `${regionLabel(sm.nearest)}, region ${sm.nearest.regionId}` : (sm.preferredRegion ?? 'none')}`,
    '  DERP latency:',
    ...(latency.length ? latency.map((r) => `    - ${regionLabel(r)}: ${r.ms.toFixed(1)} ms`) : ['    none measured']),
  ];
  if (sm.bandwidth?.length)
    lines.push(
      '  Bandwidth:',
      ...sm.bandwidth.map((b) => `    - ${b.regionCode}/${b.node}: ${b.mbps.toFixed(1)} MB/s`),
    );
  return lines;
}

export function formatReport(r: CheckReport, label: string): string {
  const lines = [`derpdesk check ${label}`, ''];
  for (const n of r.nodes) {
    lines.push(nodeTitle(n));
    for (const s of n.steps)
      lines.push(
        `  ${MARK[s.status]} ${s.step.padEnd(15)} ${s.detail}${s.ms !== undefined && s.status !== 'skip' ? `  [${s.ms} ms]` : ''}`,
      );
  }
  lines.push('', 'Summary:', ...summaryLines(r.summary));
  if (r.summary.problems.length) lines.push('', 'Problems:', ...r.summary.problems.map((p) => `  - ${p}`));
  return lines.join('\n') + '\n';
}
