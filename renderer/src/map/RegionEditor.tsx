import { useShallow } from 'zustand/react/shallow';
import { REGION_FIELDS } from '../../../shared/derpmap/model.js';
import { FieldInput, issueFor } from './fields.js';
import { NodesTable } from './NodesTable.js';
import { useMapStore } from './store.js';

/** The selected region's fields and its nodes. */
export function RegionEditor({ id }: { id: string }) {
  const { region, issues, idDraft } = useMapStore(
    useShallow((s) => ({
      region: s.map?.Regions[id],
      issues: s.issues,
      idDraft: s.idDraft?.region === id ? s.idDraft : null,
    })),
  );
  const { duplicateRegion, deleteRegion, setRegionField, setRegionId } = useMapStore(
    useShallow((s) => ({
      duplicateRegion: s.duplicateRegion,
      deleteRegion: s.deleteRegion,
      setRegionField: s.setRegionField,
      setRegionId: s.setRegionId,
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
        <FieldInput
          id="region-RegionID"
          label="RegionID"
          kind="string"
          value={idDraft ? idDraft.text : region.RegionID}
          issue={
            idDraft ? { severity: 'error', message: idDraft.problem } : issueFor(issues, id, undefined, 'RegionID')
          }
          hint="renumbers the region; its nodes follow"
          onChange={(v) => setRegionId(id, v === undefined ? '' : String(v))}
        />
        {Object.entries(REGION_FIELDS)
          .filter(([f]) => f !== 'RegionID')
          .map(([f, kind]) => (
            <FieldInput
              key={f}
              id={`region-${f}`}
              label={f}
              kind={kind}
              value={(region as unknown as Record<string, unknown>)[f]}
              issue={issueFor(issues, id, undefined, f)}
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
