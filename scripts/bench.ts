/** `npm run bench`: runs every benchmark, prints the figures and writes docs/benchmarks.md. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { benchRelay } from '../bench/relay.js';
import { benchStun } from '../bench/stun.js';
import { toMarkdown } from '../bench/report.js';
import type { BenchResult } from '../bench/types.js';

const quick = process.argv.includes('--quick');
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'derpdesk-bench-'));
const results: BenchResult[] = [];
try {
  console.log('relay throughput, memory and handshakes…');
  results.push(...(await benchRelay(dataDir, { durationMs: quick ? 1000 : 4000, idleClients: quick ? 500 : 2000 })));
  console.log('STUN responses…');
  results.push(await benchStun(dataDir, quick ? 1000 : 4000));
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
const md = toMarkdown(results);
console.log('\n' + md);
if (!quick) {
  writeFileSync(path.resolve('docs/benchmarks.md'), md);
  // Machine-readable copy for `npm run bench:compare` against a later run.
  writeFileSync(path.resolve('docs/benchmarks.json'), JSON.stringify({ at: new Date().toISOString(), results }, null, 2) + '\n');
}
