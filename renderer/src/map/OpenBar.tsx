import { useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { BrowseButton } from '../components/BrowseButton.js';
import { useMapStore } from './store.js';

/** Where a map comes from: a file on the relay host, a URL, a headscale config, pasted text, or a new one. */
export function OpenBar() {
  const { api, busy, open, openHeadscale, newMap } = useMapStore(
    useShallow((s) => ({ api: s.api, busy: s.busy, open: s.open, openHeadscale: s.openHeadscale, newMap: s.newMap })),
  );
  const [path, setPath] = useState('');
  const [config, setConfig] = useState('');
  const [url, setUrl] = useState('');
  const [paste, setPaste] = useState('');
  return (
    <section className="card open-bar" aria-label="Open a DERP map">
      <form
        className="inline"
        onSubmit={(e) => {
          e.preventDefault();
          void open({ kind: 'file', path });
        }}
      >
        <label htmlFor="map-path">File on the relay host</label>
        <input
          id="map-path"
          value={path}
          placeholder="/etc/headscale/derp.yaml"
          onChange={(e) => setPath(e.target.value)}
        />
        <button type="submit" disabled={busy || !path}>
          Open
        </button>
        <BrowseButton
          api={api}
          purpose="map"
          current={path || undefined}
          onChosen={(p) => {
            setPath(p);
            void open({ kind: 'file', path: p });
          }}
        />
      </form>
      <form
        className="inline"
        onSubmit={(e) => {
          e.preventDefault();
          void open({ kind: 'url', url });
        }}
      >
        <label htmlFor="map-url">URL</label>
        <input
          id="map-url"
          value={url}
          placeholder="https://controlplane.tailscale.com/derpmap/default"
          onChange={(e) => setUrl(e.target.value)}
        />
        <button type="submit" disabled={busy || !url}>
          Fetch
        </button>
      </form>
      <form
        className="inline"
        onSubmit={(e) => {
          e.preventDefault();
          void openHeadscale(config);
        }}
      >
        <label htmlFor="map-headscale">headscale config.yaml</label>
        <input
          id="map-headscale"
          value={config}
          placeholder="/etc/headscale/config.yaml"
          onChange={(e) => setConfig(e.target.value)}
        />
        <button type="submit" disabled={busy || !config}>
          Show merged map
        </button>
        <BrowseButton
          api={api}
          purpose="headscale-config"
          current={config || undefined}
          onChosen={(p) => {
            setConfig(p);
            void openHeadscale(p);
          }}
        />
      </form>
      <details>
        <summary>Paste YAML or JSON</summary>
        <textarea aria-label="Pasted DERP map" rows={5} value={paste} onChange={(e) => setPaste(e.target.value)} />
        <button type="button" disabled={!paste.trim()} onClick={() => void open({ kind: 'text', text: paste })}>
          Open pasted map
        </button>
      </details>
      <button type="button" onClick={newMap}>
        New map
      </button>
    </section>
  );
}
