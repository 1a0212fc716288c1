import { useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { DerpdeskApi, FilePurpose } from '../../../shared/api.js';
import { BrowseButton } from '../components/BrowseButton.js';
import { hasUnsavedEdits, useMapStore } from './store.js';

/**
 * Where a map comes from: a file on the relay host, a URL, a headscale config, pasted text, or a new one. Opening
 * another map over unsaved edits asks first, as leaving the page does.
 */
export function OpenBar() {
  const { api, busy, dirty, open, openHeadscale, newMap } = useMapStore(
    useShallow((s) => ({
      api: s.api,
      busy: s.busy,
      dirty: hasUnsavedEdits(s),
      open: s.open,
      openHeadscale: s.openHeadscale,
      newMap: s.newMap,
    })),
  );
  const [paste, setPaste] = useState('');
  /** `f`, run only when there are no unsaved edits or the user agrees to drop them. */
  const unlessDirty =
    <A extends unknown[]>(f: (...args: A) => unknown) =>
    (...args: A) => {
      if (!dirty || window.confirm('The map has unsaved edits. Discard them and open another map?')) void f(...args);
    };
  return (
    <section className="card open-bar" aria-label="Open a DERP map">
      <OpenLine
        id="map-path"
        label="File on the relay host"
        placeholder="/etc/headscale/derp.yaml"
        action="Open"
        busy={busy}
        onOpen={unlessDirty((path: string) => open({ kind: 'file', path }))}
        browse={{ api, purpose: 'map' }}
      />
      <OpenLine
        id="map-url"
        label="URL"
        placeholder="https://controlplane.tailscale.com/derpmap/default"
        action="Fetch"
        busy={busy}
        onOpen={unlessDirty((url: string) => open({ kind: 'url', url }))}
      />
      <OpenLine
        id="map-headscale"
        label="headscale config.yaml"
        placeholder="/etc/headscale/config.yaml"
        action="Show merged map"
        busy={busy}
        onOpen={unlessDirty(openHeadscale)}
        browse={{ api, purpose: 'headscale-config' }}
      />
      <details>
        <summary>Paste YAML or JSON</summary>
        <textarea aria-label="Pasted DERP map" rows={5} value={paste} onChange={(e) => setPaste(e.target.value)} />
        <button type="button" disabled={!paste.trim()} onClick={unlessDirty(() => open({ kind: 'text', text: paste }))}>
          Open pasted map
        </button>
      </details>
      <button type="button" onClick={unlessDirty(() => newMap())}>
        New map
      </button>
    </section>
  );
}

interface OpenLineProps {
  id: string;
  label: string;
  placeholder: string;
  /** The submit button's text. */
  action: string;
  busy: boolean;
  onOpen: (value: string) => void;
  /** A Browse… button for the native file dialog, where the app has one. */
  browse?: { api: DerpdeskApi | null; purpose: FilePurpose };
}

/** One labelled field and its button; a file picked with Browse… opens at once. */
function OpenLine({ id, label, placeholder, action, busy, onOpen, browse }: OpenLineProps) {
  const [value, setValue] = useState('');
  return (
    <form
      className="inline"
      onSubmit={(e) => {
        e.preventDefault();
        onOpen(value);
      }}
    >
      <label htmlFor={id}>{label}</label>
      <input id={id} value={value} placeholder={placeholder} onChange={(e) => setValue(e.target.value)} />
      <button type="submit" disabled={busy || !value}>
        {action}
      </button>
      {browse && (
        <BrowseButton
          api={browse.api}
          purpose={browse.purpose}
          current={value || undefined}
          onChosen={(p) => {
            setValue(p);
            onOpen(p);
          }}
        />
      )}
    </form>
  );
}
