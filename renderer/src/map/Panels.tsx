import { useShallow } from 'zustand/react/shallow';
import { regionsInOrder } from '../../../shared/derpmap/model.js';
import { useMapStore } from './store.js';

/** The regions, each with its error count; select one to edit it. */
export function RegionList() {
  const { map, selected, issues, select, addRegion } = useMapStore(
    useShallow((s) => ({
      map: s.map,
      selected: s.selectedRegion,
      issues: s.issues,
      select: s.select,
      addRegion: s.addRegion,
    })),
  );
  if (!map) return null;
  return (
    <section className="card region-list" aria-label="Regions">
      <h2>Regions</h2>
      <ul>
        {regionsInOrder(map).map((r) => {
          const id = String(r.RegionID);
          const errors = issues.filter((i) => i.regionId === r.RegionID && i.severity === 'error').length;
          return (
            <li key={id}>
              <button type="button" aria-current={selected === id ? 'true' : undefined} onClick={() => select(id)}>
                <strong>{id}</strong> {r.RegionCode}{' '}
                <span className="muted">
                  {r.Nodes.length} node{r.Nodes.length === 1 ? '' : 's'}
                </span>
                {errors > 0 && <span className="tag warn">{errors} errors</span>}
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

/** Every problem found in the map; picking one selects its region and node. */
export function IssuesPanel() {
  const { issues, select } = useMapStore(useShallow((s) => ({ issues: s.issues, select: s.select })));
  return (
    <section className="card" aria-label="Validation">
      <h2>Validation</h2>
      {issues.length === 0 ? (
        <p className="ok">No problems found.</p>
      ) : (
        <ul className="issues" data-testid="map-issues">
          {issues.map((i, k) => (
            <li key={k} className={i.severity}>
              <button
                type="button"
                className="link"
                onClick={() => i.regionId !== undefined && select(String(i.regionId), i.nodeIndex ?? null)}
              >
                {i.severity === 'error' ? 'Error' : 'Warning'}: {i.message}
              </button>
            </li>
          ))}
        </ul>
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
