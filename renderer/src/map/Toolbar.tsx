import { useShallow } from 'zustand/react/shallow';
import { useMapStore } from './store.js';

/** The map's source and issue count, undo/redo, "Add this relay" and "Save…". */
export function Toolbar() {
  const t = useMapStore(
    useShallow((s) => ({
      api: s.api,
      doc: s.doc,
      regions: s.map ? Object.keys(s.map.Regions).length : 0,
      issues: s.issues,
      past: s.past.length,
      future: s.future.length,
    })),
  );
  const { undo, redo, addThisRelay, previewSave } = useMapStore(
    useShallow((s) => ({ undo: s.undo, redo: s.redo, addThisRelay: s.addThisRelay, previewSave: s.previewSave })),
  );
  return (
    <section className="card toolbar" aria-label="Map actions">
      <span className="muted" data-testid="map-source">
        {t.doc?.path ?? 'unsaved map'} · {t.doc?.format.toUpperCase()} · {t.regions} regions ·{' '}
        <span data-testid="map-issue-count">
          {t.issues.filter((i) => i.severity === 'error').length} errors,{' '}
          {t.issues.filter((i) => i.severity === 'warning').length} warnings
        </span>
      </span>
      <button type="button" onClick={undo} disabled={t.past === 0}>
        Undo
      </button>
      <button type="button" onClick={redo} disabled={t.future === 0}>
        Redo
      </button>
      <button type="button" disabled={!t.api} onClick={() => void addThisRelay()}>
        Add this relay
      </button>
      {t.doc?.path && (
        <button type="button" className="primary" onClick={() => void previewSave()}>
          Save…
        </button>
      )}
    </section>
  );
}

/** The diff of the file against the edited map, before it is written. */
export function SaveDiff() {
  const { diff, path, save, cancelSave } = useMapStore(
    useShallow((s) => ({ diff: s.diff, path: s.doc?.path, save: s.save, cancelSave: s.cancelSave })),
  );
  if (diff === null) return null;
  return (
    <section className="card" aria-label="Changes to save">
      <h2>Changes to {path}</h2>
      <pre className="code diff" data-testid="map-diff">
        {diff || 'No changes.'}
      </pre>
      <div className="actions">
        <button type="button" className="primary" onClick={() => void save()}>
          Write file
        </button>
        <button type="button" onClick={cancelSave}>
          Cancel
        </button>
      </div>
    </section>
  );
}
