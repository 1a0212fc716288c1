// Bundles the Node and Electron entry points with esbuild (well under a second, so it runs before every test run).
// The renderer is built separately by Vite (`npm run build:renderer`).
import { build } from 'esbuild';

const node = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  packages: 'external',
  logLevel: 'warning',
};

await Promise.all([
  build({
    ...node,
    format: 'esm',
    entryPoints: {
      cli: 'electron/cli/main.ts',
      bench: 'scripts/bench.ts',
      'bench-worker': 'bench/worker.ts',
      'map-worker': 'electron/app/map-worker.ts',
    },
    outdir: 'dist',
    outExtension: { '.js': '.mjs' },
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  }),
  // Electron's main process and the preload are CommonJS: a sandboxed preload cannot be an ES module, and one
  // self-contained file is all a sandboxed preload may load.
  // The map worker is found beside the running bundle through import.meta.url (electron/app/map-work.ts), which
  // esbuild leaves empty in CommonJS: define it from __filename.
  ...[
    { entryPoints: { main: 'electron/main/index.ts' } },
    // Electron cannot start a worker from inside app.asar, so the packaged worker is unpacked beside it
    // (electron-builder.yml), where node_modules is out of reach: it carries its dependencies with it.
    { entryPoints: { 'map-worker': 'electron/app/map-worker.ts' }, packages: undefined },
  ].map((entry) =>
    build({
      ...node,
      target: 'node22',
      format: 'cjs',
      outdir: 'dist/electron',
      outExtension: { '.js': '.cjs' },
      external: ['electron'],
      define: { 'import.meta.url': '__bundleUrl' },
      banner: { js: "const __bundleUrl = require('node:url').pathToFileURL(__filename).href;" },
      ...entry,
    }),
  ),
  build({
    ...node,
    target: 'chrome140',
    packages: undefined,
    format: 'cjs',
    entryPoints: { preload: 'electron/preload/index.ts' },
    outdir: 'dist/electron',
    outExtension: { '.js': '.cjs' },
    external: ['electron'],
  }),
]);
