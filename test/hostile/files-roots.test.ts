/** `derpdesk host --files-root DIR` (repeatable) and the folders it falls back to. */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { RootsPolicy, defaultHostRoots, type FileAccess } from '../../electron/app/file-access.js';
import { HOST_FLAGS, runHost } from '../../electron/cli/host.js';
import { formatUsage, parseFlags } from '../../electron/cli/flags.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'derpdesk-roots-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('--files-root', () => {
  it('can be given several times, and defaults to none', () => {
    expect(parseFlags(HOST_FLAGS, []).values['files-root']).toEqual([]);
    expect(parseFlags(HOST_FLAGS, ['--files-root', '/srv/a', '-files-root=/srv/b']).values['files-root']).toEqual([
      '/srv/a',
      '/srv/b',
    ]);
    expect(formatUsage('u', HOST_FLAGS)).toContain(
      '-files-root dir\n      a folder whose files the GUI may open and save',
    );
  });

  it('must name a folder that exists', async () => {
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await runHost(['--files-root', path.join(dir, 'nope')])).toBe(2);
      expect(String(err.mock.calls[0][0])).toBe(
        `derpdesk host: --files-root ${path.join(dir, 'nope')}: no such folder\nRun "derpdesk host --help" for the flags.\n`,
      );
    } finally {
      err.mockRestore();
    }
  });

  it('without it, derpdesk host uses the data dir and whichever of /etc/headscale and /etc/derp exist', () => {
    const roots = defaultHostRoots('/var/lib/derpdesk');
    expect(roots[0]).toBe('/var/lib/derpdesk');
    expect(roots.slice(1).every((r) => r === '/etc/headscale' || r === '/etc/derp')).toBe(true);
  });

  it('allows each root and names all of them when refusing', async () => {
    const a = path.join(dir, 'a');
    const b = path.join(dir, 'b');
    mkdirSync(a);
    mkdirSync(b);
    const policy: FileAccess = new RootsPolicy([a, b]);
    expect(await policy.check(path.join(b, 'sub', 'new.yaml'), 'write', 'request')).toBe(
      path.join(b, 'sub', 'new.yaml'),
    );
    expect(await policy.check(a, 'read', 'request')).toBe(a);
    await expect(policy.check(`${a}-sibling/x`, 'read', 'request')).rejects.toThrow(
      `${a}-sibling/x is outside the folders derpdesk host may use (${a}, ${b}); start it with --files-root DIR to allow another`,
    );
  });
});
