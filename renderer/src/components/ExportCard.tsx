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
  /** The downloaded file's name without its extension (which follows the format); `derpdesk-<idPrefix>` if absent. */
  fileName?: string;
}

/** Extension and media type by format id; other formats download as plain text. */
const FILE_TYPES: Record<string, { ext: string; mime: string }> = {
  json: { ext: 'json', mime: 'application/json' },
  csv: { ext: 'csv', mime: 'text/csv' },
  markdown: { ext: 'md', mime: 'text/markdown' },
  yaml: { ext: 'yaml', mime: 'application/yaml' },
  headscale: { ext: 'yaml', mime: 'application/yaml' },
};

export function downloadName(base: string, format: string): string {
  return `${base}.${FILE_TYPES[format]?.ext ?? 'txt'}`;
}

/**
 * Saves text as a file through the browser's download (in Electron, its save dialog): the same way in the app
 * window and in a browser on `derpdesk host`, with no file access through the API.
 */
function saveAs(text: string, name: string, format: string): void {
  const type = `${FILE_TYPES[format]?.mime ?? 'text/plain'};charset=utf-8`;
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  // The download reads the blob after the click returns: release it once it surely has.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** An export as tabs of formats over the text, ready to copy or to save as a file. */
export function ExportCard<F extends string>(p: ExportCardProps<F>) {
  const name = downloadName(p.fileName ?? `derpdesk-${p.idPrefix}`, p.format);
  return (
    <section className="card" aria-label={p.label}>
      <div className="table-head">
        <h2>Export</h2>
        <Tabs idPrefix={p.idPrefix} label="Export format" options={p.formats} value={p.format} onChange={p.onFormat} />
        <CopyButton text={p.text} label={p.copyLabel} />
        <button
          type="button"
          disabled={!p.text}
          title={`Download as ${name}`}
          aria-label={`Download as ${name}`}
          onClick={() => saveAs(p.text, name, p.format)}
        >
          Download
        </button>
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
