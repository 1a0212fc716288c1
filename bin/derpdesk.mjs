#!/usr/bin/env -S node --initial-old-space-size=64
// Launcher for the bundled CLI; `npm install` builds dist/ through the prepare script. The V8 flag is
// electron/cli/v8-flags.ts's RELAY_V8_FLAGS (why: see there).
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const cli = fileURLToPath(new URL('../dist/cli.mjs', import.meta.url));
if (!existsSync(cli)) {
  process.stderr.write('derpdesk: dist/cli.mjs is missing; run `npm install` (or `npm run build`) first\n');
  process.exit(2);
}
await import(pathToFileURL(cli).href);
