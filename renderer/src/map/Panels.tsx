import { useShallow } from 'zustand/react/shallow';
import { regionKeys, useMapStore, visibleIssues } from './store.js';
import { countOf } from '../../../shared/words.js';

/** The regions by key, each with its error count; select one to edit it. */
export function RegionList() {
  const { map, selected, issues, select, addRegion } = useMapStore(
    useShallow((s) => ({
      map: s.map,
      selected: s.selectedRegion,
      issues: visibleIssues(s),
      select: s.select,
      addRegion: s.addRegion,
    })),
  );
  if (!map) return null;
  return (
    <section className="card region-list" aria-label="Regions">
      <h2>Regions</h2>
      <ul>
        {regionKeys(map).map((id) => {
          const r = map.Regions[id];
          const mine = issues.filter((i) => i.regionKey === id);
          const errors = mine.filter((i) => i.severity === 'error').length;
          return (
            <li key={id}>
              <button type="button" aria-current={selected === id ? 'true' : undefined} onClick={() => select(id)}>
                <strong>{id}</strong> {r.RegionCode} <span className="muted">{countOf(r.Nodes.length, 'node')}</span>{' '}
                {errors > 0 && <span className="badge badge-error">{countOf(errors, 'error')}</span>}
              </button>
            </li>
          );
        })}
      </ul>
      <button type="button" onClick={addRegion}>
        Add region
      </button>
    </section>
  );
}

/** Every problem found in the map; picking one selects its region and node. A single-node warning can be dismissed. */
export function IssuesPanel() {
  const { issues, dismissed, select, dismiss } = useMapStore(
    useShallow((s) => ({
      issues: visibleIssues(s),
      dismissed: s.issues.length - visibleIssues(s).length,
      select: s.select,
      dismiss: s.dismissSingleNode,
    })),
  );
  return (
    <section className="card" aria-label="Validation">
      <h2>Validation</h2>
      {issues.length === 0 ? (
        <p className="ok">No problems found.</p>
      ) : (
        <ul className="issues" data-testid="map-issues">
          {issues.map((i, k) => (
            <li key={k} className={`issue-${i.severity}`}>
              <span className={`badge badge-${i.severity}`}>{i.severity === 'error' ? 'Error' : 'Warning'}</span>
              <button
                type="button"
                className="link"
                onClick={() => i.regionKey !== undefined && select(i.regionKey, i.nodeIndex ?? null)}
              >
                {i.message}
              </button>
              {i.kind === 'single-node' && i.regionKey !== undefined && (
                <button
                  type="button"
                  className="dismiss"
                  aria-label={`Dismiss the single-node warning of region ${i.regionKey}`}
                  onClick={() => dismiss(i.regionKey!)}
                >
                  Dismiss
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      {dismissed > 0 && (
        <p className="muted">{countOf(dismissed, 'dismissed warning')} hidden until the app restarts.</p>
      )}
    </section>
  );
}

/** For a map merged from a headscale config: which source each region came from. */
export function OriginsPanel() {
  const origins = useMapStore((s) => s.origins);
  if (!origins) return null;
  return (
    <section className="card" aria-label="Where regions come from">
      <h2>Merged from</h2>
      <ul className="issues" data-testid="map-origins">
        {Object.entries(origins).map(([id, o]) => (
          <li key={id}>
            region {id}: {o}
          </li>
        ))}
      </ul>
    </section>
  );
}
