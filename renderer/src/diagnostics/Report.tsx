import {
  addressFact,
  latencyByRegion,
  regionLabel,
  type CheckReport,
  type CheckSummary,
  type NodeReport,
} from '../../../shared/diagnostics.js';

const yesNo = (v: boolean | null | undefined, unknown: string) =>
  v === null || v === undefined ? unknown : v ? 'yes' : 'no';

/** What `tailscale netcheck` users look for, in its terms. */
function NetcheckFacts({ s }: { s: CheckSummary }) {
  const nearest = s.nearest
    ? `${regionLabel(s.nearest)}, ${s.nearest.ms.toFixed(1)} ms`
    : (s.preferredRegion ?? 'none');
  return (
    <dl className="summary">
      <dt>UDP</dt>
      <dd>{s.udp ? 'yes' : 'no'}</dd>
      <dt>IPv4</dt>
      <dd>{addressFact(s.mappedIPv4, s.publicIPv4)}</dd>
      <dt>IPv6</dt>
      <dd>{addressFact(s.mappedIPv6, s.publicIPv6)}</dd>
      <dt>MappingVariesByDestIP</dt>
      <dd>
        {yesNo(s.mappingVariesByDestIP, 'unknown')}
        {s.mappingVariesByDestIP === null && s.mappingVariesWhyUnknown && (
          <span className="muted"> ({s.mappingVariesWhyUnknown})</span>
        )}
      </dd>
      <dt>Captive portal</dt>
      <dd>{yesNo(s.captivePortal, 'not checked')}</dd>
      <dt>Nearest DERP (home)</dt>
      <dd>{nearest}</dd>
    </dl>
  );
}

export function Summary({ report }: { report: CheckReport }) {
  const s = report.summary;
  const lat = latencyByRegion(s);
  const max = Math.max(1, ...lat.map((r) => r.ms));
  return (
    <section className="card" aria-label="Summary" data-testid="diag-summary">
      <h2>Summary</h2>
      <NetcheckFacts s={s} />
      <h3>Latency by region</h3>
      <div className="latency-bars" data-testid="diag-latency">
        {lat.map((r) => (
          <div key={r.regionId} className="bar-row">
            <span>{regionLabel(r)}</span>
            <span className="bar" style={{ width: `${(r.ms / max) * 100}%` }} />
            <span>{r.ms.toFixed(1)} ms</span>
          </div>
        ))}
      </div>
      {s.bandwidth && s.bandwidth.length > 0 && (
        <>
          <h3>Bandwidth</h3>
          <ul className="bandwidth" data-testid="diag-bandwidth">
            {s.bandwidth.map((b) => (
              <li key={`${b.regionCode}/${b.node}`}>
                {b.regionCode}/{b.node}: {b.mbps.toFixed(1)} MB/s
              </li>
            ))}
          </ul>
        </>
      )}
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

export interface LabelledReport {
  /** What the run checked (a relay URL, a map file...). */
  label: string;
  report: CheckReport;
}

/** Steps whose status changed between two runs of the same target. */
export function Compare({ older, newer }: { older: LabelledReport; newer: LabelledReport }) {
  const when = (r: LabelledReport) => new Date(r.report.startedAt).toLocaleString();
  if (older.label !== newer.label) {
    return (
      <section className="card" aria-label="Comparison" data-testid="diag-compare">
        <h2>Not comparable</h2>
        <p>
          These runs checked different targets: {older.label} ({when(older)}) and {newer.label} ({when(newer)}). Compare
          runs of the same target.
        </p>
      </section>
    );
  }
  const key = (n: NodeReport, step: string) => `${n.regionId}/${n.node}/${step}`;
  const before = new Map(older.report.nodes.flatMap((n) => n.steps.map((s) => [key(n, s.step), s.status] as const)));
  const changes = newer.report.nodes.flatMap((n) =>
    n.steps
      .filter((s) => before.has(key(n, s.step)) && before.get(key(n, s.step)) !== s.status)
      .map((s) => ({ n, s, was: before.get(key(n, s.step))! })),
  );
  const common = newer.report.nodes.some((n) => n.steps.some((s) => before.has(key(n, s.step))));
  return (
    <section className="card" aria-label="Comparison" data-testid="diag-compare">
      <h2>Changes since {when(older)}</h2>
      {!common ? (
        <p className="muted">The two runs have no node and step in common (different regions or nodes were checked).</p>
      ) : changes.length === 0 ? (
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
