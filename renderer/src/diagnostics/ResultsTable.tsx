import { useState } from 'react';
import type { NodeReport, StepName } from '../../../shared/diagnostics.js';
import { GLYPH, cellText } from './step-text.js';
import { useDiagnosticsStore } from './store.js';

const STEPS: StepName[] = [
  'dns',
  'tcp4',
  'tcp6',
  'tls',
  'http-probe',
  'derp',
  'derp-keys',
  'derp-roundtrip',
  'mesh',
  'stun4',
  'stun6',
  'captive-portal',
];

/** The worst result of one step for a node, as the table cell shows it. */
function StepCell({ n, step, finished }: { n: NodeReport; step: StepName; finished: boolean }) {
  const st = n.steps.filter((x) => x.step === step);
  const worst = st.find((x) => x.status === 'fail') ?? st.find((x) => x.status === 'warn') ?? st[0];
  return (
    <td className={`st-${worst?.status ?? 'pending'}`} title={worst?.detail ?? 'pending'} data-step={step}>
      {worst ? cellText(worst) : finished ? GLYPH.skip : '…'}
    </td>
  );
}

/** Every step's detail for one node, and a button to check that node again. */
function NodeDetail({ n, finished, columns }: { n: NodeReport; finished: boolean; columns: number }) {
  const canRerun = useDiagnosticsStore((s) => s.lastRequest !== null);
  const rerunNode = useDiagnosticsStore((s) => s.rerunNode);
  return (
    <tr>
      <td colSpan={columns + 2}>
        {canRerun && finished && (
          <button type="button" onClick={() => void rerunNode(n)}>
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
  );
}

/** One row per node, one column per step; results fill in as they arrive. */
export function ResultsTable({ nodes, finished }: { nodes: NodeReport[]; finished: boolean }) {
  const [open, setOpen] = useState<string | null>(null);
  const selected = useDiagnosticsStore((s) => s.selectedRegion);
  const selectRegion = useDiagnosticsStore((s) => s.selectRegion);
  const steps: StepName[] = nodes.some((n) => n.steps.some((s) => s.step === 'bandwidth'))
    ? [...STEPS, 'bandwidth']
    : STEPS;
  return (
    <section className="card results-card" aria-label="Results">
      <div className="table-scroll">
        <table className="simple diag-table" data-testid="diag-results">
          <thead>
            <tr>
              <th>Region</th>
              <th>Node</th>
              {steps.map((s) => (
                <th key={s}>{s}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {nodes.map((n) => {
              const key = `${n.regionId}/${n.node}`;
              return [
                <tr
                  key={key}
                  data-region-id={n.regionId}
                  onClick={() => {
                    setOpen(open === key ? null : key);
                    selectRegion(String(n.regionId));
                  }}
                  className={`clickable${selected === String(n.regionId) ? ' selected' : ''}`}
                >
                  <td title={n.regionName}>{n.regionCode}</td>
                  <td>
                    <button type="button" className="link" aria-expanded={open === key}>
                      {n.node}
                    </button>
                  </td>
                  {steps.map((s) => (
                    <StepCell key={s} n={n} step={s} finished={finished} />
                  ))}
                </tr>,
                open === key && <NodeDetail key={`${key}-detail`} n={n} finished={finished} columns={steps.length} />,
              ];
            })}
          </tbody>
        </table>
      </div>
    </section>
  );
}
