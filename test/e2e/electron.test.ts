/**
 * The real desktop app through Playwright's Electron driver. Electron's binary cannot be downloaded on the
 * project's build machines, so this runs only where `npm install` fetched it (any machine with internet).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { _electron } from 'playwright-core';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const pathFile = path.join(path.dirname(require.resolve('electron/package.json')), 'path.txt');
const binary = existsSync(pathFile)
  ? path.join(path.dirname(pathFile), 'dist', readFileSync(pathFile, 'utf8').trim())
  : null;
const why =
  'Electron binary not installed (offline machine: node_modules/electron has no path.txt); runs where `npm install` could download it';

describe('desktop app', () => {
  it.skipIf(!binary || !existsSync(binary))(
    `opens the window with the relay dashboard and the preload API (skipped here: ${why})`,
    async () => {
      const app = await _electron.launch({
        executablePath: binary!,
        args: [path.resolve(import.meta.dirname, '../..')],
      });
      try {
        const win = await app.firstWindow();
        await expect
          .poll(() => win.getByTestId('relay-status').textContent(), { timeout: 15_000 })
          .toMatch(/Stopped|Running/);
        expect(await win.evaluate(() => typeof (globalThis as unknown as { derpdesk?: unknown }).derpdesk)).toBe(
          'object',
        );
        expect(await win.evaluate(() => typeof (globalThis as unknown as { require?: unknown }).require)).toBe(
          'undefined',
        );
      } finally {
        await app.close();
      }
    },
  );
});
