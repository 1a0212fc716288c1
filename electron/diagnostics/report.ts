/** The plain-text report `derpdesk check` prints (also embedded in Markdown exports), in netcheck's terms. */
import type { CheckReport, CheckSummary, NodeReport, RegionLatency, StepStatus } from '../../shared/diagnostics.js';

const MARK: Record<StepStatus, string> = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL', skip: '--  ' };

/** "region 1 nyc (New York City) node 1a host": a node by the names a user knows, not only numbers. */
export function nodeTitle(n: NodeReport): string {
  const name = n.regionName && n.regionName !== n.regionCode ? ` (${n.regionName})` : '';
  return `region ${n.regionId} ${n.regionCode}${name} node ${n.node} ${n.host}`;
}

const regionText = (r: RegionLatency) => `${r.code}${r.name && r.name !== r.code ? ` (${r.name})` : ''}`;

/** The summary lines, as `tailscale netcheck` words them. */
export function summaryLines(sm: CheckSummary): string[] {
  const family = (mapped: string | null | undefined, ip: string | null) =>
    (mapped ?? ip) ? `yes, ${mapped ?? ip}` : 'no';
  const latency =
    sm.regionLatency ??
    Object.entries(sm.regionLatencyMs)
      .map(([id, ms]) => ({ regionId: Number(id), code: id, name: '', ms }))
      .sort((a, b) => a.ms - b.ms);
  const lines = [
    `  UDP: ${sm.udp ? 'yes' : 'no'}`,
    `  IPv4: ${family(sm.mappedIPv4, sm.publicIPv4)}`,
    `  IPv6: ${family(sm.mappedIPv6, sm.publicIPv6)}`,
    `  MappingVariesByDestIP: ${
      sm.mappingVariesByDestIP === null
        ? `unknown${sm.mappingVariesWhyUnknown ? ` (${sm.mappingVariesWhyUnknown})` : ''}`
        : String(sm.mappingVariesByDestIP)
    }`,
    `  CaptivePortal: ${sm.captivePortal === undefined || sm.captivePortal === null ? 'not checked' : String(sm.captivePortal)}`,
    `  Nearest DERP: ${sm.nearest ? `${regionText(sm.nearest)}, region ${sm.nearest.regionId}` : (sm.preferredRegion ?? 'none')}`,
    '  DERP latency:',
    ...(latency.length ? latency.map((r) => `    - ${regionText(r)}: ${r.ms.toFixed(1)} ms`) : ['    none measured']),
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
