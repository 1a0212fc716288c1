import { useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { BrowseButton } from '../components/BrowseButton.js';
import { formatForPath, useMapStore, visibleIssues, type MapFormat } from './store.js';
import { countOf } from '../../../shared/words.js';

/** The map's source and issue count, undo/redo, "Add this relay", "Save…" and "Save as…". */
export function Toolbar() {
  const t = useMapStore(
    useShallow((s) => {
      const shown = visibleIssues(s);
      const errors = shown.filter((i) => i.severity === 'error').length;
      return {
        api: s.api,
        path: s.doc?.path,
        format: s.doc?.format,
        regions: s.map ? Object.keys(s.map.Regions).length : 0,
        errors,
        warnings: shown.length - errors,
        past: s.past.length,
        future: s.future.length,
      };
    }),
  );
  const { undo, redo, addThisRelay, previewSave } = useMapStore(
    useShallow((s) => ({ undo: s.undo, redo: s.redo, addThisRelay: s.addThisRelay, previewSave: s.previewSave })),
  );
  // The Save as form belongs to the map's file as it was when opened: a save under a new name (or another map
  // opened) closes it.
  const [savingAsFrom, setSavingAsFrom] = useState<string | null>(null);
  const savingAs = savingAsFrom !== null && savingAsFrom === (t.path ?? '');
  return (
    <section className="card" aria-label="Map actions">
      <div className="toolbar">
        <span className="muted" data-testid="map-source">
          {t.path ?? 'unsaved map'} · {t.format?.toUpperCase()} · {countOf(t.regions, 'region')} ·{' '}
          <span data-testid="map-issue-count">
            {countOf(t.errors, 'error')}, {countOf(t.warnings, 'warning')}
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
        {t.path && (
          <button type="button" className="primary" onClick={() => void previewSave()}>
            Save…
          </button>
        )}
        <button
          type="button"
          aria-expanded={savingAs}
          onClick={() => setSavingAsFrom(savingAs ? null : (t.path ?? ''))}
        >
          Save as…
        </button>
      </div>
      {savingAs && <SaveAsForm initialFormat={t.format ?? 'yaml'} />}
    </section>
  );
}

/** Where a new file goes and in which format (its extension chooses, or the select); the diff comes first. */
function SaveAsForm({ initialFormat }: { initialFormat: MapFormat }) {
  const { api, previewSaveAs } = useMapStore(useShallow((s) => ({ api: s.api, previewSaveAs: s.previewSaveAs })));
  const [path, setPath] = useState('');
  const [format, setFormat] = useState<MapFormat>(initialFormat);
  const [replace, setReplace] = useState(false);
  const choosePath = (p: string) => {
    setPath(p);
    setFormat(formatForPath(p) ?? format);
  };
  return (
    <form
      className="save-as"
      aria-label="Save the map as a new file"
      onSubmit={(e) => {
        e.preventDefault();
        void previewSaveAs(path, format, replace);
      }}
    >
      <label htmlFor="map-save-path">Save as</label>
      <input
        id="map-save-path"
        type="text"
        value={path}
        placeholder="/etc/headscale/derp.yaml"
        onChange={(e) => choosePath(e.target.value)}
      />
      <BrowseButton api={api} purpose="map" mode="save" current={path || undefined} onChosen={choosePath} />
      <label htmlFor="map-save-format">Format</label>
      <select id="map-save-format" value={format} onChange={(e) => setFormat(e.target.value as MapFormat)}>
        <option value="yaml">YAML (headscale derp.yaml)</option>
        <option value="json">JSON (Tailscale DERPMap)</option>
      </select>
      <label>
        <input type="checkbox" checked={replace} onChange={(e) => setReplace(e.target.checked)} /> Replace an existing
        file
      </label>
      <button type="submit" disabled={!path.trim()}>
        Preview
      </button>
    </form>
  );
}

/** The diff of the file against the edited map, before it is written; a map with errors cannot be written. */
export function SaveDiff() {
  const { diff, target, isNew, errors, save, cancelSave } = useMapStore(
    useShallow((s) => ({
      diff: s.diff,
      target: s.saveTarget?.path,
      isNew: s.saveTarget?.baseText === '',
      errors: s.issues.filter((i) => i.severity === 'error').length,
      save: s.save,
      cancelSave: s.cancelSave,
    })),
  );
  if (diff === null) return null;
  return (
    <section className="card" aria-label="Changes to save">
      <h2>{isNew ? `New file ${target}` : `Changes to ${target}`}</h2>
      <pre className="code diff" data-testid="map-diff">
        {diff || 'No changes.'}
      </pre>
      <div className="actions">
        <button
          type="button"
          className="primary"
          disabled={errors > 0}
          aria-describedby={errors > 0 ? 'map-save-blocked' : undefined}
          onClick={() => void save()}
        >
          Write file
        </button>
        <button type="button" onClick={cancelSave}>
          Cancel
        </button>
        {errors > 0 && (
          <p id="map-save-blocked" className="save-blocked" data-testid="map-save-blocked">
            The map has {countOf(errors, 'error')}; fix {errors === 1 ? 'it' : 'them'} before writing (see Validation).
          </p>
        )}
      </div>
    </section>
  );
}
