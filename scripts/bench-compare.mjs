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
const lowerIsBetter = (name) => /ms|KiB|CPU/.test(name);
const num = (v) => (typeof v === 'number' ? v : Number.parseFloat(String(v)));

function figures(results) {
  const out = new Map();
  for (const r of results) {
    for (const row of r.rows) {
      const id = Object.entries(row).filter(([, v]) => typeof v === 'string' && Number.isNaN(num(v))).map(([, v]) => v).join(' / ') || Object.values(row)[0];
      for (const [k, v] of Object.entries(row)) if (!Number.isNaN(num(v))) out.set(`${r.title} | ${id} | ${k}`, num(v));
    }
  }
  return out;
}

const before = figures(load(oldFile));
const after = figures(load(newFile));
let worse = 0;
for (const [k, a] of after) {
  const b = before.get(k);
  if (b === undefined || b === 0) continue;
  const ratio = a / b;
  const bad = lowerIsBetter(k) ? ratio > 1 + NOISE : ratio < 1 - NOISE;
  if (bad) worse++;
  console.log(`${bad ? 'WORSE' : 'ok   '} ${ratio.toFixed(2)}x  ${k}: ${b} -> ${a}`);
}
console.log(`${worse} figure(s) worse than ${oldFile} by more than ${NOISE * 100}%`);
process.exit(worse > 0 ? 1 : 0);
