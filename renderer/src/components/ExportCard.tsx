import { CopyButton } from './CopyButton.js';
import { Tabs } from './Tabs.js';

export interface ExportCardProps<F extends string> {
  /** Names the card for assistive technology. */
  label: string;
  /** Prefix of the tab and panel ids (`<prefix>-tab-<format>`, `<prefix>-panel`). */
  idPrefix: string;
  formats: ReadonlyArray<{ id: F; label: string }>;
  format: F;
  text: string;
  onFormat: (format: F) => void;
  copyLabel: string;
  testId: string;
}

/** An export as tabs of formats over the text, ready to copy. */
export function ExportCard<F extends string>(p: ExportCardProps<F>) {
  return (
    <section className="card" aria-label={p.label}>
      <div className="table-head">
        <h2>Export</h2>
        <Tabs idPrefix={p.idPrefix} label="Export format" options={p.formats} value={p.format} onChange={p.onFormat} />
        <CopyButton text={p.text} label={p.copyLabel} />
      </div>
      <pre
        id={`${p.idPrefix}-panel`}
        role="tabpanel"
        tabIndex={0}
        aria-labelledby={`${p.idPrefix}-tab-${p.format}`}
        className="code"
        data-testid={p.testId}
      >
        {p.text}
      </pre>
    </section>
  );
}
