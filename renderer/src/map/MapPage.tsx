import './map.css';
import { useEffect } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { OpenBar } from './OpenBar.js';
import { ExportPanel } from './ExportPanel.js';
import { HeadscaleDerpEditor } from './HeadscaleDerpEditor.js';
import { IssuesPanel, OriginsPanel, RegionList } from './Panels.js';
import { RegionEditor } from './RegionEditor.js';
import { hasUnsavedEdits, relayOfferNow, useMapStore } from './store.js';
import { SaveDiff, Toolbar } from './Toolbar.js';
import { WorldMap } from './WorldMap.js';

/** Ctrl/Cmd+Z undoes, Ctrl/Cmd+Shift+Z and Ctrl/Cmd+Y redo (outside text inputs, which have their own undo). */
function useUndoKeys() {
  const { undo, redo } = useMapStore(useShallow((s) => ({ undo: s.undo, redo: s.redo })));
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (!(e.ctrlKey || e.metaKey) || (e.target as HTMLElement)?.tagName === 'INPUT') return;
      if (e.key === 'z') (e.shiftKey ? redo : undo)();
      if (e.key === 'y') redo();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [undo, redo]);
}

/** Leaving or reloading the page with unsaved edits asks first; with none, it does not. */
function useLeaveGuard() {
  const dirty = useMapStore(hasUnsavedEdits);
  useEffect(() => {
    if (!dirty) return;
    const onLeave = (e: BeforeUnloadEvent) => {
      e.preventDefault();
      // Chromium before 119 and Electron's older versions ask only when returnValue is set.
      e.returnValue = '';
    };
    window.addEventListener('beforeunload', onLeave);
    return () => window.removeEventListener('beforeunload', onLeave);
  }, [dirty]);
}

/** The visual DERP map editor: open, edit regions and nodes, validate as you type, preview the diff, save. */
export function MapPage() {
  const { map, sel, message, select, relayOffer, replaceWithRelay } = useMapStore(
    useShallow((s) => ({
      map: s.map,
      sel: s.selectedRegion,
      message: s.message,
      select: s.select,
      relayOffer: relayOfferNow(s),
      replaceWithRelay: s.replaceWithRelay,
    })),
  );
  useUndoKeys();
  useLeaveGuard();
  return (
    <div className="page map-page">
      <OpenBar />
      {message && (
        <div className={`${message.kind === 'error' ? 'error' : 'ok'} card message-bar`} role="status">
          <span data-testid="map-message">{message.text}</span>
          {relayOffer && (
            <button type="button" onClick={replaceWithRelay}>
              Replace region {relayOffer.replaceId} instead
            </button>
          )}
        </div>
      )}
      {map && (
        <>
          <Toolbar />
          <SaveDiff />
          <HeadscaleDerpEditor />
          <div className="map-grid">
            <RegionList />
            {sel && map.Regions[sel] ? (
              <RegionEditor id={sel} />
            ) : (
              <section className="card muted">Select or add a region.</section>
            )}
            <div className="column">
              <WorldMap map={map} selected={sel} onSelect={(id) => select(id)} />
              <IssuesPanel />
              <OriginsPanel />
              <ExportPanel />
            </div>
          </div>
        </>
      )}
    </div>
  );
}
