import type { CheckReport, NodeReport } from '../../../shared/diagnostics.js';

export function Summary({ report }: { report: CheckReport }) {
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

/** Steps whose status changed between two runs. */
export function Compare({ older, newer }: { older: CheckReport; newer: CheckReport }) {
  const key = (n: NodeReport, step: string) => `${n.regionId}/${n.node}/${step}`;
  const before = new Map(older.nodes.flatMap((n) => n.steps.map((s) => [key(n, s.step), s.status] as const)));
  const changes = newer.nodes.flatMap((n) =>
    n.steps
      .filter((s) => before.has(key(n, s.step)) && before.get(key(n, s.step)) !== s.status)
      .map((s) => ({ n, s, was: before.get(key(n, s.step))! })),
  );
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
