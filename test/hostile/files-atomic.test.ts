/** Atomic writes land on the real file behind a symlink and keep its mode and owner; a .bak link is not followed. */
import {
  chownSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../electron/util/atomic-file.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'derpdesk-atomic-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const isRoot = process.getuid?.() === 0;

describe('writeFileAtomic', () => {
  it('writes through a symlink, keeping the link, the mode 0640 and the owner of the real file', async () => {
    const real = path.join(dir, 'etc', 'derp.yaml');
    mkdirSync(path.dirname(real));
    writeFileSync(real, 'old\n', { mode: 0o640 });
    if (isRoot) chownSync(real, 1234, 5678);
    const link = path.join(dir, 'derp.yaml');
    symlinkSync(real, link);
    const written = await writeFileAtomic(link, 'new\n', { backup: true, mode: 0o600 });
    expect(written).toBe(real);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe(real);
    expect(readFileSync(real, 'utf8')).toBe('new\n');
    expect(readFileSync(`${real}.bak`, 'utf8')).toBe('old\n');
    const st = statSync(real);
    expect(st.mode & 0o7777).toBe(0o640);
    if (isRoot) expect([st.uid, st.gid]).toEqual([1234, 5678]);
    expect(readdirSync(path.dirname(real)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp') || f.endsWith('.bak'))).toEqual([]);
  });

  it('creates the target of a dangling symlink', async () => {
    const real = path.join(dir, 'later.yaml');
    const link = path.join(dir, 'dangling.yaml');
    symlinkSync('later.yaml', link);
    await writeFileAtomic(link, 'x\n', { mode: 0o600 });
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readFileSync(real, 'utf8')).toBe('x\n');
    expect(statSync(real).mode & 0o777).toBe(0o600);
  });

  it('replaces a .bak symlink instead of writing through it', async () => {
    const file = path.join(dir, 'allow.txt');
    const victim = path.join(dir, 'victim');
    writeFileSync(file, 'one\n');
    writeFileSync(victim, 'untouched\n');
    symlinkSync(victim, `${file}.bak`);
    await writeFileAtomic(file, 'two\n', { backup: true });
    expect(readFileSync(victim, 'utf8')).toBe('untouched\n');
    expect(lstatSync(`${file}.bak`).isSymbolicLink()).toBe(false);
    expect(readFileSync(`${file}.bak`, 'utf8')).toBe('one\n');
  });
});
