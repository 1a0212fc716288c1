import { useShallow } from 'zustand/react/shallow';
import { CheckSource } from '../components/CheckSource.js';
import { countOf } from '../../../shared/words.js';
import { useDiagnosticsStore } from './store.js';

/** What to check, how often, and the button that starts (or cancels) a run. */
export function RunForm() {
  const f = useDiagnosticsStore(
    useShallow((s) => ({
      api: s.api,
      kind: s.kind,
      value: s.value,
      region: s.region,
      stunPort: s.stunPort,
      bandwidth: s.bandwidth,
      everyMin: s.everyMin,
      running: s.runId !== null,
      nodes: s.nodes.length,
      error: s.error,
    })),
  );
  const { setForm, setRepeat, start, cancel } = useDiagnosticsStore(
    useShallow((s) => ({ setForm: s.setForm, setRepeat: s.setRepeat, start: s.start, cancel: s.cancel })),
  );
  return (
    <section className="card" aria-label="Run checks">
      <h2>Diagnostics</h2>
      <form
        className="run-form"
        onSubmit={(e) => {
          e.preventDefault();
          void start();
        }}
      >
        <CheckSource api={f.api} id="diag-kind" label="Check" kind={f.kind} value={f.value} onChange={setForm} />
        {f.kind === 'relay' && (
          <span className="field">
            <label htmlFor="diag-stun-port">STUN port</label>
            <input
              id="diag-stun-port"
              className="port"
              inputMode="numeric"
              value={f.stunPort}
              placeholder="3478"
              title="The relay's STUN (UDP) port: empty for 3478, -1 to skip STUN"
              onChange={(e) => setForm({ stunPort: e.target.value })}
            />
          </span>
        )}
        <input
          aria-label="Region (id or code, optional)"
          value={f.region}
          placeholder="region (optional)"
          onChange={(e) => setForm({ region: e.target.value })}
          className="region"
        />
        <label className="check">
          <input type="checkbox" checked={f.bandwidth} onChange={(e) => setForm({ bandwidth: e.target.checked })} />
          <span>bandwidth test (8 MB per node)</span>
        </label>
        <span className="field">
          <label htmlFor="diag-every">Repeat</label>
          <select id="diag-every" value={f.everyMin} onChange={(e) => setRepeat(Number(e.target.value))}>
            <option value={0}>never</option>
            <option value={1}>every minute</option>
            <option value={5}>every 5 minutes</option>
            <option value={15}>every 15 minutes</option>
            <option value={60}>every hour</option>
          </select>
        </span>
        {f.running ? (
          <button type="button" onClick={() => void cancel()}>
            Cancel
          </button>
        ) : (
          <button type="submit" className="primary" disabled={f.kind !== 'editor' && !f.value}>
            Run checks
          </button>
        )}
      </form>
      {f.running && (
        <p className="muted" role="status" data-testid="diag-running">
          Running… {countOf(f.nodes, 'node')} reporting
        </p>
      )}
      {f.error && (
        <p className="error" role="alert">
          {f.error}
        </p>
      )}
    </section>
  );
}
