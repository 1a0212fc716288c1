import { useState } from 'react';
import { useRelayStore } from './store.js';
import { CopyButton } from '../components/CopyButton.js';
import { Tabs } from '../components/Tabs.js';
import { EntryProblems } from './EntryProblems.js';

const FORMATS = [
  { id: 'yaml', label: 'headscale derp.yaml' },
  { id: 'json', label: 'Tailscale JSON' },
] as const;
type Format = (typeof FORMATS)[number]['id'];

/** The node and region this relay should have in a DERP map, ready to paste; refreshed on every state change. */
export function MapEntryPanel() {
  const entry = useRelayStore((s) => s.mapEntry);
  const applied = useRelayStore((s) => s.entryFix.saved);
  const [format, setFormat] = useState<Format>('yaml');
  const text = entry ? entry[format] : '';
  const current = FORMATS.find((f) => f.id === format)!;
  return (
    <section className="card" aria-labelledby="map-entry-heading">
      <div className="table-head">
        <h2 id="map-entry-heading">DERP map entry</h2>
        <Tabs idPrefix="map-entry" label="Format" options={FORMATS} value={format} onChange={setFormat} />
        <CopyButton text={text} label={`Copy ${current.label}`} />
      </div>
      {entry && entry.problems.length > 0 && <EntryProblems entry={entry} />}
      {applied && (
        <p className="ok" role="status" data-testid="entry-fix-applied">
          {applied}
        </p>
      )}
      <pre
        id="map-entry-panel"
        role="tabpanel"
        aria-labelledby={`map-entry-tab-${format}`}
        tabIndex={0}
        data-testid="map-entry"
        data-format={format}
        className="code"
      >
        {entry ? text : 'Loading…'}
      </pre>
      <p className="muted hint" data-testid="map-entry-hint">
        {entry && entry.problems.length > 0
          ? 'Fix the problems above before pasting it into a DERP map: clients would not reach this relay.'
          : 'Paste it into the DERP map your clients use; it follows the saved settings and the running relay.'}
      </p>
    </section>
  );
}
