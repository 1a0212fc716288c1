// `npm start` (after `npm run build`): the desktop app when Electron's binary is installed. Where it is not (an
// offline install, a platform Electron has no build for), Electron's own launcher would die with a stack trace
// from inside node_modules; instead say what happened in one line and serve the same GUI to the browser with
// `derpdesk host`. Arguments after `npm start --` go to whichever starts.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

/** Electron's binary, or why there is none. Read the way node_modules/electron/index.js reads it, minus the download. */
function findElectron() {
  let dir;
  try {
    dir = path.dirname(require.resolve('electron/package.json'));
  } catch {
    return { why: 'the electron package is not installed' };
  }
  const pathFile = path.join(dir, 'path.txt');
  if (!existsSync(pathFile))
    return { why: "Electron's binary was never downloaded (offline install, or no build for this platform)" };
  const binary = path.join(dir, 'dist', readFileSync(pathFile, 'utf8').trim());
  if (!existsSync(binary)) return { why: `Electron's binary ${binary} is missing` };
  return { binary };
}

/** Runs `cmd`, passing on Ctrl+C and termination, and exits with its status. */
function run(cmd, args) {
  const child = spawn(cmd, args, { stdio: 'inherit' });
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
  child.on('error', (err) => {
    console.error(`derpdesk: cannot run ${cmd}: ${err.message}`);
    process.exit(1);
  });
}

const args = process.argv.slice(2);
const electron = findElectron();
if (electron.binary) {
  run(electron.binary, [root, ...args]);
} else {
  console.error(
    `derpdesk: no desktop window: ${electron.why}; get it with \`node node_modules/electron/install.js\` on a machine with internet. Starting the same app in your browser instead (derpdesk host):`,
  );
  // The launcher's shebang flags (electron/cli/v8-flags.ts), which running it through node would drop.
  run(process.execPath, ['--initial-old-space-size=64', path.join(root, 'bin', 'derpdesk.mjs'), 'host', ...args]);
}
