import { useEffect, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { FilePurpose } from '../../../shared/api.js';
import { validateSettings, type RelaySettings, type SettingsErrors } from '../../../shared/settings.js';
import { useRelayStore } from './store.js';
import { BrowseButton } from '../components/BrowseButton.js';

type Field = {
  key: keyof RelaySettings;
  label: string;
  kind: 'text' | 'number' | 'checkbox' | 'select';
  options?: string[];
  hint?: string;
  show?: (s: RelaySettings) => boolean;
  /** A path field: what a Browse… dialog picks for it, and whether the file may not exist yet. */
  file?: { purpose: FilePurpose; mode: 'open' | 'save' };
};

const FIELDS: Field[] = [
  { key: 'listenAddr', label: 'Listen address', kind: 'text', hint: '":443", "0.0.0.0:3340" or "[::]:443"' },
  { key: 'tlsMode', label: 'TLS', kind: 'select', options: ['none', 'manual', 'self-signed'], hint: 'none: plain HTTP (dev, or behind a TLS proxy); self-signed: for a bare IP, clients pin it by CertName' },
  { key: 'tlsCertFile', label: 'Certificate file', kind: 'text', show: (s) => s.tlsMode === 'manual', file: { purpose: 'certificate', mode: 'open' } },
  { key: 'tlsKeyFile', label: 'Certificate key file', kind: 'text', show: (s) => s.tlsMode === 'manual', file: { purpose: 'certificate', mode: 'open' } },
  { key: 'httpPort', label: 'HTTP port (captive-portal checks)', kind: 'number', hint: '-1 disables', show: (s) => s.tlsMode !== 'none' },
  { key: 'stunEnabled', label: 'Run a STUN server', kind: 'checkbox' },
  { key: 'stunListen', label: 'STUN addresses', kind: 'text', hint: 'comma-separated, e.g. 0.0.0.0:3478,[::]:3478', show: (s) => s.stunEnabled },
  { key: 'regionId', label: 'Region ID', kind: 'number', hint: '900-999 for your own regions' },
  { key: 'regionCode', label: 'Region code', kind: 'text' },
  { key: 'regionName', label: 'Region name', kind: 'text' },
  { key: 'hostName', label: 'Public host name', kind: 'text' },
  { key: 'ipv4', label: 'Public IPv4', kind: 'text', hint: 'empty: resolve the host name; "none" disables IPv4' },
  { key: 'ipv6', label: 'Public IPv6', kind: 'text', hint: 'empty: resolve the host name; "none" disables IPv6' },
  { key: 'keyFile', label: 'Server key file', kind: 'text', hint: 'empty: derper.key in the app data directory', file: { purpose: 'key', mode: 'save' } },
  { key: 'allowKeysFile', label: 'Allowlist file', kind: 'text', hint: 'only node keys listed there may connect; empty: everyone', file: { purpose: 'allowlist', mode: 'save' } },
  { key: 'verifyClientUrl', label: 'Verify clients with URL', kind: 'text', hint: "derper's -verify-client-url; headscale serves it at /verify" },
  { key: 'verifyFailOpen', label: 'Admit clients when the verify URL is unreachable', kind: 'checkbox', show: (s) => !!s.verifyClientUrl },
  { key: 'meshKeyFile', label: 'Mesh key file', kind: 'text', hint: "the region's shared 64-hex mesh key (derper's -mesh-psk-file)", file: { purpose: 'key', mode: 'open' } },
  { key: 'meshWith', label: 'Mesh with', kind: 'text', hint: 'peer servers, comma-separated: host, host/dialhost or a URL' },
  { key: 'rateLimitBytesPerSec', label: 'Per-client rate limit (bytes/s)', kind: 'number', hint: '0: off; mesh peers are exempt' },
  { key: 'rateBurstBytes', label: 'Per-client burst (bytes)', kind: 'number', show: (s) => s.rateLimitBytesPerSec > 0 },
];

/** headscale serves derper's admission contract at /verify: turn a headscale base URL into that endpoint. */
export function headscaleVerifyUrl(base: string): string {
  const b = base.trim().replace(/\/+$/, '');
  return b.endsWith('/verify') ? b : `${b}/verify`;
}

/** Relay settings with validation beside each field; saved settings apply at the next start. */
export function SettingsForm() {
  const { snapshot, api, setSettings, running } = useRelayStore(
    useShallow((s) => ({ snapshot: s.settings, api: s.api, setSettings: s.setSettings, running: s.state.status === 'running' || s.state.status === 'starting' })),
  );
  const [draft, setDraft] = useState<RelaySettings | null>(snapshot?.settings ?? null);
  const [serverErrors, setServerErrors] = useState<SettingsErrors>({});
  const [saved, setSaved] = useState<string | null>(null);
  const [saveError, setSaveError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  useEffect(() => setDraft(snapshot?.settings ?? null), [snapshot]);
  if (!draft || !snapshot) return <section className="card">Loading settings…</section>;

  const errors: SettingsErrors = { ...validateSettings(draft), ...serverErrors };
  const visible = FIELDS.filter((f) => !f.show || f.show(draft));
  const shown = new Set(visible.map((f) => f.key));
  // Errors for fields the form does not show right now (e.g. an HTTP port while TLS is off) still block saving.
  const otherErrors = (Object.entries(errors) as Array<[keyof RelaySettings, string]>).filter(([k]) => !shown.has(k));
  const labelOf = (k: keyof RelaySettings) => FIELDS.find((f) => f.key === k)?.label ?? k;
  const update = (key: keyof RelaySettings, value: string | number | boolean) => {
    setDraft({ ...draft, [key]: value });
    setServerErrors({});
    setSaved(null);
    setSaveError(null);
  };
  const save = async () => {
    if (!api || saving) return;
    setSaving(true);
    setSaveError(null);
    try {
      const r = await api.call('settings.save', draft);
      if (r.ok) {
        setSettings(r.snapshot);
        setSaved(running ? 'Saved. Stop and start the relay to apply the changes.' : 'Saved. The changes apply the next time the relay starts.');
      } else {
        setServerErrors(r.errors);
      }
    } catch (err) {
      setSaveError(`Not saved: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      setSaving(false);
    }
  };
  const invalid = Object.keys(errors).length > 0;

  return (
    <section className="card" aria-labelledby="settings-heading">
      <h2 id="settings-heading">Relay settings</h2>
      <p className="muted" data-testid="settings-apply-note">
        {running ? 'The relay is running: saved changes apply after you stop and start it.' : 'Saved changes apply the next time the relay starts.'}
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
          void save();
        }}
      >
        {visible.map((f) => {
          const id = `setting-${f.key}`;
          const err = errors[f.key];
          const value = draft[f.key];
          const describedBy = [err ? `${id}-error` : null, f.hint ? `${id}-hint` : null].filter(Boolean).join(' ') || undefined;
          return (
            <div key={f.key} className={`field ${f.kind}`}>
              <label htmlFor={id}>{f.label}</label>
              {f.kind === 'checkbox' ? (
                <input id={id} type="checkbox" checked={value as boolean} aria-describedby={describedBy} onChange={(e) => update(f.key, e.target.checked)} />
              ) : f.kind === 'select' ? (
                <select id={id} value={value as string} aria-invalid={err ? true : undefined} aria-describedby={describedBy} onChange={(e) => update(f.key, e.target.value)}>
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
                  onChange={(e) => update(f.key, f.kind === 'number' ? (e.target.value === '' ? Number.NaN : Number(e.target.value)) : e.target.value)}
                />
              )}
              {f.file && <BrowseButton api={api} purpose={f.file.purpose} mode={f.file.mode} current={String(value) || undefined} onChosen={(p) => update(f.key, p)} />}
              {f.key === 'verifyClientUrl' && (
                <button type="button" className="preset" onClick={() => update('verifyClientUrl', headscaleVerifyUrl(draft.verifyClientUrl || 'https://headscale.example.com'))}>
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
        })}
        {otherErrors.length > 0 && (
          <ul className="field-error other-errors" data-testid="settings-other-errors">
            {otherErrors.map(([k, msg]) => (
              <li key={k} data-testid={`error-${k}`}>
                {labelOf(k)}: {msg}
              </li>
            ))}
          </ul>
        )}
        <div className="actions">
          <button type="submit" disabled={invalid || saving}>
            {saving ? 'Saving…' : 'Save settings'}
          </button>
          {saved && (
            <span className="ok" role="status" data-testid="settings-saved">
              {saved}
            </span>
          )}
          {saveError && (
            <span className="error" role="alert" data-testid="settings-save-error">
              {saveError}
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
