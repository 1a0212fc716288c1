/**
 * The last-resort handlers in a real child process: an asynchronous throw is logged with its stack and ends the
 * process with status 70; an unhandled rejection is logged and the process keeps running until a burst of them.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildSync } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(path.join(os.tmpdir(), 'derpdesk-last-resort-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Bundles a child script that installs the handlers with a stderr logger, then runs `body`. */
function child(name: string, body: string): string {
  const src = path.join(dir, `${name}.ts`);
  const out = path.join(dir, `${name}.mjs`);
  writeFileSync(
    src,
    `import { installLastResort } from ${JSON.stringify(path.resolve(import.meta.dirname, '../../electron/util/last-resort.ts'))};\n` +
      `installLastResort({ info: (m) => process.stderr.write(m + '\\n'), warn: (m) => process.stderr.write(m + '\\n'), debug: () => {} }, { name: 'test child', maxRejectionsPerMinute: 3 });\n` +
      body,
  );
  buildSync({ entryPoints: [src], outfile: out, bundle: true, platform: 'node', format: 'esm', logLevel: 'silent' });
  return out;
}

function run(script: string): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let stdout = '';
    p.stderr.on('data', (d) => (stderr += d));
    p.stdout.on('data', (d) => (stdout += d));
    const t = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`child did not exit within 10 s:\n${stderr}`));
    }, 10_000);
    p.on('exit', (code) => {
      clearTimeout(t);
      resolve({ code, stderr, stdout });
    });
  });
}

describe('installLastResort', () => {
  it('logs an asynchronous uncaught exception with its stack and exits 70', async () => {
    const r = await run(
      child(
        'throws',
        `setTimeout(function tickThatThrows() { throw new Error('boom in a timer'); }, 10);\nsetInterval(() => {}, 1000);\n`,
      ),
    );
    expect(r.code).toBe(70);
    expect(r.stderr).toMatch(
      /test child: fatal: uncaught exception: Error: boom in a timer\n\s+at Timeout\.tickThatThrows/,
    );
    expect(r.stderr).toContain(
      'exiting with status 70 because the process state is unknown; a supervisor should restart it',
    );
  });

  it('logs an unhandled rejection and keeps running, but exits 70 on a burst of them', async () => {
    const r = await run(
      child(
        'rejects',
        `Promise.reject(new Error('lost answer'));\n` +
          `setTimeout(() => { process.stdout.write('still serving\\n'); for (let i = 0; i < 3; i++) Promise.reject(new Error('loop ' + i)); }, 50);\n` +
          `setInterval(() => {}, 1000);\n`,
      ),
    );
    expect(r.stderr).toMatch(
      /test child: unhandled promise rejection \(still serving; please report this as a bug\): Error: lost answer\n\s+at /,
    );
    expect(r.stdout).toBe('still serving\n');
    expect(r.stderr).toContain(
      'fatal: more than 3 unhandled promise rejections within a minute, the latest: Error: loop 2',
    );
    expect(r.code).toBe(70);
  });
});
