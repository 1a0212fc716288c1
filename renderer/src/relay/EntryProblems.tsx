import { useShallow } from 'zustand/react/shallow';
import type { MapEntry } from '../../../shared/api.js';
import type { RelaySettings } from '../../../shared/settings.js';
import { ENTRY_PROBLEMS_ID } from './EntryNotice.js';
import { FIELDS } from './settings-fields.js';
import { useRelayStore } from './store.js';

const labelOf = (k: keyof RelaySettings) => FIELDS.find((f) => f.key === k)?.label ?? k;
const shown = (v: RelaySettings[keyof RelaySettings] | undefined) =>
  v === '' || v === undefined ? '(empty)' : String(v);

/**
 * Why real clients could not use the map entry, and the proposed settings side by side with the current ones, so
 * the user sees exactly what one click changes before applying it.
 */
export function EntryProblems({ entry }: { entry: MapEntry }) {
  const { settings, running, outcome, busy, apply } = useRelayStore(
    useShallow((s) => ({
      settings: s.settings?.settings ?? null,
      running: s.state.status === 'running' || s.state.status === 'starting',
      outcome: s.entryFix,
      busy: s.busy,
      apply: s.applyEntryFix,
    })),
  );
  const changes = Object.entries(entry.fix?.changes ?? {}) as Array<
    [keyof RelaySettings, RelaySettings[keyof RelaySettings]]
  >;
  return (
    <div
      id={ENTRY_PROBLEMS_ID}
      // Focused by the dashboard's notice (EntryNotice), not a tab stop of its own.
      tabIndex={-1}
      className="warning entry-problems"
      role="group"
      aria-labelledby="entry-problems-heading"
      data-testid="entry-problems"
    >
      <h3 id="entry-problems-heading">Tailscale clients cannot use this entry as it is</h3>
      <ul>
        {entry.problems.map((p) => (
          <li key={p.what}>
            {p.what} <span className="change">{p.change}</span>
          </li>
        ))}
      </ul>
      {entry.fix?.remaining.map((r) => (
        <p key={r} data-testid="entry-fix-remaining">
          {r}
        </p>
      ))}
      {changes.length > 0 && settings && (
        <>
          <table className="simple" data-testid="entry-fix">
            <caption>Proposed settings</caption>
            <thead>
              <tr>
                <th scope="col">Setting</th>
                <th scope="col">Now</th>
                <th scope="col">Proposed</th>
              </tr>
            </thead>
            <tbody>
              {changes.map(([k, v]) => (
                <tr key={k}>
                  <th scope="row">{labelOf(k)}</th>
                  <td>
                    <code>{shown(settings[k])}</code>
                  </td>
                  <td>
                    <code>{shown(v)}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <div className="actions">
            <button type="button" disabled={outcome.saving || busy} onClick={() => void apply()}>
              {outcome.saving ? 'Applying…' : running ? 'Apply and restart the relay' : 'Apply these settings'}
            </button>
          </div>
        </>
      )}
      {outcome.error && (
        <p className="error" role="alert" data-testid="entry-fix-error">
          {outcome.error}
        </p>
      )}
    </div>
  );
}
