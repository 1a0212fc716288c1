// Compares two `npm run bench` JSON files figure by figure: `node scripts/bench-compare.mjs old.json new.json`.
// Throughput-like figures must not drop, cost-like figures (ms, KiB) must not rise, by more than the noise margin.
import { readFileSync } from 'node:fs';

const NOISE = Number(process.env.BENCH_NOISE ?? 0.1);
const [oldFile, newFile] = process.argv.slice(2);
if (!oldFile || !newFile) {
  console.error('usage: node scripts/bench-compare.mjs old.json new.json');
  process.exit(2);
}
const load = (f) => JSON.parse(readFileSync(f, 'utf8')).results;
// Costs: a column or a value in these units is better lower. Columns that describe the run are not figures.
const COST = /\bms\b|KiB|MiB|CPU|s\/GB/;
const NOT_A_FIGURE = /^(packet bytes|pairs|trials|samples|offered packets\/s)$/;
const num = (v) => (typeof v === 'number' ? v : Number.parseFloat(String(v)));

/** figure id -> { value, lowerIsBetter }; a row is identified by its text cells and its leading numeric ones. */
function figures(results) {
  const out = new Map();
  for (const r of results) {
    for (const row of r.rows) {
      const id = Object.entries(row)
        .filter(([k, v]) => Number.isNaN(num(v)) || NOT_A_FIGURE.test(k))
        .map(([k, v]) => (NOT_A_FIGURE.test(k) ? `${k} ${v}` : v))
        .join(' / ');
      for (const [k, v] of Object.entries(row)) {
        if (Number.isNaN(num(v)) || NOT_A_FIGURE.test(k)) continue;
        out.set(`${r.title} | ${id} | ${k}`, { value: num(v), lowerIsBetter: COST.test(k) || COST.test(String(v)) });
      }
    }
  }
  return out;
}

const before = figures(load(oldFile));
const after = figures(load(newFile));
let worse = 0;
for (const [k, { value: a, lowerIsBetter }] of after) {
  const b = before.get(k)?.value;
  if (b === undefined || b === 0) continue;
  const ratio = a / b;
  const bad = lowerIsBetter ? ratio > 1 + NOISE : ratio < 1 - NOISE;
  if (bad) worse++;
  console.log(`${bad ? 'WORSE' : 'ok   '} ${ratio.toFixed(2)}x  ${k}: ${b} -> ${a}`);
}
console.log(`${worse} figure(s) worse than ${oldFile} by more than ${NOISE * 100}%`);
process.exit(worse > 0 ? 1 : 0);
