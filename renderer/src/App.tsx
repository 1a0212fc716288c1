import { useEffect, useState } from 'react';
import type { Transport } from './api/index.js';
import type { BridgeStatus } from './api/ws-client.js';
import { PlaceholderPage } from './pages/PlaceholderPage.js';
import { RelayPage } from './pages/RelayPage.js';
import { useRelayStore } from './store/relay.js';

const PAGES = [
  { id: 'relay', label: 'Relay' },
  { id: 'map', label: 'DERP map' },
  { id: 'diagnostics', label: 'Diagnostics' },
] as const;
type PageId = (typeof PAGES)[number]['id'];

function pageFromHash(): PageId {
  const h = window.location.hash.replace(/^#/, '');
  return (PAGES.find((p) => p.id === h)?.id ?? 'relay') as PageId;
}

export function App({ transport }: { transport: Transport }) {
  const [page, setPage] = useState<PageId>(pageFromHash);
  const [bridge, setBridge] = useState<BridgeStatus>('open');
  const connect = useRelayStore((s) => s.connect);

  useEffect(() => {
    const onHash = () => setPage(pageFromHash());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  useEffect(() => {
    if (transport.kind === 'no-token') return;
    let off: (() => void) | null = null;
    let cancelled = false;
    const offStatus = transport.kind === 'web' ? transport.onStatus(setBridge) : () => {};
    void connect(transport.api).then((o) => (cancelled ? o() : (off = o)));
    return () => {
      cancelled = true;
      off?.();
      offStatus();
    };
  }, [transport, connect]);

  if (transport.kind === 'no-token') {
    return (
      <main className="gate">
        <h1>derpdesk</h1>
        <p>This page needs an access token. Open the URL that <code>derpdesk host</code> printed when it started: it ends in <code>#token=…</code>.</p>
      </main>
    );
  }

  return (
    <div className="app">
      <nav aria-label="Main">
        <div className="brand">derpdesk</div>
        <ul>
          {PAGES.map((p) => (
            <li key={p.id}>
              <a href={`#${p.id}`} aria-current={page === p.id ? 'page' : undefined}>
                {p.label}
              </a>
            </li>
          ))}
        </ul>
        {bridge !== 'open' && (
          <p className="bridge-status" role="alert">
            {bridge === 'refused' ? 'The derpdesk host refused this page: the token is wrong or the host is gone. Open the URL it printed.' : 'Disconnected from the derpdesk host; reconnecting…'}
          </p>
        )}
      </nav>
      <main>
        {page === 'relay' && <RelayPage />}
        {page === 'map' && <PlaceholderPage title="DERP map" text="The visual DERP map editor (headscale derp.yaml, Tailscale JSON, headscale config.yaml) is coming next." />}
        {page === 'diagnostics' && <PlaceholderPage title="Diagnostics" text="Connectivity checks for any DERP map's nodes (DNS, TCP, TLS, DERP, STUN, captive portal) are coming next." />}
      </main>
    </div>
  );
}
