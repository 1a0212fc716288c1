import { useEffect, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { checkAllowListText } from '../../../shared/settings.js';
import { useRelayStore } from './store.js';

/** The allowlist file named in the settings, checked line by line as it is typed. */
export function AllowListEditor() {
  const { configured, file, outcome, save, clear } = useRelayStore(
    useShallow((s) => ({
      configured: !!s.settings?.settings.allowKeysFile,
      file: s.allowList,
      outcome: s.allowListSave,
      save: s.saveAllowList,
      clear: s.clearAllowListSave,
    })),
  );
  const [text, setText] = useState(file?.text ?? '');
  // A (re)loaded file replaces the text in the box.
  useEffect(() => setText(file?.text ?? ''), [file]);
  if (!configured)
    return <p className="muted">No allowlist: every client the verify URL (if any) admits may connect.</p>;
  const problems = [...checkAllowListText(text), ...(outcome.problems ?? [])];
  return (
    <div className="allowlist">
      <h3>
        <label htmlFor="allowlist-text">Allowlist</label> <span className="muted">{file?.file}</span>
      </h3>
      <textarea
        id="allowlist-text"
        rows={6}
        spellCheck={false}
        value={text}
        placeholder={'# one node key per line\nnodekey:0123…'}
        onChange={(e) => {
          setText(e.target.value);
          clear();
        }}
      />
      {problems.map((p) => (
        <p key={p} className="field-error" data-testid="allowlist-problem">
          {p}
        </p>
      ))}
      <div className="actions">
        <button type="button" disabled={problems.length > 0 || outcome.saving} onClick={() => void save(text)}>
          Save allowlist
        </button>
        {outcome.saved && (
          <span className="ok" role="status">
            {outcome.saved}
          </span>
        )}
        {outcome.error && (
          <span className="error" role="alert">
            {outcome.error}
          </span>
        )}
      </div>
    </div>
  );
}
