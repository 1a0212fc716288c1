/** The metrics text and the status page with hostile text in the map and in errors: escaped, never markup. */
import { describe, expect, it } from 'vitest';
import { renderMetrics } from '../../electron/monitor/metrics.js';
import { renderStatusPage } from '../../electron/monitor/status-page.js';
import type { ProbeState } from '../../shared/monitor.js';

const probe: ProbeState = {
  name: 'derp/x/n"1/tls',
  class: 'tls',
  labels: { region: 'x', region_id: '900', hostname: 'a\\b\nc' },
  node: 'n"1',
  regionId: 900,
  intervalMs: 15_000,
  start: 1_000,
  end: 1_250,
  ok: false,
  latencyMs: null,
  error: '<script>alert(1)</script>',
  failingSince: 1_250,
  attempts: { ok: 2, fail: 1 },
  seconds: { ok: 0.5, fail: 0.25 },
  certNotAfter: 61_000,
};

describe('monitor rendering', () => {
  it("escapes label values as Prometheus's text format requires, with derpprobe's families", () => {
    const text = renderMetrics([probe], 'derpprobe', 1_000);
    const labels = 'class="tls",hostname="a\\\\b\\nc",name="derp/x/n\\"1/tls",region="x",region_id="900"';
    expect(text).toContain(`derpprobe_result{${labels}} 0\n`);
    expect(text).toContain(`derpprobe_end_secs{${labels}} 1\n`);
    expect(text).toContain(`derpprobe_attempts_total{${labels},status="fail"} 1\n`);
    expect(text).toContain(`derpprobe_cert_expiry_secs{${labels}} 60\n`);
    expect(text).toContain('# TYPE derpprobe_seconds_total counter\n');
    expect(renderMetrics([probe], 'prober')).toContain('prober_result{');
  });

  it('writes the samples derpprobe writes: latency only after a passing run, results only once a run ended', () => {
    const passed: ProbeState = { ...probe, name: 'derp/x/ok/tls', ok: true, latencyMs: 250, error: null };
    const pending: ProbeState = {
      ...probe,
      name: 'derp/x/new/tls',
      start: 2_000,
      end: null,
      ok: null,
      certNotAfter: undefined,
    };
    const samples = (p: ProbeState) =>
      renderMetrics([p], 'derpprobe', 1_000)
        .split('\n')
        .filter((l) => l && !l.startsWith('#'))
        .map((l) => l.slice(0, l.indexOf('{')));
    expect(samples(probe)).not.toContain('derpprobe_latency_millis');
    expect(renderMetrics([passed], 'derpprobe', 1_000)).toMatch(/derpprobe_latency_millis\{[^}]*\} 250\n/);
    expect(samples(pending)).toEqual(['derpprobe_start_secs', 'derpprobe_interval_secs']);
  });

  it('shows errors on the status page as text', () => {
    const html = renderStatusPage({
      running: true,
      label: 'map <b>.json',
      source: { kind: 'file', path: 'map <b>.json' },
      startedAt: 0,
      mapError: null,
      nodes: [],
      probes: [probe],
    });
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('map &lt;b&gt;.json');
    expect(html).toContain('<h2>Failing (1)</h2>');
  });
});
