import { useShallow } from 'zustand/react/shallow';
import { REGION_FIELDS } from '../../../shared/derpmap/model.js';
import { FieldInput, issueFor } from './fields.js';
import { NodesTable } from './NodesTable.js';
import { useMapStore } from './store.js';

/** The selected region's fields and its nodes. */
export function RegionEditor({ id }: { id: string }) {
  const { region, issues } = useMapStore(useShallow((s) => ({ region: s.map?.Regions[id], issues: s.issues })));
  const { duplicateRegion, deleteRegion, setRegionField } = useMapStore(
    useShallow((s) => ({
      duplicateRegion: s.duplicateRegion,
      deleteRegion: s.deleteRegion,
      setRegionField: s.setRegionField,
    })),
  );
  if (!region) return null;
  return (
    <section className="card region-editor" aria-label={`Region ${id}`}>
      <div className="table-head">
        <h2>Region {id}</h2>
        <button type="button" onClick={() => duplicateRegion(id)}>
          Duplicate region
        </button>
        <button type="button" className="danger" onClick={() => deleteRegion(id)}>
          Delete region
        </button>
      </div>
      <div className="form-grid">
        {Object.entries(REGION_FIELDS).map(([f, kind]) => (
          <FieldInput
            key={f}
            id={`region-${f}`}
            label={f}
            kind={kind}
            value={(region as unknown as Record<string, unknown>)[f]}
            issue={issueFor(issues, region.RegionID, undefined, f)}
            onChange={(v) => setRegionField(id, f, v)}
          />
        ))}
      </div>
      <h3>
        Nodes <span className="muted">(the first is the region's preferred node; drag or use ↑ ↓ to reorder)</span>
      </h3>
      <NodesTable id={id} />
    </section>
  );
}
