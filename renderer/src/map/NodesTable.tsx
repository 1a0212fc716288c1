import { useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { NODE_FIELDS, type DerpNode } from '../../../shared/derpmap/model.js';
import { FieldInput, issueFor } from './fields.js';
import { useMapStore } from './store.js';

const NODE_HINTS: Partial<Record<keyof typeof NODE_FIELDS, string>> = {
  CertName: 'sha256-raw:<hex> pins a self-signed certificate',
  IPv4: 'an address, or "none" to disable IPv4',
  IPv6: 'an address, or "none" to disable IPv6',
  STUNPort: '0 = 3478, -1 disables STUN',
  DERPPort: '0 = 443',
};

const NO_NODES: DerpNode[] = [];

/** Two overlapping sheets, drawn: the Unicode copy glyphs are missing from common UI fonts and render as a box. */
function DuplicateIcon() {
  return (
    <svg viewBox="0 0 12 12" aria-hidden="true" data-testid="duplicate-icon">
      <rect x="1" y="1" width="7" height="7" rx="1" fill="none" stroke="currentColor" strokeWidth="1.2" />
      <rect
        x="4"
        y="4"
        width="7"
        height="7"
        rx="1"
        fill="currentColor"
        fillOpacity="0.25"
        stroke="currentColor"
        strokeWidth="1.2"
      />
    </svg>
  );
}

function NodeRow({
  id,
  n,
  i,
  last,
  selected,
  dragFrom,
  setDragFrom,
}: {
  id: string;
  n: DerpNode;
  i: number;
  last: boolean;
  selected: boolean;
  dragFrom: number | null;
  setDragFrom: (i: number | null) => void;
}) {
  const { select, moveNode, duplicateNode, deleteNode } = useMapStore(
    useShallow((s) => ({
      select: s.select,
      moveNode: s.moveNode,
      duplicateNode: s.duplicateNode,
      deleteNode: s.deleteNode,
    })),
  );
  const onDrop = () => {
    if (dragFrom === null) return;
    moveNode(id, dragFrom, i);
    setDragFrom(null);
  };
  return (
    <tr
      draggable
      aria-selected={selected}
      className={selected ? 'selected' : ''}
      onDragStart={() => setDragFrom(i)}
      onDragOver={(e) => e.preventDefault()}
      onDrop={onDrop}
    >
      <td>{i + 1}</td>
      <td>
        <button type="button" className="link" onClick={() => select(id, i)}>
          {n.Name || '(no name)'}
        </button>
      </td>
      <td>{n.HostName}</td>
      <td>{n.IPv4 ?? ''}</td>
      <td>
        {n.DERPPort || 443} / {n.STUNPort === -1 ? 'off' : n.STUNPort || 3478}
      </td>
      <td className="row-actions">
        <button
          type="button"
          aria-label={`Move ${n.Name} up`}
          disabled={i === 0}
          onClick={() => moveNode(id, i, i - 1)}
        >
          ↑
        </button>
        <button type="button" aria-label={`Move ${n.Name} down`} disabled={last} onClick={() => moveNode(id, i, i + 1)}>
          ↓
        </button>
        <button type="button" aria-label={`Duplicate ${n.Name}`} onClick={() => duplicateNode(id, i)}>
          <DuplicateIcon />
        </button>
        <button type="button" aria-label={`Delete ${n.Name}`} onClick={() => deleteNode(id, i)}>
          ✕
        </button>
      </td>
    </tr>
  );
}

/** The selected node's fields. */
function NodeForm({ id, index }: { id: string; index: number }) {
  const { node, issues, setNodeField } = useMapStore(
    useShallow((s) => ({
      node: s.map?.Regions[id]?.Nodes[index],
      issues: s.issues,
      setNodeField: s.setNodeField,
    })),
  );
  if (!node) return null;
  return (
    <div className="node-form" aria-label={`Node ${node.Name}`}>
      <h3>Node {node.Name}</h3>
      <div className="form-grid">
        {Object.entries(NODE_FIELDS).map(([f, kind]) => (
          <FieldInput
            key={f}
            id={`node-${f}`}
            label={f}
            kind={kind}
            value={(node as unknown as Record<string, unknown>)[f]}
            hint={NODE_HINTS[f as keyof typeof NODE_FIELDS]}
            issue={issueFor(issues, id, index, f)}
            onChange={(v) => setNodeField(id, index, f, v)}
          />
        ))}
      </div>
    </div>
  );
}

/** A region's nodes in order (Nodes[0] is preferred): reorder, duplicate, delete, add, and edit the selected one. */
export function NodesTable({ id }: { id: string }) {
  const { nodes, selected, addNode } = useMapStore(
    useShallow((s) => ({ nodes: s.map?.Regions[id]?.Nodes ?? NO_NODES, selected: s.selectedNode, addNode: s.addNode })),
  );
  const [dragFrom, setDragFrom] = useState<number | null>(null);
  return (
    <>
      <table className="simple nodes" data-testid="map-nodes">
        <thead>
          <tr>
            <th>#</th>
            <th>Name</th>
            <th>HostName</th>
            <th>IPv4</th>
            <th>DERP / STUN</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {nodes.map((n, i) => (
            <NodeRow
              key={`${n.Name}-${i}`}
              id={id}
              n={n}
              i={i}
              last={i === nodes.length - 1}
              selected={selected === i}
              dragFrom={dragFrom}
              setDragFrom={setDragFrom}
            />
          ))}
        </tbody>
      </table>
      <button type="button" onClick={() => addNode(id)}>
        Add node
      </button>
      {selected !== null && <NodeForm id={id} index={selected} />}
    </>
  );
}
