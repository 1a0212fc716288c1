import { useState } from 'react';
import { useRelayStore } from '../store/relay.js';

/** The node and region this relay should have in a DERP map, ready to paste. */
export function MapEntryPanel() {
  const entry = useRelayStore((s) => s.mapEntry);
  const [format, setFormat] = useState<'yaml' | 'json'>('yaml');
  const [copied, setCopied] = useState(false);
  const text = entry ? entry[format] : '';
  return (
    <section className="card" aria-labelledby="map-entry-heading">
      <div className="table-head">
        <h2 id="map-entry-heading">DERP map entry</h2>
        <div role="tablist" aria-label="Format" className="tabs">
          {(['yaml', 'json'] as const).map((f) => (
            <button key={f} type="button" role="tab" aria-selected={format === f} onClick={() => setFormat(f)}>
              {f === 'yaml' ? 'headscale derp.yaml' : 'Tailscale JSON'}
            </button>
          ))}
        </div>
        <button
          type="button"
          onClick={() =>
            void navigator.clipboard?.writeText(text).then(
              () => setCopied(true),
              () => setCopied(false),
            )
          }
        >
          {copied ? 'Copied' : 'Copy'}
        </button>
      </div>
      <pre data-testid="map-entry" className="code">
        {text}
      </pre>
    </section>
  );
}
