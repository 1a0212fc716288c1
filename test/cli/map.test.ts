/** `derpdesk map validate|convert` as a user runs them. */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
    const nope = path.join(tmp, 'nope.yaml');
    expect((await runCli(['map', 'validate', nope])).stderr).toBe(`derpdesk map: No such file: ${nope} (ENOENT)\n`);
  });

  it('validates a headscale config.yaml: its derp section and the map files it names', async () => {
    const hs = path.join(tmp, 'hs');
    mkdirSync(hs);
    copyFileSync(fixture, path.join(hs, 'derp.yaml'));
    const cfg = path.join(hs, 'config.yaml');
    writeFileSync(
      cfg,
      'server_url: https://hs.example.com\nderp:\n  server:\n    enabled: true\n    region_id: 900\n    stun_listen_addr: "0.0.0.0:3478"\n  urls:\n    - https://controlplane.tailscale.com/derpmap/default\n  paths:\n    - derp.yaml\n  update_frequency: 24h\n',
    );
    const good = await runCli(['map', 'validate', cfg]);
    expect(good.code).toBe(0);
    expect(good.stdout).toContain(
      'warning derp.yaml: Regions.901.Nodes: region 901 has a single node: no failover within the region\n',
    );
    expect(good.stdout).toContain(
      "warning derp.server.region_id: region 900 of derp.yaml is replaced by the embedded DERP server's region (headscale's own region wins)\n",
    );
    expect(good.stdout).toContain('note    derp.urls: 1 URL not fetched; derpdesk check tests them\n');
    expect(good.stdout).toMatch(/config\.yaml: headscale config, 1 map file, 0 errors, 4 warnings\n$/);

    writeFileSync(
      cfg,
      'derp:\n  server:\n    enabled: true\n    ipv4: 1.2.3\n  paths:\n    - derp.yaml\n    - missing.yaml\n  update_frequency: daily\n',
    );
    const bad = await runCli(['map', 'validate', cfg]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('error   derp.server.ipv4: server.ipv4 "1.2.3" is not an IPv4 address\n');
    expect(bad.stdout).toContain(
      'error   derp.server.stun_listen_addr: headscale needs a STUN address when the embedded DERP server is enabled\n',
    );
    expect(bad.stdout).toContain(
      'error   derp.update_frequency: update_frequency "daily" is not a duration such as 24h, 1h30m or 90s\n',
    );
    expect(bad.stdout).toMatch(/error {3}derp\.paths: missing\.yaml: No such file: .*missing\.yaml \(ENOENT\)\n/);
    expect(bad.stdout).toMatch(/config\.yaml: headscale config, 2 map files, 4 errors, 3 warnings\n$/);
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
