/** The relay's V8 flags reach every way the relay is started (electron/cli/v8-flags.ts says why they matter). */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RELAY_V8_FLAGS } from '../../electron/cli/v8-flags.js';
import { BIN } from '../helpers/cli.js';

describe('the relay V8 flags', () => {
  it('are on the launcher: run as a program, its relay process carries them', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'derpdesk-v8flags-'));
    const child = spawn(BIN, ['relay', '-a', '127.0.0.1:0', '-stun=false'], {
      env: { ...process.env, DERPDESK_DATA_DIR: dataDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      await new Promise<void>((resolve, reject) => {
        let out = '';
        const timer = setTimeout(() => reject(new Error(`no listening line:\n${out}`)), 15_000);
        const onData = (d: Buffer) => {
          out += d.toString();
          if (/listening on http/.test(out)) {
            clearTimeout(timer);
            resolve();
          }
        };
        child.stdout.on('data', onData);
        child.stderr.on('data', onData);
      });
      const argv = readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0');
      expect(argv).toEqual(expect.arrayContaining([...RELAY_V8_FLAGS, BIN, 'relay']));
    } finally {
      child.kill('SIGTERM');
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 30_000);

  it('are given to `derpdesk host` by the npm start fallback', () => {
    const start = readFileSync(path.resolve('scripts/start.mjs'), 'utf8');
    for (const flag of RELAY_V8_FLAGS) expect(start).toContain(`'${flag}'`);
  });
});
