import { useShallow } from 'zustand/react/shallow';
import { ExportCard } from '../components/ExportCard.js';
import { useMapStore, type ExportFormat } from './store.js';

const EXPORT_FORMATS = [
  { id: 'yaml', label: 'headscale derp.yaml' },
  { id: 'json', label: 'Tailscale JSON' },
  { id: 'headscale', label: 'headscale config' },
] as const;

const COPY_LABELS = { yaml: 'Copy the YAML', json: 'Copy the JSON', headscale: 'Copy the headscale config snippet' };

/** The name a download gets, before its extension: the opened file's (derp.yaml exports as derp.json too). */
function exportFileName(format: ExportFormat, path: string | undefined): string {
  if (format === 'headscale') return 'headscale-config-derp';
  const base = path
    ?.split(/[\\/]/)
    .pop()
    ?.replace(/\.(ya?ml|json)$/i, '');
  return base || 'derp';
}

/** The edited map as headscale YAML or Tailscale JSON, or the headscale config lines that load it. */
export function ExportPanel() {
  const { format, text, setFormat, path } = useMapStore(
    useShallow((s) => ({
      format: s.exportFormat,
      text: s.exportText,
      setFormat: s.setExportFormat,
      path: s.doc?.path,
    })),
  );
  return (
    <ExportCard
      label="Export"
      idPrefix="map-export"
      formats={EXPORT_FORMATS}
      format={format}
      text={text}
      onFormat={setFormat}
      copyLabel={COPY_LABELS[format]}
      testId="map-export"
      fileName={exportFileName(format, path)}
    />
  );
}
