import { useEffect, useRef, useState } from 'react';
import type { Transport } from './api/index.js';
import type { BridgeStatus } from './api/ws-client.js';
import { DiagnosticsPage } from './diagnostics/DiagnosticsPage.js';
import { MapPage } from './map/MapPage.js';
import { MonitorPage } from './monitor/MonitorPage.js';
import { RelayPage } from './relay/RelayPage.js';
import { connectStores, reloadStores } from './stores.js';

const PAGES = [
  { id: 'relay', label: 'Relay' },
  { id: 'map', label: 'DERP map' },
  { id: 'diagnostics', label: 'Diagnostics' },
  { id: 'monitor', label: 'Monitor' },
] as const;
type PageId = (typeof PAGES)[number]['id'];

function pageFromHash(): PageId {
  const h = window.location.hash.replace(/^#/, '');
  return PAGES.find((p) => p.id === h)?.id ?? 'relay';
}

const BRIDGE_TEXT: Record<Exclude<BridgeStatus, 'open'>, string> = {
  connecting: 'Connecting to the derpdesk host…',
  closed: 'Disconnected from the derpdesk host; reconnecting… If the host was restarted, open the new URL it printed.',
  refused:
    'The derpdesk host refused this page: the access token is wrong or has expired. Open the URL that derpdesk host printed.',
};

export function App({ transport }: { transport: Transport }) {
  const [page, setPage] = useState<PageId>(pageFromHash);
  const [bridge, setBridge] = useState<BridgeStatus>('open');
  const mainRef = useRef<HTMLElement>(null);
  const label = PAGES.find((p) => p.id === page)!.label;

  useEffect(() => {
    document.title = `${label} · derpdesk`;
  }, [label]);

  useEffect(() => {
    const onHash = () => setPage(pageFromHash());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  useEffect(() => {
    if (transport.kind === 'no-token') return;
    const off = connectStores(transport.api);
    let wasDown = false;
    const offStatus =
      transport.kind === 'web'
        ? transport.onStatus((s) => {
            setBridge(s);
            // Back after a drop: events were missed, so fetch the state again.
            if (s === 'open' && wasDown) reloadStores();
            wasDown = s === 'closed';
          })
        : () => {};
    return () => {
      off();
      offStatus();
    };
  }, [transport]);

  if (transport.kind === 'no-token') {
    return (
      <main className="gate" data-testid="no-token">
        <h1>derpdesk</h1>
        <p>
          This page needs an access token. Open the URL printed by <code>derpdesk host</code> when it started: it
          contains the access token (it ends in <code>#token=…</code>).
        </p>
      </main>
    );
  }

  return (
    <div className="app">
      <a
        className="skip-link"
        href="#main"
        onClick={(e) => {
          // The hash is the page route, so the link focuses <main> itself instead of navigating.
          e.preventDefault();
          mainRef.current?.focus();
        }}
      >
        Skip to main content
      </a>
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
      </nav>
      <main id="main" ref={mainRef} tabIndex={-1}>
        {bridge !== 'open' && (
          <p className={`bridge-status bridge-${bridge}`} role="alert" data-testid="bridge-status">
            {BRIDGE_TEXT[bridge]}
          </p>
        )}
        {page === 'relay' && <RelayPage />}
        {page === 'map' && <MapPage />}
        {page === 'diagnostics' && <DiagnosticsPage />}
        {page === 'monitor' && <MonitorPage />}
      </main>
    </div>
  );
}
