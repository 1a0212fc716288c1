// Fetches Electron's binary for `npm start`. npm 11 skips dependencies' install scripts unless approved, so we run
// Electron's own installer here; where it cannot download (offline CI), the CLI and `derpdesk host` still work.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
let installer;
try {
  installer = require.resolve('electron/install.js');
} catch {
  process.exit(0);
}
if (process.env.ELECTRON_SKIP_BINARY_DOWNLOAD) process.exit(0);
const pathFile = require.resolve('electron/package.json').replace(/package\.json$/, 'path.txt');
if (existsSync(pathFile)) process.exit(0);
const r = spawnSync(process.execPath, [installer], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 300_000 });
if (r.status !== 0) {
  console.warn('derpdesk: the Electron binary could not be downloaded, so `npm start` will not open a window here;');
  console.warn(
    'derpdesk: it serves the same GUI to your browser instead (`derpdesk host`); `npx derpdesk relay` works too.',
  );
  console.warn('derpdesk: to get the window later, run `node node_modules/electron/install.js` with internet access.');
}
