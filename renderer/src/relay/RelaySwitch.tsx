import { useShallow } from 'zustand/react/shallow';
import type { RelayState } from '../../../shared/api.js';
import { EntryNotice } from './EntryNotice.js';
import { useRelayStore } from './store.js';

export function describeState(s: RelayState): string {
  switch (s.status) {
    case 'stopped':
      return 'Stopped';
    case 'starting':
      return 'Starting…';
    case 'stopping':
      return 'Stopping…';
    case 'failed':
      return `Failed: ${s.error}`;
    case 'running':
      return `Running on ${s.endpoints.map((e) => e.url).join(', ')}`;
  }
}

/** The on/off switch for the embedded relay and STUN server, with the state always in view. */
export function RelaySwitch() {
  const { state, busy, ready, error, toggle } = useRelayStore(
    useShallow((s) => ({ state: s.state, busy: s.busy, ready: s.ready, error: s.error, toggle: s.toggle })),
  );
  const on = state.status === 'running' || state.status === 'starting';
  return (
    <section className="card relay-switch" aria-labelledby="relay-heading">
      <div className="switch-row">
        <h2 id="relay-heading">Relay</h2>
        <button
          type="button"
          role="switch"
          aria-checked={on}
          aria-label="Relay"
          className={`switch ${on ? 'on' : ''}`}
          // While a start or stop runs, the switch stays focusable (a disabled button loses keyboard focus);
          // the store ignores presses until it is done.
          disabled={!ready}
          aria-disabled={busy || undefined}
          aria-busy={busy || undefined}
          aria-describedby="relay-status"
          onClick={() => void toggle()}
        >
          <span className="knob" />
        </button>
      </div>
      <p className="muted hint">The embedded DERP relay, and the STUN server when it is enabled in the settings.</p>
      <p id="relay-status" data-testid="relay-status" className={`status status-${state.status}`} role="status">
        {describeState(state)}
      </p>
      {state.status === 'running' && (
        <p className="muted">
          Server key{' '}
          <code className="key" data-testid="server-key">
            {state.publicKey}
          </code>
          {state.certName && (
            <>
              <br />
              Self-signed certificate, pinned by clients as{' '}
              <code className="key" data-testid="cert-name">
                {state.certName}
              </code>
            </>
          )}
        </p>
      )}
      <EntryNotice />
      {error && (
        <p className="error" role="alert" data-testid="relay-error">
          {error}
        </p>
      )}
    </section>
  );
}
