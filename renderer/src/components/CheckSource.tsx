import type { DerpdeskApi } from '../../../shared/api.js';
import { BrowseButton } from './BrowseButton.js';

/** What a check or a monitor runs against: one relay, a map file or URL, or the map open in the editor. */
export type CheckSourceKind = 'relay' | 'file' | 'url' | 'editor';

const PLACEHOLDER: Record<Exclude<CheckSourceKind, 'editor'>, string> = {
  relay: 'https://derp.example.com or http://127.0.0.1:3340',
  file: '/etc/headscale/derp.yaml or /etc/headscale/config.yaml',
  url: 'https://controlplane.tailscale.com/derpmap/default',
};

const KIND_TEXT: Record<CheckSourceKind, string> = {
  relay: 'one relay (URL)',
  file: 'a DERP map or headscale config file',
  url: 'a DERP map URL',
  editor: 'the map in the editor',
};

/**
 * The source picker the Diagnostics and Monitor forms share: the kind, the relay URL or map path (with Browse… for
 * files) and nothing for the editor's map. `id` names the select, for its label.
 */
export function CheckSource({
  api,
  id,
  label,
  kind,
  value,
  onChange,
}: {
  api: DerpdeskApi | null;
  id: string;
  label: string;
  kind: CheckSourceKind;
  value: string;
  onChange: (change: { kind?: CheckSourceKind; value?: string }) => void;
}) {
  return (
    <>
      <span className="field">
        <label htmlFor={id}>{label}</label>
        <select id={id} value={kind} onChange={(e) => onChange({ kind: e.target.value as CheckSourceKind })}>
          {(Object.keys(KIND_TEXT) as CheckSourceKind[]).map((k) => (
            <option key={k} value={k}>
              {KIND_TEXT[k]}
            </option>
          ))}
        </select>
      </span>
      {kind !== 'editor' && (
        <input
          className="target"
          aria-label="Relay URL, map file or map URL"
          value={value}
          placeholder={PLACEHOLDER[kind]}
          onChange={(e) => onChange({ value: e.target.value })}
        />
      )}
      {kind === 'file' && (
        <BrowseButton api={api} purpose="map" current={value || undefined} onChosen={(v) => onChange({ value: v })} />
      )}
    </>
  );
}
