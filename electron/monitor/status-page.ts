/** `derpdesk probe`'s status page: which probes fail, since when and why, then every probe; plain HTML, no script. */
import type { MonitorSnapshot, ProbeState } from '../../shared/monitor.js';

const html = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

const when = (t: number | null) => (t === null ? '—' : new Date(t).toISOString().replace('T', ' ').slice(0, 19) + 'Z');

function ago(t: number, now: number): string {
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  return `${Math.round(s / 3600)} h`;
}

function row(p: ProbeState, now: number): string {
  const status = p.ok === null ? 'pending' : p.ok ? 'ok' : 'failing';
  return (
    `<tr class="${status}"><td>${html(p.name)}</td><td>${html(p.class)}</td><td>${status}</td>` +
    `<td>${p.latencyMs === null ? '—' : `${p.latencyMs} ms`}</td><td>${when(p.end)}</td>` +
    `<td>${p.failingSince === null ? '' : `${when(p.failingSince)} (${ago(p.failingSince, now)})`}</td>` +
    `<td>${html(p.error ?? '')}</td></tr>`
  );
}

const HEAD =
  '<tr><th>probe</th><th>class</th><th>status</th><th>latency</th><th>last run</th><th>failing since</th><th>last error</th></tr>';

export function renderStatusPage(snap: MonitorSnapshot, now = Date.now()): string {
  const failing = snap.probes.filter((p) => p.ok === false);
  const table = (ps: ProbeState[]) => `<table>${HEAD}${ps.map((p) => row(p, now)).join('')}</table>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>derpdesk probe: ${failing.length} failing</title>
<meta http-equiv="refresh" content="15">
<style>
body{font:14px system-ui,sans-serif;margin:1.5em;color:#1b1f24}
table{border-collapse:collapse;margin-bottom:1.5em}td,th{padding:.25em .6em;border-bottom:1px solid #ddd;text-align:left}
tr.failing td{background:#fde8e8}tr.ok td:nth-child(3){color:#0a6b2c}.muted{color:#57606a}
</style></head><body>
<h1>derpdesk probe</h1>
<p class="muted">Map: ${html(snap.label)} · started ${when(snap.startedAt)} · ${snap.probes.length} probes ·
<a href="/metrics">metrics</a> · <a href="/json">JSON</a></p>
${snap.mapError ? `<p><strong>The map could not be read:</strong> ${html(snap.mapError)} (probing the last good map)</p>` : ''}
<h2>Failing (${failing.length})</h2>
${failing.length ? table(failing) : '<p>None: every probe passed its last run.</p>'}
<h2>All probes</h2>
${table(snap.probes)}
</body></html>
`;
}
