/** The plain-text report `derpdesk check` prints (also embedded in Markdown exports). */
import type { CheckReport, StepStatus } from '../../shared/diagnostics.js';

const MARK: Record<StepStatus, string> = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL', skip: '--  ' };

export function formatReport(r: CheckReport, label: string): string {
  const lines = [`derpdesk check ${label}`, ''];
  for (const n of r.nodes) {
    lines.push(`region ${n.regionId} (${n.regionCode}) node ${n.node} ${n.host}`);
    for (const s of n.steps)
      lines.push(
        `  ${MARK[s.status]} ${s.step.padEnd(15)} ${s.detail}${s.ms !== undefined && s.status !== 'skip' ? `  [${s.ms} ms]` : ''}`,
      );
  }
  const sm = r.summary;
  lines.push(
    '',
    'Summary:',
    `  UDP: ${sm.udp ? 'yes' : 'no'}`,
    `  IPv4: ${sm.publicIPv4 ?? 'no'}`,
    `  IPv6: ${sm.publicIPv6 ?? 'no'}`,
  );
  lines.push(
    `  Region latency: ${
      Object.entries(sm.regionLatencyMs)
        .map(([id, ms]) => `${id} ${ms.toFixed(1)} ms`)
        .join(', ') || 'none measured'
    }`,
  );
  lines.push(`  Preferred region: ${sm.preferredRegion ?? 'none'}`);
  if (sm.problems.length) lines.push('', 'Problems:', ...sm.problems.map((p) => `  - ${p}`));
  return lines.join('\n') + '\n';
}
