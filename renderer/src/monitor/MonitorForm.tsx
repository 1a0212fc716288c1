import { useShallow } from 'zustand/react/shallow';
import { CheckSource } from '../components/CheckSource.js';
import { useMonitorStore } from './store.js';

/** What to monitor and how often, and the button that starts or stops it. */
export function MonitorForm() {
  const f = useMonitorStore(
    useShallow((s) => ({
      api: s.api,
      kind: s.kind,
      value: s.value,
      region: s.region,
      intervalSec: s.intervalSec,
      busy: s.busy,
      running: s.snapshot?.running ?? false,
      label: s.snapshot?.label ?? '',
      mapError: s.snapshot?.mapError ?? null,
      error: s.error,
    })),
  );
  const { setForm, start, stop } = useMonitorStore(
    useShallow((s) => ({ setForm: s.setForm, start: s.start, stop: s.stop })),
  );
  return (
    <section className="card" aria-label="Monitor settings">
      <h2>Monitor</h2>
      <form
        className="run-form"
        onSubmit={(e) => {
          e.preventDefault();
          void start();
        }}
      >
        <CheckSource api={f.api} id="mon-kind" label="Monitor" kind={f.kind} value={f.value} onChange={setForm} />
        <input
          aria-label="Region to monitor (id or code, optional)"
          value={f.region}
          placeholder="region (optional)"
          onChange={(e) => setForm({ region: e.target.value })}
          className="region"
        />
        <label htmlFor="mon-every">Probe every</label>
        <input
          id="mon-every"
          type="number"
          min={1}
          max={3600}
          value={f.intervalSec}
          onChange={(e) => setForm({ intervalSec: Math.max(1, Math.min(3600, Number(e.target.value) || 15)) })}
          className="seconds"
        />
        <span className="muted">s</span>
        <button type="submit" className="primary" disabled={f.busy || (f.kind !== 'editor' && !f.value)}>
          {f.running ? 'Restart monitoring' : 'Start monitoring'}
        </button>
        {f.running && (
          <button type="button" onClick={() => void stop()}>
            Stop monitoring
          </button>
        )}
      </form>
      <p className="muted" role="status" data-testid="monitor-state">
        {f.running ? `Monitoring ${f.label}` : f.label ? `Stopped (was monitoring ${f.label})` : 'Not monitoring'}
      </p>
      {f.mapError && (
        <p className="warning" role="alert">
          {f.running
            ? `The map could not be read again: ${f.mapError}. Probing the last good map meanwhile.`
            : `Monitoring resumes once the map can be read: ${f.mapError}.`}
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
