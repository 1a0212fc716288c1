/**
 * `npm start` where Electron's binary is missing (as on this machine: offline install): one line says what
 * happened and how to get the binary, and the same app starts in the browser through `derpdesk host`.
 * Runs scripts/start.mjs, which `npm start` runs after building.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const require = createRequire(import.meta.url);
const electronDir = path.dirname(require.resolve('electron/package.json'));
const hasBinary = existsSync(path.join(electronDir, 'path.txt'));
const dir = mkdtempSync(path.join(os.tmpdir(), 'derpdesk-start-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('npm start', () => {
  it('runs start.mjs after the build', () => {
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts.start).toBe('npm run build && node scripts/start.mjs');
  });

  it.skipIf(hasBinary)(
    'without the Electron binary: one line saying so and how to get it, then derpdesk host serves the GUI',
    async () => {
      const child = spawn(
        process.execPath,
        [path.join(root, 'scripts/start.mjs'), '--listen', '127.0.0.1:0', '--data-dir', path.join(dir, 'data')],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      try {
        await expect.poll(() => /open (http:\/\/\S+)/.test(out), { timeout: 20_000, interval: 50 }).toBe(true);
        const lines = out.trim().split('\n');
        expect(lines).toHaveLength(2);
        expect(lines[0]).toBe(
          "derpdesk: no desktop window: Electron's binary was never downloaded (offline install, or no build for this platform); " +
            'get it with `node node_modules/electron/install.js` on a machine with internet. ' +
            'Starting the same app in your browser instead (derpdesk host):',
        );
        expect(out).not.toMatch(/^\s+at /m);
        const url = new URL(/open (http:\/\/\S+)/.exec(out)![1]);
        expect(url.hash).toMatch(/^#token=/);
        const res = await fetch(new URL('/', url));
        const body = await res.text();
        if (existsSync(path.join(root, 'dist/renderer/index.html'))) {
          expect(res.status).toBe(200);
          expect(body).toContain('<div id="root">');
        } else {
          expect({ status: res.status, body }).toMatchObject({
            status: 500,
            body: expect.stringContaining('renderer is not built'),
          });
        }
      } finally {
        child.kill('SIGTERM');
      }
      expect(await exited).toBe(0);
    },
    30_000,
  );
});
