/** `derpdesk host --token-file`: made owner-only when missing, reused after, refused when others could read it. */
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TokenFileError, loadOrCreateToken } from '../../electron/headless/token-file.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'derpdesk-token-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const isRoot = process.getuid?.() === 0;

describe('loadOrCreateToken', () => {
  it('makes a random token in a new 0600 file (and 0700 folder), then reads the same one back', async () => {
    const file = path.join(dir, 'new', 'host-token');
    const made = await loadOrCreateToken(file);
    expect(made.created).toBe(true);
    expect(made.token).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(readFileSync(file, 'utf8')).toBe(`${made.token}\n`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    expect(await loadOrCreateToken(file)).toEqual({ token: made.token, created: false });
    expect((await loadOrCreateToken(path.join(dir, 'other-token'))).token).not.toBe(made.token);
  });

  it('takes a token the operator wrote, trimmed', async () => {
    const file = path.join(dir, 'own-token');
    writeFileSync(file, '  my-own_token-of-enough-length  \n', { mode: 0o600 });
    expect(await loadOrCreateToken(file)).toEqual({ token: 'my-own_token-of-enough-length', created: false });
  });

  it('refuses a file group or others may read, with the chmod that fixes it', async () => {
    const file = path.join(dir, 'loose-token');
    writeFileSync(file, 'a'.repeat(32));
    chmodSync(file, 0o640);
    const err = await loadOrCreateToken(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TokenFileError);
    expect((err as Error).message).toBe(
      `token file ${file} can be read or changed by other users (mode 0640); run: chmod 600 ${file}`,
    );
    chmodSync(file, 0o600);
    expect((await loadOrCreateToken(file)).token).toBe('a'.repeat(32));
  });

  it.skipIf(!isRoot)("refuses another user's file, with the chown that fixes it (needs root to chown)", async () => {
    const file = path.join(dir, 'foreign-token');
    writeFileSync(file, 'b'.repeat(32), { mode: 0o600 });
    chownSync(file, 65534, 65534);
    await expect(loadOrCreateToken(file)).rejects.toThrow(
      `token file ${file} belongs to user id 65534, not to this user (id 0); run: chown 0 ${file}`,
    );
  });

  it('refuses a file without a usable token, and a folder, saying what to do', async () => {
    const file = path.join(dir, 'short-token');
    writeFileSync(file, 'short\n', { mode: 0o600 });
    await expect(loadOrCreateToken(file)).rejects.toThrow(/does not hold a token .*delete it and a new one is made/);
    writeFileSync(file, `${'c'.repeat(30)} spaces\n`, { mode: 0o600 });
    await expect(loadOrCreateToken(file)).rejects.toThrow(TokenFileError);
    const folder = path.join(dir, 'folder-token');
    mkdirSync(folder);
    await expect(loadOrCreateToken(folder)).rejects.toThrow(`token file ${folder} is not a regular file`);
  });
});
