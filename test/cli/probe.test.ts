/**
 * `derpdesk probe` as an operator runs it, against the relays of test/monitor/lab.ts: the status page and /json
 * name the failing probes, /metrics parses with Prometheus's own Python parser and carries derpprobe's names and
 * labels, the map file is re-read when it changes, and a headscale config.yaml is probed as the map it serves.
 */
import { execFile, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MonitorSnapshot } from '../../shared/monitor.js';
import { runCli, startCli, waitExit } from '../helpers/cli.js';
import { eventually } from '../helpers/relay.js';
import { startLab, type Lab } from '../monitor/lab.js';

/** Debian's Python, where python3-prometheus-client installs (a python3 earlier on PATH may be another one). */
const PYTHON = '/usr/bin/python3';
const run = promisify(execFile);

/** The families and samples Prometheus's official Python client parses out of the text. */
const PARSE = `
import json, sys
from prometheus_client.parser import text_string_to_metric_families
out = []
for f in text_string_to_metric_families(sys.stdin.read()):
    out.append({"name": f.name, "type": f.type, "samples": [{"name": s.name, "labels": s.labels, "value": s.value} for s in f.samples]})
print(json.dumps(out))
`;

interface Family {
  name: string;
  type: string;
  samples: Array<{ name: string; labels: Record<string, string>; value: number }>;
}

async function parseWithPrometheus(text: string): Promise<Family[]> {
  const child = execFile(PYTHON, ['-c', PARSE], { maxBuffer: 16 << 20 });
  const done = new Promise<string>((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (err += d));
    child.on('exit', (code) =>
      code === 0
        ? resolve(out)
        : reject(
            new Error(
              `the Prometheus parser refused the metrics (or is missing: install python3-prometheus-client): ${err}`,
            ),
          ),
    );
  });
  child.stdin!.end(text);
  return JSON.parse(await done) as Family[];
}

const INTERVALS = ['--interval', '1s', '--tls-interval', '4s', '--mesh-interval', '4s', '--stun-interval', '4s'];

let lab: Lab;
let prober: ChildProcess;
let base: string;

beforeAll(async () => {
  await run(PYTHON, ['-c', 'import prometheus_client.parser']).catch(() => {
    throw new Error("Prometheus's Python client is not installed: install python3-prometheus-client");
  });
  lab = await startLab();
  const started = await startCli(
    ['probe', lab.mapFile, '--listen', '127.0.0.1:0', '--spread=false', ...INTERVALS],
    /status on (http:\/\/\S+)\//,
  );
  prober = started.child;
  base = started.match[1];
}, 40_000);
afterAll(async () => {
  prober?.kill('SIGTERM');
  if (prober) expect(await waitExit(prober)).toBe(0);
  await lab?.close();
});

const json = async () => (await (await fetch(`${base}/json`)).json()) as MonitorSnapshot;

describe('derpdesk probe', () => {
  it('serves the failing probes on / and /json, and metrics that parse with the Prometheus parser', async () => {
    const failing = ['derp/down/902a/tls', 'derp/nostun/903a/udp', 'derp/expired/904a/tls'];
    await eventually(
      async () => {
        const s = await json();
        return failing.every((n) => s.probes.find((p) => p.name === n)?.ok === false);
      },
      20_000,
      'the broken nodes reported',
    );
    const page = await fetch(`${base}/`);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await page.text();
    const failingSection = html.slice(html.indexOf('<h2>Failing'), html.indexOf('<h2>All probes'));
    for (const n of failing) expect(failingSection).toContain(n);
    expect(failingSection).toContain('certificate expired on');
    expect(failingSection).not.toContain('derp/mesh/901a/tls');

    const res = await fetch(`${base}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const families = await parseWithPrometheus(await res.text());
    const fam = (name: string) => families.find((f) => f.name === name)!;
    expect(fam('derpprobe_result').type).toBe('gauge');
    expect(fam('derpprobe_attempts').type).toBe('counter');
    const result = (name: string) => fam('derpprobe_result').samples.find((s) => s.labels.name === name)?.value;
    expect(result('derp/down/902a/tls')).toBe(0);
    expect(result('derp/expired/904a/tls')).toBe(0);
    expect(result('derp/mesh/901a/901b/mesh')).toBe(1);
    expect(fam('derpprobe_result').samples.find((s) => s.labels.name === 'derp/mesh/901b/901a/mesh')?.labels).toEqual({
      name: 'derp/mesh/901b/901a/mesh',
      class: 'derp_mesh',
      region: 'mesh',
      region_id: '901',
      hostname: '127.0.0.1',
      derp_path: 'mesh',
    });
    const expiry = fam('derpprobe_cert_expiry_secs').samples;
    expect(expiry.find((s) => s.labels.name === 'derp/expired/904a/tls')!.value).toBeLessThan(0);
    expect(expiry.find((s) => s.labels.name === 'derp/mesh/901a/tls')!.value).toBeGreaterThan(30 * 86_400);
    for (const f of [
      'derpprobe_latency_millis',
      'derpprobe_end_secs',
      'derpprobe_start_secs',
      'derpprobe_interval_secs',
    ])
      expect(fam(f).samples.length).toBeGreaterThan(10);
    const attempts = fam('derpprobe_attempts').samples.filter((s) => s.labels.name === 'derp/down/902a/tls');
    expect(attempts.map((s) => s.labels.status).sort()).toEqual(['fail', 'ok']);
  }, 40_000);

  it('re-reads the map file when it changes and reports the nodes recovered', async () => {
    await lab.fix();
    await eventually(async () => (await json()).probes.every((p) => p.ok === true), 20_000, 'every probe passing');
    expect((await json()).nodes.every((n) => n.status === 'ok')).toBe(true);
  }, 30_000);

  it('probes the map a headscale config.yaml serves', async () => {
    const config = path.join(lab.dir, 'config.yaml');
    writeFileSync(
      config,
      `server_url: https://hs.example.com\nderp:\n  server:\n    enabled: false\n  paths:\n    - derpmap.json\n`,
    );
    const p = await startCli(
      ['probe', config, '--listen', '127.0.0.1:0', '--region-code', 'mesh'],
      /status on (http:\/\/\S+)\//,
    );
    try {
      expect(p.output()).toContain(`derpdesk probe: 8 probes of ${config}`);
    } finally {
      p.child.kill('SIGTERM');
      await waitExit(p.child);
    }
  }, 20_000);

  it('refuses bad flags with a usage error that says what to write', async () => {
    const r = await runCli(['probe', lab.mapFile, '--tls-interval', '15']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('invalid duration "15" for --tls-interval: write it like 15s, 1m30s or 500ms');
    const none = await runCli(['probe']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('name a DERP map file, a map URL or a headscale config.yaml');
    const missing = await runCli(['probe', path.join(lab.dir, 'nope.yaml'), '--listen', '127.0.0.1:0']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/nope\.yaml: no such file or directory/);
  }, 40_000);
});
