import { useShallow } from 'zustand/react/shallow';
import { ExportCard } from '../components/ExportCard.js';
import { useDiagnosticsStore } from './store.js';

const EXPORT_FORMATS = [
  { id: 'markdown', label: 'Markdown' },
  { id: 'csv', label: 'CSV' },
  { id: 'json', label: 'JSON' },
] as const;

/** The run on show as Markdown, CSV or JSON, ready to copy. */
export function ExportBox() {
  const { format, text, setFormat } = useDiagnosticsStore(
    useShallow((s) => ({ format: s.exportFormat, text: s.exportText, setFormat: s.setExportFormat })),
  );
  return (
    <ExportCard
      label="Export the run"
      idPrefix="diag-export"
      formats={EXPORT_FORMATS}
      format={format}
      text={text}
      onFormat={(f) => void setFormat(f)}
      copyLabel={`Copy the ${format} export`}
      testId="diag-export"
    />
  );
}
