import { useRef, useState, type KeyboardEvent } from 'react';
import { useRelayStore } from '../store/relay.js';
import { CopyButton } from './CopyButton.js';

const FORMATS = [
  { id: 'yaml', label: 'headscale derp.yaml' },
  { id: 'json', label: 'Tailscale JSON' },
] as const;
type Format = (typeof FORMATS)[number]['id'];

/** The node and region this relay should have in a DERP map, ready to paste; refreshed on every state change. */
export function MapEntryPanel() {
  const entry = useRelayStore((s) => s.mapEntry);
  const [format, setFormat] = useState<Format>('yaml');
  const tabs = useRef<Array<HTMLButtonElement | null>>([]);
  const text = entry ? entry[format] : '';
  const current = FORMATS.find((f) => f.id === format)!;

  // Arrow keys move between the tabs, as in any tablist.
  const onKey = (e: KeyboardEvent, i: number) => {
    const d = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
    if (!d) return;
    e.preventDefault();
    const next = (i + d + FORMATS.length) % FORMATS.length;
    setFormat(FORMATS[next].id);
    tabs.current[next]?.focus();
  };

  return (
    <section className="card" aria-labelledby="map-entry-heading">
      <div className="table-head">
        <h2 id="map-entry-heading">DERP map entry</h2>
        <div role="tablist" aria-label="Format" className="tabs">
          {FORMATS.map((f, i) => (
            <button
              key={f.id}
              ref={(el) => {
                tabs.current[i] = el;
              }}
              id={`map-entry-tab-${f.id}`}
              type="button"
              role="tab"
              aria-selected={format === f.id}
              aria-controls="map-entry-panel"
              tabIndex={format === f.id ? 0 : -1}
              onClick={() => setFormat(f.id)}
              onKeyDown={(e) => onKey(e, i)}
            >
              {f.label}
            </button>
          ))}
        </div>
        <CopyButton text={text} label={`Copy ${current.label}`} />
      </div>
      <pre id="map-entry-panel" role="tabpanel" aria-labelledby={`map-entry-tab-${format}`} tabIndex={0} data-testid="map-entry" data-format={format} className="code">
        {entry ? text : 'Loading…'}
      </pre>
      <p className="muted hint">Paste it into the DERP map your clients use; it follows the saved settings and the running relay.</p>
    </section>
  );
}
