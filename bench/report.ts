/** Writes benchmark results as Markdown with the machine, date and commit they were measured on. */
import { execSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { RELAY_CLI } from './process.js';
import type { BenchResult } from './types.js';

function commitOf(dir: string): string {
  try {
    return execSync('git rev-parse --short HEAD', { cwd: dir, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {
    // Not a git checkout (e.g. an unpacked release).
    return 'uncommitted';
  }
}

export function machineLine(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const commit = commitOf(process.cwd());
  const relayCommit = commitOf(path.dirname(RELAY_CLI));
  const relay = relayCommit === commit ? '' : `, relay under test from commit ${relayCommit} (${RELAY_CLI})`;
  return `${new Date().toISOString().slice(0, 10)}, commit ${commit}${relay}, ${os.cpus().length} × ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}`;
}

export function toMarkdown(results: BenchResult[]): string {
  const out: string[] = ['# Benchmarks', '', `Measured by \`npm run bench\` on: ${machineLine()}.`, ''];
  for (const r of results) {
    out.push(`## ${r.title}`, '');
    const cols = Object.keys(r.rows[0] ?? {});
    out.push(`| ${cols.join(' | ')} |`, `| ${cols.map(() => '---').join(' | ')} |`);
    for (const row of r.rows) out.push(`| ${cols.map((c) => String(row[c])).join(' | ')} |`);
    out.push('');
    if (r.chart) out.push(`![${r.chart.alt}](${r.chart.file})`, '');
    for (const n of r.notes ?? []) out.push(`- ${n}`);
    if (r.notes?.length) out.push('');
  }
  return out.join('\n');
}
