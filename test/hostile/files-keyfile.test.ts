/** A broken server key file is reported by name and problem, never with the key bytes it holds. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadOrCreateServerKey, parseServerKeyFile } from '../../electron/relay/keyfile.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'derpdesk-keyfile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const secret = 'ab'.repeat(32);

describe('server key file errors', () => {
  it('does not echo key bytes from JSON that does not parse', async () => {
    const file = path.join(dir, 'derper.key');
    writeFileSync(file, `{"PrivateKey":"privkey:${secret}",}`);
    const err = await loadOrCreateServerKey(file).catch((e: Error) => e);
    expect((err as Error).message).toBe(`${file}: not valid JSON; expected {"PrivateKey":"privkey:<64 hex>"}`);
    expect((err as Error).message).not.toContain(secret.slice(0, 8));
  });

  it('does not echo a malformed key either', () => {
    for (const text of [
      `{"PrivateKey":"privkey:${secret}zz"}`,
      `privkey:${secret.slice(2)}`,
      `{"PrivateKey":"nodekey:${secret}"}`,
    ]) {
      let message = '';
      try {
        parseServerKeyFile(text, 'k.json');
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message).toMatch(/^k\.json: /);
      expect(message).not.toContain(secret.slice(0, 8));
    }
  });
});

describe('server key file reads', () => {
  it('refuses a device instead of reading it whole', async () => {
    await expect(loadOrCreateServerKey('/dev/zero')).rejects.toThrow(
      'cannot read key file /dev/zero: /dev/zero is not a regular file',
    );
  });
});
