import { useShallow } from 'zustand/react/shallow';
import { CopyButton } from '../components/CopyButton.js';
import { Tabs } from '../components/Tabs.js';
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
    <section className="card" aria-label="Export the run">
      <div className="table-head">
        <h2>Export</h2>
        <Tabs
          idPrefix="diag-export"
          label="Export format"
          options={EXPORT_FORMATS}
          value={format}
          onChange={(f) => void setFormat(f)}
        />
        <CopyButton text={text} label={`Copy the ${format} export`} />
      </div>
      <pre
        id="diag-export-panel"
        role="tabpanel"
        aria-labelledby={`diag-export-tab-${format}`}
        className="code"
        data-testid="diag-export"
      >
        {text}
      </pre>
    </section>
  );
}
