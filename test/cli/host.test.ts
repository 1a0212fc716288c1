/** `derpdesk host` flags: loopback by default, remote binding only when asked for explicitly. */
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

describe('derpdesk host', () => {
  it('refuses a non-loopback --listen without --allow-remote, with exit code 2', async () => {
    const r = await runCli(['host', '--listen', '0.0.0.0:0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('is not a loopback address; add --allow-remote');
  });

  it('documents its flags', async () => {
    const r = await runCli(['host', '--help']);
    expect(r.code).toBe(0);
    for (const f of ['-listen addr', '-data-dir dir', '-allow-remote']) expect(r.stdout).toContain(f);
  });
});
