import { useShallow } from 'zustand/react/shallow';
import { BrowseButton } from '../components/BrowseButton.js';
import { useMonitorStore, type MonitorSourceKind } from './store.js';

const PLACEHOLDER: Record<Exclude<MonitorSourceKind, 'editor'>, string> = {
  relay: 'https://derp.example.com or http://127.0.0.1:3340',
  file: '/etc/headscale/derp.yaml or /etc/headscale/config.yaml',
  url: 'https://controlplane.tailscale.com/derpmap/default',
};

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
        <label htmlFor="mon-kind">Monitor</label>
        <select id="mon-kind" value={f.kind} onChange={(e) => setForm({ kind: e.target.value as MonitorSourceKind })}>
          <option value="file">a DERP map or headscale config file</option>
          <option value="url">a DERP map URL</option>
          <option value="relay">one relay (URL)</option>
          <option value="editor">the map in the editor</option>
        </select>
        {f.kind !== 'editor' && (
          <input
            aria-label="Map file, map URL or relay URL to monitor"
            value={f.value}
            placeholder={PLACEHOLDER[f.kind]}
            onChange={(e) => setForm({ value: e.target.value })}
          />
        )}
        {f.kind === 'file' && (
          <BrowseButton
            api={f.api}
            purpose="map"
            current={f.value || undefined}
            onChosen={(value) => setForm({ value })}
          />
        )}
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
          The map could not be read again: {f.mapError}. Probing the last good map meanwhile.
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
