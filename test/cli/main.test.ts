/** `derpdesk` itself from the built CLI: the version, and help that lists the commands. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const VERSION = (
  JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../../package.json'), 'utf8')) as { version: string }
).version;

describe('derpdesk', () => {
  it('prints the package version for --version and -version', async () => {
    for (const flag of ['--version', '-version']) {
      const r = await runCli([flag]);
      expect(r.code, flag).toBe(0);
      expect(r.stdout).toBe(`derpdesk ${VERSION}\n`);
    }
  });

  it('lists the commands and the global flags in --help', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    for (const cmd of ['relay', 'host', 'check', 'map']) expect(r.stdout).toMatch(new RegExp(`^  ${cmd} +\\S`, 'm'));
    expect(r.stdout).toContain('--version');
  });

  it('names an unknown command and shows the usage, with exit code 2', async () => {
    const r = await runCli(['relays']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown command "relays"');
    expect(r.stderr).toContain('Commands:');
  });
});
