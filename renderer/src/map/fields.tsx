import type { MapIssue } from '../../../shared/derpmap/validate.js';
import type { FieldKind } from '../../../shared/derpmap/model.js';

/**
 * One DERP map field: empty text means "unset" (the protocol default), numbers and booleans are typed. The note
 * under the input (an issue, else the hint) always has its line, so an issue appearing moves no input.
 */
export function FieldInput({
  id,
  label,
  kind,
  value,
  onChange,
  issue,
  hint,
}: {
  id: string;
  label: string;
  kind: FieldKind;
  value: unknown;
  onChange: (v: unknown) => void;
  issue?: Pick<MapIssue, 'severity' | 'message'>;
  hint?: string;
}) {
  return (
    <div className={`field ${kind === 'boolean' ? 'checkbox' : ''}`}>
      <label htmlFor={id}>{label}</label>
      {kind === 'boolean' ? (
        <input
          id={id}
          type="checkbox"
          checked={value === true}
          onChange={(e) => onChange(e.target.checked ? true : undefined)}
        />
      ) : (
        <input
          id={id}
          type="text"
          inputMode={kind === 'number' ? 'decimal' : undefined}
          value={value === undefined || value === null ? '' : String(value)}
          aria-invalid={issue?.severity === 'error' ? true : undefined}
          aria-describedby={issue || hint ? `${id}-issue` : undefined}
          onChange={(e) => {
            const t = e.target.value;
            if (t === '') onChange(undefined);
            else if (kind === 'number') onChange(/^-?\d+(\.\d*)?$/.test(t.trim()) ? Number(t) : t);
            else onChange(t);
          }}
        />
      )}
      <span
        id={`${id}-issue`}
        className={issue ? `field-note note-${issue.severity}` : 'field-note hint'}
        data-testid={issue ? 'map-field-issue' : undefined}
      >
        {issue ? issue.message : hint}
      </span>
    </div>
  );
}

/**
 * The issue for one field of a region (nodeIndex undefined) or node, errors first. Regions are matched by their key
 * in Regions, not their RegionID: two regions may claim one id, and each field shows only its own region's issue.
 */
export function issueFor(
  issues: MapIssue[],
  regionKey: string,
  nodeIndex: number | undefined,
  field: string,
): MapIssue | undefined {
  const mine = (i: MapIssue) => i.regionKey === regionKey && i.nodeIndex === nodeIndex && i.field === field;
  return issues.find((i) => mine(i) && i.severity === 'error') ?? issues.find(mine);
}
