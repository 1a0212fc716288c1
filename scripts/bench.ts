/**
 * `npm run bench [-- --out dir]`: runs every benchmark, prints the figures and writes benchmarks.md, its charts and
 * benchmarks.json to docs/ (or `dir`). DERPDESK_BENCH_RELAY_CLI=<other checkout>/dist/cli.mjs measures another
 * build's relay under the same load, for `npm run bench:compare`.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { benchRelay } from '../bench/relay.js';
import { benchStun } from '../bench/stun.js';
import { toMarkdown } from '../bench/report.js';
import type { BenchResult } from '../bench/types.js';

const quick = process.argv.includes('--quick');
const outArg = process.argv.indexOf('--out');
const outDir = path.resolve(outArg > 0 ? process.argv[outArg + 1] : 'docs');
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'derpdesk-bench-'));
const results: BenchResult[] = [];
const log = (line: string) => console.log(line);
try {
  results.push(
    ...(await benchRelay(dataDir, {
      durationMs: quick ? 1000 : 3000,
      pairCounts: quick ? [1, 8] : [1, 2, 4, 8],
      sizes: quick ? [100, 1200] : [100, 1200, 16_000],
      idleClients: quick ? [500] : [1000, 10_000],
      handshakes: quick ? 2000 : 8000,
      log,
    })),
  );
  log('STUN responses…');
  results.push(await benchStun(dataDir, quick ? 1000 : 4000));
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
const md = toMarkdown(results);
console.log('\n' + md);
if (!quick) {
  mkdirSync(outDir, { recursive: true });
  writeFileSync(path.join(outDir, 'benchmarks.md'), md);
  for (const r of results) if (r.chart) writeFileSync(path.join(outDir, r.chart.file), r.chart.svg);
  // Machine-readable copy for `npm run bench:compare` against a later run.
  writeFileSync(
    path.join(outDir, 'benchmarks.json'),
    JSON.stringify({ at: new Date().toISOString(), results: results.map(({ chart: _chart, ...r }) => r) }, null, 2) +
      '\n',
  );
}
