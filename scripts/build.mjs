// Bundles the Node entry points with esbuild. Fast enough (well under a second) to run before tests.
import { build } from 'esbuild';

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: true,
  packages: 'external',
  logLevel: 'warning',
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
};

await build({
  ...common,
  entryPoints: { cli: 'electron/cli/main.ts', bench: 'scripts/bench.ts', 'bench-worker': 'bench/worker.ts' },
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
});
