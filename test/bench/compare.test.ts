/** `npm run bench:compare`: run on real result files, as a developer runs it between two commits. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BenchResult } from '../../bench/types.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'derpdesk-compare-'));

function results(pps: number, p99: string, rss: string, trials: number): BenchResult[] {
  return [
    {
      title: 'Zero-loss',
      rows: [{ transport: 'TCP', 'packet bytes': 1200, 'zero-loss packets/s': pps, 'p99 ms': p99, trials }],
    },
    { title: 'Memory', rows: [{ figure: 'RSS per idle client', value: rss }] },
  ];
}

function compare(before: BenchResult[], after: BenchResult[]): { status: number | null; out: string } {
  const a = path.join(dir, `a-${Math.random()}.json`);
  const b = path.join(dir, `b-${Math.random()}.json`);
  writeFileSync(a, JSON.stringify({ results: before }));
  writeFileSync(b, JSON.stringify({ results: after }));
  const r = spawnSync(process.execPath, ['scripts/bench-compare.mjs', a, b], { encoding: 'utf8' });
  return { status: r.status, out: r.stdout };
}

describe('bench:compare', () => {
  it('passes figures within the noise margin, whatever the descriptive columns do', () => {
    const r = compare(results(100_000, '0.40', '10.0 KiB', 8), results(95_000, '0.43', '10.5 KiB', 12));
    expect(r.out).toContain('0 figure(s) worse');
    expect(r.out).toMatch(/ok +0\.95x .*TCP \/ packet bytes 1200 \| zero-loss packets\/s/);
    expect(r.out).toMatch(/ok +1\.05x .*RSS per idle client/);
    expect(r.out).not.toContain('trials');
    expect(r.status).toBe(0);
  });

  it('fails on lower throughput, and on higher latency or memory (costs, told by their units)', () => {
    const r = compare(results(100_000, '0.40', '10.0 KiB', 8), results(80_000, '0.60', '14.0 KiB', 8));
    expect(r.status).toBe(1);
    expect(r.out).toMatch(/WORSE 0\.80x .*zero-loss packets\/s/);
    expect(r.out).toMatch(/WORSE 1\.50x .*p99 ms/);
    expect(r.out).toMatch(/WORSE 1\.40x .*RSS per idle client/);
    expect(r.out).toContain('3 figure(s) worse');
  });

  it('counts improvements as fine', () => {
    expect(compare(results(100_000, '0.40', '10.0 KiB', 8), results(150_000, '0.30', '8.0 KiB', 8)).status).toBe(0);
  });
});
