// Runs the whole suite and ends with the plain `N passed, N failed` line that CI reads.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';

const results = '.vitest-results.json';
rmSync(results, { force: true });

// The CLI bundles and the renderer: the end-to-end tests drive the built app, as a user would run it.
const buildRun = spawnSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });
if (buildRun.status !== 0) {
  console.log('0 passed, 1 failed');
  process.exit(1);
}

// Types are part of the contract (IPC, bridge, renderer): a type error fails the run like a failing test, and so
// does a lint error or a file Prettier would change.
const typecheck = spawnSync('npm', ['run', '--silent', 'typecheck'], { stdio: 'inherit' });
const lint = spawnSync('npm', ['run', '--silent', 'lint'], { stdio: 'inherit' });
const format = spawnSync('npm', ['run', '--silent', 'format:check'], { stdio: 'inherit' });

const vitest = spawnSync(
  process.execPath,
  [
    'node_modules/vitest/vitest.mjs',
    'run',
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${results}`,
    ...process.argv.slice(2),
  ],
  { stdio: 'inherit' },
);

let passed = 0;
let failed = 0;
let skipped = 0;
try {
  const report = JSON.parse(readFileSync(results, 'utf8'));
  passed = report.numPassedTests;
  failed = report.numFailedTests;
  skipped = report.numPendingTests + report.numTodoTests;
  for (const suite of report.testResults ?? []) {
    if (suite.status === 'failed' && (suite.assertionResults ?? []).length === 0) failed += 1;
  }
} catch (err) {
  console.error(`could not read ${results}: ${err.message}`);
  failed += 1;
}
for (const [run, what] of [
  [typecheck, 'typecheck failed (npm run typecheck)'],
  [lint, 'lint failed (npm run lint)'],
  [format, 'formatting differs from Prettier (npm run format)'],
]) {
  if (run.status !== 0) {
    console.error(what);
    failed += 1;
  }
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || vitest.status !== 0 ? 1 : 0);
