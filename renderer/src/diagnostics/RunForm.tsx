import { useShallow } from 'zustand/react/shallow';
import { BrowseButton } from '../components/BrowseButton.js';
import { useDiagnosticsStore, type SourceKind } from './store.js';

const PLACEHOLDER: Record<Exclude<SourceKind, 'editor'>, string> = {
  relay: 'https://derp.example.com or http://127.0.0.1:3340',
  file: '/etc/headscale/derp.yaml',
  url: 'https://controlplane.tailscale.com/derpmap/default',
};

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
        <span className="field">
          <label htmlFor="diag-kind">Check</label>
          <select id="diag-kind" value={f.kind} onChange={(e) => setForm({ kind: e.target.value as SourceKind })}>
            <option value="relay">one relay (URL)</option>
            <option value="file">a DERP map file</option>
            <option value="url">a DERP map URL</option>
            <option value="editor">the map in the editor</option>
          </select>
        </span>
        {f.kind !== 'editor' && (
          <input
            className="target"
            aria-label="Relay URL, map file or map URL"
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
          Running… {f.nodes} nodes reporting
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
