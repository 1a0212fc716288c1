import './diagnostics.css';
import { useEffect, useRef, useState } from 'react';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { CheckHistoryEntry, CheckRequest, CheckSource, DerpdeskApi, ExportFormat } from '../../../shared/api.js';
import type { CheckReport, NodeReport, StepName, StepStatus } from '../../../shared/diagnostics.js';
import { BrowseButton } from '../components/BrowseButton.js';
import { CopyButton } from '../components/CopyButton.js';
import { Tabs } from '../components/Tabs.js';
import { useMapStore } from '../map/store.js';

const STEPS: StepName[] = ['dns', 'tcp4', 'tcp6', 'tls', 'http-probe', 'derp', 'derp-keys', 'derp-roundtrip', 'mesh', 'stun4', 'stun6', 'captive-portal'];
const GLYPH: Record<StepStatus, string> = { ok: '✓', warn: '!', fail: '✗', skip: '–' };

type SourceKind = 'relay' | 'file' | 'url' | 'editor';

/** Run connectivity checks against a relay or a DERP map, watch them live, and keep a history of runs. */
export function DiagnosticsPage({ api }: { api: DerpdeskApi | null }) {
  const editorMap = useMapStore((s) => s.map);
  const [kind, setKind] = useState<SourceKind>('relay');
  const [value, setValue] = useState('');
  const [region, setRegion] = useState('');
  const [runId, setRunId] = useState<string | null>(null);
  const [nodes, setNodes] = useState<NodeReport[]>([]);
  const [report, setReport] = useState<CheckReport | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [history, setHistory] = useState<CheckHistoryEntry[]>([]);
  const [viewing, setViewing] = useState<string | null>(null);
  const [compareWith, setCompareWith] = useState<CheckReport | null>(null);
  const [bandwidth, setBandwidth] = useState(false);
  const [everyMin, setEveryMin] = useState(0);
  const lastRequest = useRef<CheckRequest | null>(null);
  const runRef = useRef<string | null>(null);

  useEffect(() => {
    if (!api) return;
    void api.call('diagnostics.history').then(setHistory, () => {});
    const offs = [
      api.on('diagnostics.progress', ({ runId: id, node }) => {
        if (id !== runRef.current) return;
        setNodes((prev) => {
          const i = prev.findIndex((n) => n.regionId === node.regionId && n.node === node.node);
          return i < 0 ? [...prev, node] : prev.map((n, k) => (k === i ? node : n));
        });
      }),
      api.on('diagnostics.done', ({ runId: id, entry, error: err }) => {
        if (id !== runRef.current) return;
        runRef.current = null;
        setRunId(null);
        if (err) setError(err);
        if (entry) {
          void api.call('diagnostics.get', entry.id).then((r) => r && (setReport(r.report), setNodes(r.report.nodes), setViewing(entry.id)));
          void api.call('diagnostics.history').then(setHistory);
        }
      }),
    ];
    return () => offs.forEach((o) => o());
  }, [api]);

  const launch = async (req: CheckRequest) => {
    if (!api || runRef.current) return;
    setNodes([]);
    setReport(null);
    setError(null);
    setViewing(null);
    setCompareWith(null);
    try {
      const { runId: id } = await api.call('diagnostics.run', req);
      runRef.current = id;
      setRunId(id);
    } catch (err) {
      setError((err as Error).message);
    }
  };

  const start = async () => {
    let source: CheckSource;
    if (kind === 'relay') source = { kind: 'relay', url: value };
    else if (kind === 'file') source = { kind: 'file', path: value };
    else if (kind === 'url') source = { kind: 'url', url: value };
    else if (editorMap) source = { kind: 'map', map: editorMap, label: 'map in the editor' };
    else return setError('open a map in the DERP map editor first');
    lastRequest.current = { source, region: region || undefined, bandwidthBytes: bandwidth ? 8_000_000 : undefined };
    await launch(lastRequest.current);
  };

  // Periodic runs repeat the last request; a run still going is not interrupted.
  useEffect(() => {
    if (!everyMin) return;
    const t = setInterval(() => lastRequest.current && void launch(lastRequest.current), everyMin * 60_000);
    return () => clearInterval(t);
  }, [everyMin]);

  const show = async (id: string) => {
    const r = await api?.call('diagnostics.get', id);
    if (r) {
      setReport(r.report);
      setNodes(r.report.nodes);
      setViewing(id);
    }
  };

  return (
    <div className="page diagnostics-page">
      <section className="card" aria-label="Run checks">
        <h2>Diagnostics</h2>
        <form
          className="run-form"
          onSubmit={(e) => {
            e.preventDefault();
            void start();
          }}
        >
          <label htmlFor="diag-kind">Check</label>
          <select id="diag-kind" value={kind} onChange={(e) => setKind(e.target.value as SourceKind)}>
            <option value="relay">one relay (URL)</option>
            <option value="file">a DERP map file</option>
            <option value="url">a DERP map URL</option>
            <option value="editor">the map in the editor</option>
          </select>
          {kind !== 'editor' && (
            <input
              aria-label="Relay URL, map file or map URL"
              value={value}
              placeholder={kind === 'relay' ? 'https://derp.example.com or http://127.0.0.1:3340' : kind === 'file' ? '/etc/headscale/derp.yaml' : 'https://controlplane.tailscale.com/derpmap/default'}
              onChange={(e) => setValue(e.target.value)}
            />
          )}
          {kind === 'file' && <BrowseButton api={api} purpose="map" current={value || undefined} onChosen={setValue} />}
          <input aria-label="Region (id or code, optional)" value={region} placeholder="region (optional)" onChange={(e) => setRegion(e.target.value)} className="region" />
          <label className="check">
            <input type="checkbox" checked={bandwidth} onChange={(e) => setBandwidth(e.target.checked)} /> bandwidth test (8 MB per node)
          </label>
          <label htmlFor="diag-every">Repeat</label>
          <select id="diag-every" value={everyMin} onChange={(e) => setEveryMin(Number(e.target.value))}>
            <option value={0}>never</option>
            <option value={1}>every minute</option>
            <option value={5}>every 5 minutes</option>
            <option value={15}>every 15 minutes</option>
            <option value={60}>every hour</option>
          </select>
          {runId ? (
            <button type="button" onClick={() => void api?.call('diagnostics.cancel', runId)}>
              Cancel
            </button>
          ) : (
            <button type="submit" className="primary" disabled={kind !== 'editor' && !value}>
              Run checks
            </button>
          )}
        </form>
        {runId && <p className="muted" role="status" data-testid="diag-running">Running… {nodes.length} nodes reporting</p>}
        {error && <p className="error" role="alert">{error}</p>}
      </section>
      {nodes.length > 0 && (
        <ResultsTable
          nodes={nodes}
          finished={!runId}
          onRerun={lastRequest.current ? (n) => void launch({ ...lastRequest.current!, region: String(n.regionId), node: n.node }) : undefined}
        />
      )}
      {report && compareWith && <Compare older={compareWith} newer={report} />}
      {report && <Summary report={report} />}
      {viewing && api && <ExportBox api={api} id={viewing} />}
      <section className="card" aria-label="History">
        <h2>History</h2>
        {history.length === 0 ? (
          <p className="muted">No runs yet.</p>
        ) : (
          <ul className="history" data-testid="diag-history">
            {history.map((h) => (
              <li key={h.id}>
                <button type="button" className="link" onClick={() => void show(h.id)} aria-current={viewing === h.id ? 'true' : undefined}>
                  {new Date(h.startedAt).toLocaleString()} · {h.label} · {h.nodes} nodes · {h.fails} failures · {h.warns} warnings
                </button>
                {report && viewing !== h.id && (
                  <button type="button" className="compare" onClick={() => void api?.call('diagnostics.get', h.id).then((r) => r && setCompareWith(r.report))}>
                    compare with shown run
                  </button>
                )}
              </li>
            ))}
          </ul>
        )}
        <LatencyOverTime history={history} />
      </section>
    </div>
  );
}

function ResultsTable({ nodes, finished, onRerun }: { nodes: NodeReport[]; finished: boolean; onRerun?: (n: NodeReport) => void }) {
  const [open, setOpen] = useState<string | null>(null);
  return (
    <section className="card" aria-label="Results">
      <table className="simple diag-table" data-testid="diag-results">
        <thead>
          <tr>
            <th>Region</th>
            <th>Node</th>
            {STEPS.map((s) => (
              <th key={s}>{s}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {nodes.map((n) => {
            const key = `${n.regionId}/${n.node}`;
            return [
              <tr key={key} onClick={() => setOpen(open === key ? null : key)} className="clickable">
                <td>{n.regionCode}</td>
                <td>
                  <button type="button" className="link" aria-expanded={open === key}>
                    {n.node}
                  </button>
                </td>
                {STEPS.map((s) => {
                  const st = n.steps.filter((x) => x.step === s);
                  const worst = st.find((x) => x.status === 'fail') ?? st.find((x) => x.status === 'warn') ?? st[0];
                  return (
                    <td key={s} className={`st-${worst?.status ?? 'pending'}`} title={worst?.detail ?? 'pending'}>
                      {worst ? `${GLYPH[worst.status]}${worst.ms !== undefined && worst.status !== 'skip' ? ` ${Math.round(worst.ms)}` : ''}` : finished ? GLYPH.skip : '…'}
                    </td>
                  );
                })}
              </tr>,
              open === key && (
                <tr key={`${key}-detail`}>
                  <td colSpan={STEPS.length + 2}>
                    {onRerun && finished && (
                      <button type="button" onClick={() => onRerun(n)}>
                        Re-run this node
                      </button>
                    )}
                    <ul className="step-details">
                      {n.steps.map((s, i) => (
                        <li key={i} className={`st-${s.status}`}>
                          <strong>{s.step}</strong>: {s.detail}
                          {s.advice && <em> ({s.advice})</em>}
                        </li>
                      ))}
                    </ul>
                  </td>
                </tr>
              ),
            ];
          })}
        </tbody>
      </table>
    </section>
  );
}

function Summary({ report }: { report: CheckReport }) {
  const s = report.summary;
  const lat = Object.entries(s.regionLatencyMs).sort((a, b) => a[1] - b[1]);
  const max = Math.max(1, ...lat.map(([, ms]) => ms));
  return (
    <section className="card" aria-label="Summary" data-testid="diag-summary">
      <h2>Summary</h2>
      <ul className="summary">
        <li>UDP: {s.udp ? 'yes' : 'no'}</li>
        <li>Public IPv4: {s.publicIPv4 ?? 'none'}</li>
        <li>Public IPv6: {s.publicIPv6 ?? 'none'}</li>
        <li>Preferred region (home): {s.preferredRegion ?? 'none'}</li>
      </ul>
      <h3>Latency by region</h3>
      <div className="latency-bars">
        {lat.map(([id, ms]) => (
          <div key={id} className="bar-row">
            <span>{id}</span>
            <span className="bar" style={{ width: `${(ms / max) * 100}%` }} />
            <span>{ms.toFixed(1)} ms</span>
          </div>
        ))}
      </div>
      {s.problems.length > 0 && (
        <>
          <h3>Problems</h3>
          <ul className="problems" data-testid="diag-problems">
            {s.problems.map((p, i) => (
              <li key={i}>{p}</li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

const EXPORT_FORMATS = [
  { id: 'markdown', label: 'Markdown' },
  { id: 'csv', label: 'CSV' },
  { id: 'json', label: 'JSON' },
] as const;

function ExportBox({ api, id }: { api: DerpdeskApi; id: string }) {
  const [format, setFormat] = useState<ExportFormat>('markdown');
  const [text, setText] = useState('');
  useEffect(() => {
    void api.call('diagnostics.export', id, format).then(setText, () => setText(''));
  }, [api, id, format]);
  return (
    <section className="card" aria-label="Export the run">
      <div className="table-head">
        <h2>Export</h2>
        <Tabs idPrefix="diag-export" label="Export format" options={EXPORT_FORMATS} value={format} onChange={setFormat} />
        <CopyButton text={text} label={`Copy the ${format} export`} />
      </div>
      <pre id="diag-export-panel" role="tabpanel" aria-labelledby={`diag-export-tab-${format}`} className="code" data-testid="diag-export">
        {text}
      </pre>
    </section>
  );
}

/** Steps whose status changed between two runs. */
function Compare({ older, newer }: { older: CheckReport; newer: CheckReport }) {
  const key = (n: NodeReport, step: string) => `${n.regionId}/${n.node}/${step}`;
  const before = new Map(older.nodes.flatMap((n) => n.steps.map((s) => [key(n, s.step), s.status] as const)));
  const changes = newer.nodes.flatMap((n) => n.steps.filter((s) => before.has(key(n, s.step)) && before.get(key(n, s.step)) !== s.status).map((s) => ({ n, s, was: before.get(key(n, s.step))! })));
  return (
    <section className="card" aria-label="Comparison" data-testid="diag-compare">
      <h2>Changes since {new Date(older.startedAt).toLocaleString()}</h2>
      {changes.length === 0 ? (
        <p className="muted">No step changed status.</p>
      ) : (
        <ul className="step-details">
          {changes.map(({ n, s, was }, i) => (
            <li key={i} className={`st-${s.status}`}>
              {n.regionCode}/{n.node} {s.step}: {was} → {s.status} ({s.detail})
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** Best latency per region across the stored runs, oldest first. */
function LatencyOverTime({ history }: { history: CheckHistoryEntry[] }) {
  const runs = [...history].reverse().filter((h) => h.regionLatencyMs && Object.keys(h.regionLatencyMs).length);
  if (runs.length < 2) return null;
  const regions = [...new Set(runs.flatMap((h) => Object.keys(h.regionLatencyMs!)))];
  const data = runs.map((h) => ({ t: h.startedAt, ...h.regionLatencyMs }));
  const colors = ['var(--chart-1)', 'var(--chart-2)', 'var(--chart-3)', 'var(--chart-4)'];
  return (
    <figure className="chart" data-testid="diag-latency-chart">
      <figcaption>Latency by region over time (ms)</figcaption>
      <ResponsiveContainer width="100%" height={200}>
        <LineChart data={data}>
          <CartesianGrid stroke="var(--grid)" strokeDasharray="3 3" />
          <XAxis dataKey="t" type="number" domain={['dataMin', 'dataMax']} tickFormatter={(t) => new Date(t).toLocaleTimeString()} stroke="var(--muted)" fontSize={11} />
          <YAxis stroke="var(--muted)" fontSize={11} />
          <Tooltip labelFormatter={(t) => new Date(Number(t)).toLocaleString()} isAnimationActive={false} />
          <Legend />
          {regions.map((r, i) => (
            <Line key={r} dataKey={r} name={`region ${r}`} stroke={colors[i % colors.length]} dot={false} isAnimationActive={false} type="linear" />
          ))}
        </LineChart>
      </ResponsiveContainer>
    </figure>
  );
}
