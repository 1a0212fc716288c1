/** `derpdesk check` from a terminal: readable report, JSON, exit code 1 when a node fails, 2 for bad targets. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startRelay } from '../helpers/relay.js';

describe('derpdesk check', () => {
  it('checks a plain relay by URL and exits 0, or 1 when a step fails', async () => {
    const relay = await startRelay();
    try {
      const ok = await runCli(['check', `http://127.0.0.1:${relay.port}`, '-stun-port', '-1'], {}, 20_000);
      expect(ok.code).toBe(0);
      expect(ok.stdout).toMatch(/ok {3}derp-roundtrip +packet relayed in/);
      expect(ok.stdout).toContain('region 900 target (127.0.0.1) node 127.0.0.1 127.0.0.1\n');
      expect(ok.stdout).toContain('Nearest DERP: target (127.0.0.1), region 900');
      const json = await runCli(['check', `http://127.0.0.1:${relay.port}`, '--json', '-stun-port', '-1'], {}, 20_000);
      expect(JSON.parse(json.stdout).nodes[0].steps.find((s: { step: string }) => s.step === 'derp').status).toBe('ok');
    } finally {
      await relay.stop();
    }
    const down = await runCli(
      ['check', `http://127.0.0.1:${relay.port}`, '-stun-port', '-1', '-timeout', '500'],
      {},
      20_000,
    );
    expect(down.code).toBe(1);
    expect(down.stdout).toMatch(
      /FAIL tcp4 +TCP to 127\.0\.0\.1:\d+: connection refused \(nothing listens on that port\)/,
    );
    expect(down.stdout).toMatch(/-- {3}derp +not reached because tcp failed/);
    expect(down.stdout).toContain('Problems:');
  });

  it('names each node of a map file by its region code and name, in the report and in the problems', async () => {
    const relay = await startRelay();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'derpdesk-check-'));
    const file = path.join(dir, 'derp.json');
    const node = (name: string, port: number) => ({
      Name: name,
      RegionID: 901,
      HostName: '127.0.0.1',
      DERPPort: port,
      STUNPort: -1,
      InsecureForTests: true,
    });
    const region = { RegionID: 901, RegionCode: 'fra', RegionName: 'Frankfurt' };
    writeFileSync(
      file,
      JSON.stringify({ Regions: { 901: { ...region, Nodes: [node('901a', relay.port), node('901b', 1)] } } }),
    );
    try {
      const r = await runCli(['check', file, '-timeout', '2000'], {}, 20_000);
      expect(r.code).toBe(1);
      expect(r.stdout).toContain('region 901 fra (Frankfurt) node 901a 127.0.0.1\n');
      expect(r.stdout).toContain('region 901 fra (Frankfurt) node 901b 127.0.0.1\n');
      expect(r.stdout).toMatch(/\n {2}- fra\/901b tcp4: TCP to 127\.0\.0\.1:1: connection refused/);
    } finally {
      await relay.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('exits 2 with a message for a missing map file', async () => {
    const r = await runCli(['check', '/nonexistent/derp.yaml']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('derpdesk check: cannot read /nonexistent/derp.yaml: no such file or directory\n');
  });

  it('exits 2 naming the fix for a STUN port out of range or a malformed URL', async () => {
    const port = await runCli(['check', 'http://127.0.0.1:1', '-stun-port', '70000']);
    expect(port.code).toBe(2);
    expect(port.stderr).toContain('--stun-port 70000 is not a port: give 1 to 65535, or -1 to skip STUN');
    const url = await runCli(['check', 'http://127.0.0.1:99999']);
    expect(url.code).toBe(2);
    expect(url.stderr).toContain('http://127.0.0.1:99999 is not a valid URL');
  });
});
