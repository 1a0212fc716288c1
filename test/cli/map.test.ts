/** `derpdesk map validate|convert` as a user runs them. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const fixture = path.resolve(import.meta.dirname, '../derpmap/fixtures/headscale-derp.yaml');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'derpdesk-map-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('derpdesk map', () => {
  it('validates a good file with warnings and exit 0', async () => {
    const r = await runCli(['map', 'validate', fixture]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      'warning Regions.901.Nodes: region 901 has a single node: no failover within the region',
    );
    expect(r.stdout).toContain('YAML, 2 regions, 0 errors, 3 warnings');
  });

  it('exits 1 with the errors of a bad map, and 2 for a broken or missing file', async () => {
    const bad = path.join(tmp, 'bad.json');
    writeFileSync(
      bad,
      '{"Regions":{"900":{"RegionID":900,"RegionCode":"x","RegionName":"X","Nodes":[{"Name":"a","RegionID":901,"HostName":"x.example.com"}]}}}',
    );
    const r = await runCli(['map', 'validate', bad]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('error   Regions.900.Nodes[0].RegionID: node "a" has RegionID 901 but is in region 900');
    const broken = path.join(tmp, 'broken.yaml');
    writeFileSync(broken, 'regions:\n  900: [\n');
    const b = await runCli(['map', 'validate', broken]);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/broken\.yaml:\d+:\d+: /);
    expect((await runCli(['map', 'validate', path.join(tmp, 'nope.yaml')])).stderr).toContain('cannot read');
  });

  it('converts YAML to JSON and back', async () => {
    const json = await runCli(['map', 'convert', fixture, '--to', 'json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout).Regions['900'].Nodes[1]).toMatchObject({
      Name: '900b',
      IPv6: 'none',
      STUNPort: 3478,
    });
    const jf = path.join(tmp, 'map.json');
    writeFileSync(jf, json.stdout);
    const yaml = await runCli(['map', 'convert', jf, '--to', 'yaml']);
    expect(yaml.stdout).toMatch(/^regions:\n {2}900:\n {4}regionid: 900\n/);
  });

  it('names an alias bomb, an oversized file or a device in one line, without a stack trace', async () => {
    const bomb = path.join(tmp, 'bomb.yaml');
    const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 9; i++)
      levels.push(
        `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9)
          .fill(`*${String.fromCharCode(96 + i)}`)
          .join(',')}]`,
      );
    writeFileSync(bomb, levels.join('\n') + '\n');
    const r = await runCli(['map', 'validate', bomb]);
    expect(r).toEqual({
      code: 2,
      stdout: '',
      stderr: `derpdesk map: ${bomb}: YAML aliases expand more than 100 times — is this a YAML alias bomb?\n`,
    });
    const big = path.join(tmp, 'big.yaml');
    writeFileSync(big, `pad: ${'x'.repeat(5 * 1024 * 1024)}\n`);
    const b = await runCli(['map', 'validate', big]);
    expect(b).toEqual({
      code: 2,
      stdout: '',
      stderr: `derpdesk map: ${big} is 5.0 MiB; derpdesk reads files of at most 4 MiB\n`,
    });
    const zero = await runCli(['map', 'validate', '/dev/zero']);
    expect(zero).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'derpdesk map: /dev/zero is not a regular file (a directory, device or pipe); give the path of a text file\n',
    });
  });
});
