// @vitest-environment happy-dom
/**
 * What the Diagnostics page shows of a run: cells with units, the netcheck summary, comparisons of like with like,
 * the latency chart's series per target and region, saving an export, and the dashboard's "Check this relay".
 */
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ExportCard } from '../../renderer/src/components/ExportCard.js';
import { CheckThisRelay } from '../../renderer/src/diagnostics/CheckThisRelay.js';
import { History } from '../../renderer/src/diagnostics/History.js';
import { latencyChart } from '../../renderer/src/diagnostics/latency-series.js';
import { Compare, Summary } from '../../renderer/src/diagnostics/Report.js';
import { ResultsTable } from '../../renderer/src/diagnostics/ResultsTable.js';
import { useDiagnosticsStore } from '../../renderer/src/diagnostics/store.js';
import { useRelayStore } from '../../renderer/src/relay/store.js';
import type { CheckHistoryEntry } from '../../shared/api.js';
import type { CheckReport, NodeReport } from '../../shared/diagnostics.js';
import { DEFAULT_SETTINGS } from '../../shared/settings.js';
import { FakeApi } from './fake-api.js';
import { SUMMARY } from '../helpers/check-summary.js';

const DIAG = useDiagnosticsStore.getState();
const RELAY = useRelayStore.getState();
afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
  useDiagnosticsStore.setState(DIAG, true);
  useRelayStore.setState(RELAY, true);
  window.location.hash = '';
});

const node: NodeReport = {
  regionId: 1,
  regionCode: 'nyc',
  regionName: 'New York City',
  node: '1a',
  host: 'derp1.example.com',
  steps: [
    { step: 'dns', status: 'ok', ms: 2.345, detail: 'IPv4 192.0.2.1' },
    { step: 'tcp4', status: 'ok', ms: 23.4, detail: 'connected' },
    { step: 'tcp6', status: 'ok', ms: 0, detail: 'connected' },
    { step: 'tls', status: 'ok', ms: 41, detail: 'cert', data: { daysLeft: 82 } },
    { step: 'http-probe', status: 'fail', ms: 6003, detail: '/derp/probe: timed out' },
    { step: 'derp', status: 'skip', detail: 'not reached because http-probe failed' },
    { step: 'bandwidth', status: 'ok', ms: 200, detail: '8 MB', data: { mbps: 41.25 } },
  ],
};

const report = (over: Partial<CheckReport['summary']> = {}): CheckReport => ({
  startedAt: Date.UTC(2026, 11, 2, 9, 14),
  finishedAt: Date.UTC(2026, 11, 2, 9, 15),
  nodes: [node],
  summary: { ...SUMMARY, ...over },
});

describe('results grid', () => {
  it('shows each measurement with its unit, and failures and skips in words', () => {
    render(<ResultsTable nodes={[node]} finished />);
    const headers = screen.getAllByRole('columnheader').map((h) => h.textContent);
    expect(headers).toContain('bandwidth');
    const cells = Object.fromEntries(screen.getAllByRole('cell').map((c, i) => [headers[i], c.textContent] as const));
    expect(cells).toMatchObject({
      Region: 'nyc',
      dns: '✓ 2.3 ms',
      tcp4: '✓ 23 ms',
      tcp6: '✓ <0.1 ms',
      tls: '✓ 82 days left',
      'http-probe': '✗ failed',
      derp: '– not reached',
      bandwidth: '✓ 41.3 MB/s',
    });
  });
});

describe('summary', () => {
  it('reads like netcheck: UDP, addresses with ports, hard NAT with why unknown, nearest region, sorted latency', () => {
    render(<Summary report={report()} />);
    const text = screen.getByTestId('diag-summary').textContent!;
    for (const fact of [
      'UDPyes',
      'IPv4yes, 198.51.100.7:41641',
      'IPv6no',
      'MappingVariesByDestIPunknown (only one STUN server IP answered (192.0.2.1))',
      'Captive portalno',
      'Nearest DERP (home)fra (Frankfurt), 8.0 ms',
    ])
      expect(text).toContain(fact);
    expect(screen.getByTestId('diag-latency').textContent).toBe('fra (Frankfurt)8.0 msnyc (New York City)20.5 ms');
    expect(screen.getByTestId('diag-bandwidth').textContent).toBe('nyc/1a: 41.3 MB/s');
  });
});

describe('compare', () => {
  it('says plainly that runs of different targets cannot be compared', () => {
    render(
      <Compare older={{ label: 'http://a:1', report: report() }} newer={{ label: 'http://b:2', report: report() }} />,
    );
    const text = screen.getByTestId('diag-compare').textContent!;
    expect(text).toContain('These runs checked different targets: http://a:1');
    expect(text).not.toContain('No step changed status');
  });

  it('lists the steps whose status changed between two runs of one target', () => {
    const older = report();
    const probe = node.steps.find((s) => s.step === 'http-probe')!;
    const newer = { ...report(), nodes: [{ ...node, steps: [{ ...probe, status: 'ok' as const }] }] };
    render(<Compare older={{ label: 'x', report: older }} newer={{ label: 'x', report: newer }} />);
    expect(screen.getByTestId('diag-compare').textContent).toContain('nyc/1a http-probe: fail → ok');
  });
});

describe('history', () => {
  it('offers to compare the run on show only with runs of the same target', () => {
    const h = (id: string, label: string): CheckHistoryEntry => ({
      id,
      label,
      startedAt: 1,
      finishedAt: 2,
      nodes: 1,
      fails: 0,
      warns: 0,
    });
    useDiagnosticsStore.setState({
      history: [h('a', 'http://a:1'), h('b', 'http://b:1'), h('c', 'http://a:1')],
      viewing: 'a',
      viewingLabel: 'http://a:1',
      report: report(),
    });
    render(<History />);
    const rows = screen.getAllByRole('listitem');
    expect(rows.map((r) => r.querySelector('.compare') !== null)).toEqual([false, false, true]);
  });

  it('counts nodes, failures and warnings in words, singular for one', () => {
    const entry = (nodes: number, fails: number, warns: number): CheckHistoryEntry => ({
      id: `${nodes}${fails}${warns}`,
      label: 'http://a:1',
      startedAt: 1,
      finishedAt: 2,
      nodes,
      fails,
      warns,
    });
    useDiagnosticsStore.setState({ history: [entry(1, 1, 0), entry(3, 0, 1)] });
    render(<History />);
    const rows = screen.getAllByRole('listitem').map((r) => r.textContent);
    expect(rows[0]).toMatch(/· 1 node · 1 failure · 0 warnings$/);
    expect(rows[1]).toMatch(/· 3 nodes · 0 failures · 1 warning$/);
  });
});

describe('latency over time', () => {
  const run = (id: string, label: string, startedAt: number, ms: number): CheckHistoryEntry => ({
    id,
    label,
    startedAt,
    finishedAt: startedAt + 1,
    nodes: 1,
    fails: 0,
    warns: 0,
    regionLatencyMs: { '900': ms },
    regionNames: { '900': { code: 'target', name: label.replace(/^http:\/\//, '') } },
  });

  it('draws region 900 of two different relays as two series, named by region and target', () => {
    // Newest first, as the history is stored.
    const chart = latencyChart([
      run('c', 'http://b.example:1', 3, 30),
      run('b', 'http://a.example:1', 2, 20),
      run('a', 'http://a.example:1', 1, 10),
    ]);
    expect(chart.series).toEqual([
      { key: 's0', name: 'target (a.example:1) · http://a.example:1' },
      { key: 's1', name: 'target (b.example:1) · http://b.example:1' },
    ]);
    expect(chart.rows).toEqual([
      { t: 1, s0: 10 },
      { t: 2, s0: 20 },
      { t: 3, s1: 30 },
    ]);
    expect(chart.ticks).toEqual([1, 2, 3]);
  });

  it('ticks the time axis at runs, at most six spread from the first to the last', () => {
    const runs = Array.from({ length: 11 }, (_, i) => run(`r${i}`, 'http://a.example:1', 1000 * i, 5)).reverse();
    expect(latencyChart(runs).ticks).toEqual([0, 2000, 4000, 6000, 8000, 10000]);
    expect(latencyChart([run('b', 'x', 7, 1), run('a', 'x', 7, 2)]).ticks).toEqual([7]);
  });
});

describe('export card', () => {
  it('saves the text as a file named for the run and format', async () => {
    const blobs: Blob[] = [];
    vi.spyOn(URL, 'createObjectURL').mockImplementation((b) => {
      blobs.push(b as Blob);
      return 'blob:x';
    });
    vi.spyOn(URL, 'revokeObjectURL').mockImplementation(() => {});
    const clicked: HTMLAnchorElement[] = [];
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      clicked.push(this);
    });
    const formats = [
      { id: 'csv', label: 'CSV' },
      { id: 'markdown', label: 'Markdown' },
    ] as const;
    const { rerender } = render(
      <ExportCard
        label="e"
        idPrefix="t"
        formats={formats}
        format="csv"
        text="a,b"
        onFormat={() => {}}
        copyLabel="Copy"
        testId="t"
        fileName="derpdesk-check-2026-12-02T0914"
      />,
    );
    fireEvent.click(screen.getByRole('button', { name: 'Download as derpdesk-check-2026-12-02T0914.csv' }));
    expect(clicked.map((a) => [a.download, a.href])).toEqual([['derpdesk-check-2026-12-02T0914.csv', 'blob:x']]);
    expect(await blobs[0].text()).toBe('a,b');
    expect(blobs[0].type).toBe('text/csv;charset=utf-8');
    // Without a file name (the map page's export), the name still follows the format.
    rerender(
      <ExportCard
        label="e"
        idPrefix="map-export"
        formats={formats}
        format="markdown"
        text="# x"
        onFormat={() => {}}
        copyLabel="Copy"
        testId="t"
      />,
    );
    expect(screen.getByRole('button', { name: 'Download as derpdesk-map-export.md' })).toBeTruthy();
  });
});

describe('check this relay', () => {
  it('is offered only while the relay runs, and starts the check on the Diagnostics page', async () => {
    const map = {
      Regions: {
        '900': {
          RegionID: 900,
          RegionCode: 'home',
          RegionName: 'Home',
          Nodes: [{ Name: '900a', RegionID: 900, HostName: '127.0.0.1', DERPPort: 41000 }],
        },
      },
    };
    const api = new FakeApi({
      'diagnostics.history': () => [],
      'relay.mapEntry': () => ({ yaml: '', json: JSON.stringify(map) }),
      'settings.get': () => ({ settings: { ...DEFAULT_SETTINGS, tlsMode: 'self-signed' }, file: '/s.json' }),
      'diagnostics.run': () => ({ runId: 'r1' }),
    });
    useDiagnosticsStore.getState().connect(api);
    render(<CheckThisRelay />);
    const button = screen.getByRole('button', { name: 'Check this relay' }) as HTMLButtonElement;
    expect(button.disabled).toBe(true);
    expect(screen.getByText('Start the relay to check it.')).toBeTruthy();
    useRelayStore.setState({ state: { status: 'running', endpoints: [], publicKey: 'k', startedAt: 1 } });
    await screen.findByText(/Runs the diagnostics against this relay/);
    fireEvent.click(button);
    expect(window.location.hash).toBe('#diagnostics');
    await vi.waitFor(() => expect(useDiagnosticsStore.getState().runId).toBe('r1'));
    expect(api.calls.find((c) => c.name === 'diagnostics.run')?.args[0]).toMatchObject({
      source: { kind: 'map', label: 'this relay (127.0.0.1:41000)', scheme: 'https' },
    });
    expect(button.disabled).toBe(true);
  });
});
