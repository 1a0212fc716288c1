import { useRelayStore } from '../relay/store.js';
import { useDiagnosticsStore } from './store.js';

/**
 * On the relay dashboard: checks the running relay as clients would reach it (its DERP map entry, with the ports
 * it really listens on) and goes to the Diagnostics page, where the results arrive.
 */
export function CheckThisRelay() {
  const running = useRelayStore((s) => s.state.status === 'running');
  const busy = useDiagnosticsStore((s) => s.runId !== null);
  const checkThisRelay = useDiagnosticsStore((s) => s.checkThisRelay);
  return (
    <section className="card check-this-relay" aria-label="Check this relay">
      <button
        type="button"
        disabled={!running || busy}
        onClick={() => {
          window.location.hash = '#diagnostics';
          void checkThisRelay();
        }}
      >
        Check this relay
      </button>
      <p className="muted hint">
        {running
          ? busy
            ? 'A check is running: see Diagnostics.'
            : 'Runs the diagnostics against this relay through its DERP map entry, with its real ports.'
          : 'Start the relay to check it.'}
      </p>
    </section>
  );
}
