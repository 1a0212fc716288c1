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
// Costs: a column or a value in these units is better lower.
const COST = /\bms\b|\bus\b|KiB|MiB|s\/GB/;
// Columns that name the case a row measures, and columns that describe a run rather than rate it (a busier relay
// uses more CPU; CPU per GB is the cost figure).
const CASE = /^(packet bytes|pairs)$/;
const DESCRIPTIVE = /^(trials|samples|offered packets\/s|relay CPU|pipe ceiling MB\/s)$/;
// Figures measured at a share of each run's own zero-loss rate: two runs with different rates load them differently.
const RELATIVE = /delivered at 1\.5x|% of zero-loss/;
// A number, with at most a unit after it; "25% of zero-loss" is a label.
const NUMBER = /^-?\d+(\.\d+)?\s*(%|x|ms|us|KiB|MiB)?$/;
const num = (v) => (typeof v === 'number' ? v : NUMBER.test(String(v).trim()) ? Number.parseFloat(String(v)) : NaN);

/** figure id -> { value, lowerIsBetter }; a row is identified by its text cells and its case columns. */
function figures(results) {
  const out = new Map();
  for (const r of results) {
    for (const row of r.rows) {
      const id = Object.entries(row)
        .filter(([k, v]) => CASE.test(k) || (!DESCRIPTIVE.test(k) && Number.isNaN(num(v))))
        .map(([k, v]) => (CASE.test(k) ? `${k} ${v}` : v))
        .join(' / ');
      for (const [k, v] of Object.entries(row)) {
        if (Number.isNaN(num(v)) || CASE.test(k) || DESCRIPTIVE.test(k)) continue;
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
  if (RELATIVE.test(k)) {
    console.log(`skip  ${k}: ${b} -> ${a} (relative to each run's own zero-loss rate)`);
    continue;
  }
  const ratio = a / b;
  const bad = lowerIsBetter ? ratio > 1 + NOISE : ratio < 1 - NOISE;
  if (bad) worse++;
  console.log(`${bad ? 'WORSE' : 'ok   '} ${ratio.toFixed(2)}x  ${k}: ${b} -> ${a}`);
}
console.log(`${worse} figure(s) worse than ${oldFile} by more than ${NOISE * 100}%`);
process.exit(worse > 0 ? 1 : 0);
