import { counted } from '../format.js';
import { useRelayStore } from './store.js';

/** The id of EntryProblems' box, which this notice scrolls to. */
export const ENTRY_PROBLEMS_ID = 'entry-problems';

/**
 * At the top of the dashboard, in view on any window size: the map entry clients would be given does not work. The
 * why and the one-click fix are in the map entry card, at the bottom of the side column; the button goes there.
 */
export function EntryNotice() {
  const problems = useRelayStore((s) => s.mapEntry?.problems.length ?? 0);
  if (problems === 0) return null;
  return (
    <div className="warning entry-notice" data-testid="entry-notice">
      <p>
        Tailscale clients cannot use this relay as it is set up: its DERP map entry has {counted(problems, 'problem')}.
      </p>
      <button
        type="button"
        onClick={() => {
          const box = document.getElementById(ENTRY_PROBLEMS_ID);
          box?.scrollIntoView({ block: 'start' });
          box?.focus();
        }}
      >
        Show what to change
      </button>
    </div>
  );
}
