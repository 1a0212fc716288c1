import { useShallow } from 'zustand/react/shallow';
import { ExportCard } from '../components/ExportCard.js';
import { useDiagnosticsStore } from './store.js';

const EXPORT_FORMATS = [
  { id: 'markdown', label: 'Markdown' },
  { id: 'csv', label: 'CSV' },
  { id: 'json', label: 'JSON' },
] as const;

/** A run's start in a file name: 2026-12-02T0914 (UTC; no colons, which some file systems refuse). */
const fileStamp = (t: number) => new Date(t).toISOString().slice(0, 16).replace(':', '');

/** The run on show as Markdown, CSV or JSON, ready to copy or save. */
export function ExportBox() {
  const { format, text, setFormat, startedAt } = useDiagnosticsStore(
    useShallow((s) => ({
      format: s.exportFormat,
      text: s.exportText,
      setFormat: s.setExportFormat,
      startedAt: s.report?.startedAt,
    })),
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
      fileName={startedAt === undefined ? 'derpdesk-check' : `derpdesk-check-${fileStamp(startedAt)}`}
    />
  );
}
