import { useEffect, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { validateSettings, type RelaySettings, type SettingsErrors } from '../../../shared/settings.js';
import { BrowseButton } from '../components/BrowseButton.js';
import { FIELDS, headscaleVerifyUrl, type Field } from './settings-fields.js';
import { useRelayStore } from './store.js';

type Update = (key: keyof RelaySettings, value: string | number | boolean) => void;

/** One setting: its input, the Browse… or preset button it may have, its error and its hint. */
function SettingField({ f, draft, err, update }: { f: Field; draft: RelaySettings; err?: string; update: Update }) {
  const api = useRelayStore((s) => s.api);
  const id = `setting-${f.key}`;
  const value = draft[f.key];
  const describedBy = [err ? `${id}-error` : null, f.hint ? `${id}-hint` : null].filter(Boolean).join(' ') || undefined;
  return (
    <div className={`field ${f.kind}`}>
      <label htmlFor={id}>{f.label}</label>
      {f.kind === 'checkbox' ? (
        <input
          id={id}
          type="checkbox"
          checked={value as boolean}
          aria-describedby={describedBy}
          onChange={(e) => update(f.key, e.target.checked)}
        />
      ) : f.kind === 'select' ? (
        <select
          id={id}
          value={value as string}
          aria-invalid={err ? true : undefined}
          aria-describedby={describedBy}
          onChange={(e) => update(f.key, e.target.value)}
        >
          {f.options!.map((o) => (
            <option key={o}>{o}</option>
          ))}
        </select>
      ) : (
        <input
          id={id}
          type={f.kind === 'number' ? 'number' : 'text'}
          value={typeof value === 'number' && Number.isNaN(value) ? '' : String(value)}
          spellCheck={false}
          aria-invalid={err ? true : undefined}
          aria-describedby={describedBy}
          onChange={(e) =>
            update(
              f.key,
              f.kind === 'number' ? (e.target.value === '' ? Number.NaN : Number(e.target.value)) : e.target.value,
            )
          }
        />
      )}
      {f.file && (
        <BrowseButton
          api={api}
          purpose={f.file.purpose}
          mode={f.file.mode}
          current={String(value) || undefined}
          onChosen={(p) => update(f.key, p)}
        />
      )}
      {f.key === 'verifyClientUrl' && (
        <button
          type="button"
          className="preset"
          onClick={() =>
            update('verifyClientUrl', headscaleVerifyUrl(draft.verifyClientUrl || 'https://headscale.example.com'))
          }
        >
          headscale preset (append /verify)
        </button>
      )}
      {err && (
        <span id={`${id}-error`} className="field-error" data-testid={`error-${f.key}`}>
          {err}
        </span>
      )}
      {f.hint && (
        <span id={`${id}-hint`} className="hint">
          {f.hint}
        </span>
      )}
    </div>
  );
}

/** Errors for fields the form does not show right now (e.g. an HTTP port while TLS is off): they still block saving. */
function OtherErrors({ errors }: { errors: Array<[keyof RelaySettings, string]> }) {
  if (errors.length === 0) return null;
  const labelOf = (k: keyof RelaySettings) => FIELDS.find((f) => f.key === k)?.label ?? k;
  return (
    <ul className="field-error other-errors" data-testid="settings-other-errors">
      {errors.map(([k, msg]) => (
        <li key={k} data-testid={`error-${k}`}>
          {labelOf(k)}: {msg}
        </li>
      ))}
    </ul>
  );
}

/** Relay settings with validation beside each field; saved settings apply at the next start. */
export function SettingsForm() {
  const { snapshot, running, outcome, save, clear } = useRelayStore(
    useShallow((s) => ({
      snapshot: s.settings,
      running: s.state.status === 'running' || s.state.status === 'starting',
      outcome: s.settingsSave,
      save: s.saveSettings,
      clear: s.clearSettingsSave,
    })),
  );
  const [draft, setDraft] = useState<RelaySettings | null>(snapshot?.settings ?? null);
  useEffect(() => setDraft(snapshot?.settings ?? null), [snapshot]);
  if (!draft || !snapshot) return <section className="card">Loading settings…</section>;

  const errors: SettingsErrors = { ...validateSettings(draft), ...outcome.problems };
  const visible = FIELDS.filter((f) => !f.show || f.show(draft));
  const shown = new Set(visible.map((f) => f.key));
  const otherErrors = (Object.entries(errors) as Array<[keyof RelaySettings, string]>).filter(([k]) => !shown.has(k));
  const update: Update = (key, value) => {
    setDraft({ ...draft, [key]: value });
    clear();
  };

  return (
    <section className="card" aria-labelledby="settings-heading">
      <h2 id="settings-heading">Relay settings</h2>
      <p className="muted" data-testid="settings-apply-note">
        {running
          ? 'The relay is running: saved changes apply after you stop and start it.'
          : 'Saved changes apply the next time the relay starts.'}
      </p>
      {snapshot.loadProblem && (
        <p className="warning" role="alert" data-testid="settings-load-problem">
          {snapshot.loadProblem.message} The unreadable file was kept aside as{' '}
          <code>{snapshot.loadProblem.keptAs}</code>.
        </p>
      )}
      <form
        className="settings"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void save(draft);
        }}
      >
        {visible.map((f) => (
          <SettingField key={f.key} f={f} draft={draft} err={errors[f.key]} update={update} />
        ))}
        <OtherErrors errors={otherErrors} />
        <div className="actions">
          <button type="submit" disabled={Object.keys(errors).length > 0 || outcome.saving}>
            {outcome.saving ? 'Saving…' : 'Save settings'}
          </button>
          {outcome.saved && (
            <span className="ok" role="status" data-testid="settings-saved">
              {outcome.saved}
            </span>
          )}
          {outcome.error && (
            <span className="error" role="alert" data-testid="settings-save-error">
              {outcome.error}
            </span>
          )}
        </div>
        <p className="muted settings-file">
          Stored in <code data-testid="settings-file">{snapshot.file}</code>
        </p>
      </form>
    </section>
  );
}
