#!/usr/bin/env node
// Launcher for the bundled CLI; `npm install` builds dist/ through the prepare script.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const cli = fileURLToPath(new URL('../dist/cli.mjs', import.meta.url));
if (!existsSync(cli)) {
  process.stderr.write('derpdesk: dist/cli.mjs is missing; run `npm install` (or `npm run build`) first\n');
  process.exit(2);
}
await import(pathToFileURL(cli).href);
