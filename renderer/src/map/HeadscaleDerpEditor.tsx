import { useShallow } from 'zustand/react/shallow';
import { HEADSCALE_DERP_FIELDS, derpField } from '../../../shared/derpmap/headscale.js';
import { FieldInput } from './fields.js';
import { useMapStore } from './store.js';
import { countOf } from '../../../shared/words.js';

const HINTS: Partial<Record<keyof typeof HEADSCALE_DERP_FIELDS, string>> = {
  'server.enabled': "runs headscale's embedded DERP relay",
  'server.stun_listen_addr': 'address:port, e.g. 0.0.0.0:3478 (needed when enabled)',
  'server.verify_clients': 'only this tailnet’s nodes may use the relay',
  urls: 'DERP maps (JSON) by URL, one per line',
  paths: 'derp.yaml files, one per line (relative to config.yaml)',
  update_frequency: 'a duration: 24h, 1h30m',
};

/** The derp section of the opened headscale config.yaml: edit it, preview the section's diff, save it in place. */
export function HeadscaleDerpEditor() {
  const { hs, problems, diff } = useMapStore(
    useShallow((s) => ({ hs: s.hsDerp, problems: s.hsProblems, diff: s.hsDiff })),
  );
  const { setField, preview, save, cancel } = useMapStore(
    useShallow((s) => ({ setField: s.setHsField, preview: s.previewHsSave, save: s.saveHs, cancel: s.cancelHsSave })),
  );
  if (!hs) return null;
  const bad = Object.keys(problems).length;
  const blocked =
    bad > 0 ? `The derp section has ${countOf(bad, 'problem')}; fix ${bad === 1 ? 'it' : 'them'} first.` : null;
  return (
    <section className="card" aria-label="headscale derp section">
      <h2>
        derp: section of {hs.path}{' '}
        <span className="muted">(only this section is written; the rest of the file keeps every byte)</span>
      </h2>
      <div className="form-grid">
        {Object.entries(HEADSCALE_DERP_FIELDS).map(([f, kind]) =>
          kind === 'list' ? (
            <ListField key={f} field={f} value={derpField(hs.derp, f)} problem={problems[f]} onChange={setField} />
          ) : (
            <FieldInput
              key={f}
              id={`hs-${f}`}
              label={f}
              kind={kind}
              value={derpField(hs.derp, f)}
              hint={HINTS[f as keyof typeof HEADSCALE_DERP_FIELDS]}
              issue={problems[f] ? { severity: 'error', message: problems[f] } : undefined}
              onChange={(v) => setField(f, v)}
            />
          ),
        )}
      </div>
      <div className="actions">
        <button type="button" disabled={hs.derp === hs.saved} onClick={() => void preview()}>
          Preview derp changes
        </button>
        {blocked && (
          <p className="save-blocked" data-testid="hs-save-blocked">
            {blocked}
          </p>
        )}
      </div>
      {diff !== null && (
        <>
          <pre className="code diff" data-testid="hs-diff">
            {diff || 'No changes.'}
          </pre>
          <div className="actions">
            <button type="button" className="primary" disabled={!!blocked} onClick={() => void save()}>
              Write config.yaml
            </button>
            <button type="button" onClick={cancel}>
              Cancel
            </button>
          </div>
        </>
      )}
    </section>
  );
}

/** A list setting (urls, paths) as lines of text; an empty text removes the key. */
function ListField({
  field,
  value,
  problem,
  onChange,
}: {
  field: string;
  value: unknown;
  problem?: string;
  onChange: (field: string, value: unknown) => void;
}) {
  const id = `hs-${field}`;
  const text = Array.isArray(value) ? value.join('\n') : '';
  return (
    <div className="field">
      <label htmlFor={id}>{field}</label>
      <textarea
        id={id}
        rows={3}
        value={text}
        aria-invalid={problem ? true : undefined}
        aria-describedby={`${id}-issue`}
        onChange={(e) => onChange(field, e.target.value === '' ? [] : e.target.value.split('\n'))}
      />
      <span id={`${id}-issue`} className={problem ? 'field-note note-error' : 'field-note hint'}>
        {problem ?? HINTS[field as keyof typeof HEADSCALE_DERP_FIELDS]}
      </span>
    </div>
  );
}
