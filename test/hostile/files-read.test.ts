/** Files named by an API caller are read with a size cap, only when regular, and only when they are UTF-8. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileReadError, readTextFileBounded } from '../../electron/util/read-bounded.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'derpdesk-read-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('readTextFileBounded', () => {
  it('reads a small UTF-8 file', async () => {
    const f = path.join(dir, 'ok.yaml');
    writeFileSync(f, 'regions: {} # Zürich\n');
    expect(await readTextFileBounded(f, 1024)).toBe('regions: {} # Zürich\n');
  });

  it('refuses a file over the cap before reading it', async () => {
    const f = path.join(dir, 'big.yaml');
    writeFileSync(f, 'x'.repeat(2048));
    await expect(readTextFileBounded(f, 1024)).rejects.toThrow(
      `${f} is 2048 bytes; derpdesk reads files of at most 1024 bytes`,
    );
  });

  it('refuses /dev/zero and a FIFO with no writer quickly, without growing memory', async () => {
    const fifo = path.join(dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
    const before = process.memoryUsage().rss;
    const started = Date.now();
    await expect(readTextFileBounded('/dev/zero', 4 << 20)).rejects.toThrow('/dev/zero is not a regular file');
    await expect(readTextFileBounded(fifo, 4 << 20)).rejects.toThrow(`${fifo} is not a regular file`);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(process.memoryUsage().rss - before).toBeLessThan(16 << 20);
  });

  it('refuses bytes that are not UTF-8 instead of replacing them', async () => {
    const f = path.join(dir, 'latin1.yaml');
    writeFileSync(f, Buffer.from('regionname: Z\xfcrich\n', 'latin1'));
    const err = await readTextFileBounded(f, 1024).catch((e: Error) => e);
    expect(err).toBeInstanceOf(FileReadError);
    expect((err as Error).message).toBe(
      `${f} is not valid UTF-8 text; save it as UTF-8 and open it again (derpdesk does not rewrite bytes it cannot read)`,
    );
  });

  it('passes a missing file through as ENOENT', async () => {
    await expect(readTextFileBounded(path.join(dir, 'nope'), 1024)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('readTextFileBounded with noFollow', () => {
  it('refuses a symlink at the last component instead of following it', async () => {
    const { symlinkSync } = await import('node:fs');
    const target = path.join(dir, 'target.txt');
    writeFileSync(target, 'x\n');
    symlinkSync(target, path.join(dir, 'swapped.txt'));
    expect(await readTextFileBounded(path.join(dir, 'swapped.txt'), 1024)).toBe('x\n');
    await expect(readTextFileBounded(path.join(dir, 'swapped.txt'), 1024, { noFollow: true })).rejects.toMatchObject({
      code: 'ELOOP',
    });
  });
});
