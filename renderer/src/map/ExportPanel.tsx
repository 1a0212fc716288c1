import { useShallow } from 'zustand/react/shallow';
import { CopyButton } from '../components/CopyButton.js';
import { Tabs } from '../components/Tabs.js';
import { useMapStore } from './store.js';

const EXPORT_FORMATS = [
  { id: 'yaml', label: 'headscale derp.yaml' },
  { id: 'json', label: 'Tailscale JSON' },
  { id: 'headscale', label: 'headscale config' },
] as const;

/** The edited map as headscale YAML or Tailscale JSON, or the headscale config lines that load it. */
export function ExportPanel() {
  const { format, text, setFormat } = useMapStore(
    useShallow((s) => ({ format: s.exportFormat, text: s.exportText, setFormat: s.setExportFormat })),
  );
  return (
    <section className="card" aria-label="Export">
      <div className="table-head">
        <h2>Export</h2>
        <Tabs
          idPrefix="map-export"
          label="Export format"
          options={EXPORT_FORMATS}
          value={format}
          onChange={setFormat}
        />
        <CopyButton
          text={text}
          label={`Copy the ${format === 'json' ? 'JSON' : format === 'yaml' ? 'YAML' : 'headscale config snippet'}`}
        />
      </div>
      <pre
        id="map-export-panel"
        role="tabpanel"
        aria-labelledby={`map-export-tab-${format}`}
        className="code"
        data-testid="map-export"
      >
        {text}
      </pre>
    </section>
  );
}
