import './map.css';
import { useEffect, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { DerpdeskApi, MapFormat } from '../../../shared/api.js';
import { NODE_FIELDS, REGION_FIELDS, regionsInOrder, type DerpMap } from '../../../shared/derpmap/model.js';
import type { MapIssue } from '../../../shared/derpmap/validate.js';
import { BrowseButton } from '../components/BrowseButton.js';
import { CopyButton } from '../components/CopyButton.js';
import { Tabs } from '../components/Tabs.js';
import { FieldInput } from './fields.js';
import { moveItem, newNode, newRegion, useMapStore } from './store.js';
import { WorldMap } from './WorldMap.js';

const NODE_HINTS: Partial<Record<keyof typeof NODE_FIELDS, string>> = {
  CertName: 'sha256-raw:<hex> pins a self-signed certificate',
  IPv4: 'an address, or "none" to disable IPv4',
  IPv6: 'an address, or "none" to disable IPv6',
  STUNPort: '0 = 3478, -1 disables STUN',
  DERPPort: '0 = 443',
};

function issueFor(issues: MapIssue[], regionId: number | undefined, nodeIndex: number | undefined, field: string): MapIssue | undefined {
  return issues.find((i) => i.regionId === regionId && i.nodeIndex === nodeIndex && i.field === field && i.severity === 'error') ?? issues.find((i) => i.regionId === regionId && i.nodeIndex === nodeIndex && i.field === field);
}

/** The visual DERP map editor: open, edit regions and nodes, validate as you type, preview the diff, save. */
export function MapPage({ api }: { api: DerpdeskApi | null }) {
  const st = useMapStore(
    useShallow((s) => ({ map: s.map, doc: s.doc, issues: s.issues, sel: s.selectedRegion, node: s.selectedNode, past: s.past.length, future: s.future.length, message: s.message, diff: s.diff, busy: s.busy })),
  );
  const origins = useMapStore((s) => s.origins);
  const actions = useMapStore(useShallow((s) => ({ setApi: s.setApi, open: s.open, openHeadscale: s.openHeadscale, newMap: s.newMap, select: s.select, edit: s.edit, undo: s.undo, redo: s.redo, previewSave: s.previewSave, save: s.save, cancelSave: s.cancelSave })));
  useEffect(() => {
    if (api) actions.setApi(api);
  }, [api, actions]);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (!(e.ctrlKey || e.metaKey) || (e.target as HTMLElement)?.tagName === 'INPUT') return;
      if (e.key === 'z') (e.shiftKey ? actions.redo : actions.undo)();
      if (e.key === 'y') actions.redo();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [actions]);

  return (
    <div className="page map-page">
      <OpenBar api={api} onOpen={actions.open} onHeadscale={actions.openHeadscale} onNew={actions.newMap} busy={st.busy} />
      {st.message && (
        <p className={st.message.kind === 'error' ? 'error card' : 'ok card'} role="status" data-testid="map-message">
          {st.message.text}
        </p>
      )}
      {st.map && (
        <>
          <section className="card toolbar" aria-label="Map actions">
            <span className="muted" data-testid="map-source">
              {st.doc?.path ?? 'unsaved map'} · {st.doc?.format.toUpperCase()} · {Object.keys(st.map.Regions).length} regions ·{' '}
              <span data-testid="map-issue-count">
                {st.issues.filter((i) => i.severity === 'error').length} errors, {st.issues.filter((i) => i.severity === 'warning').length} warnings
              </span>
            </span>
            <button type="button" onClick={actions.undo} disabled={st.past === 0}>
              Undo
            </button>
            <button type="button" onClick={actions.redo} disabled={st.future === 0}>
              Redo
            </button>
            <AddThisRelay api={api} onAdd={(m) => actions.edit((d) => Object.assign(d.Regions, m.Regions))} />
            {st.doc?.path && (
              <button type="button" className="primary" onClick={() => void actions.previewSave()}>
                Save…
              </button>
            )}
          </section>
          {st.diff !== null && (
            <section className="card" aria-label="Changes to save">
              <h2>Changes to {st.doc?.path}</h2>
              <pre className="code diff" data-testid="map-diff">
                {st.diff || 'No changes.'}
              </pre>
              <div className="actions">
                <button type="button" className="primary" onClick={() => void actions.save()}>
                  Write file
                </button>
                <button type="button" onClick={actions.cancelSave}>
                  Cancel
                </button>
              </div>
            </section>
          )}
          <div className="map-grid">
            <RegionList map={st.map} selected={st.sel} issues={st.issues} onSelect={(id) => actions.select(id)} onAdd={() => actions.edit((m) => {
              const r = newRegion(m);
              m.Regions[String(r.RegionID)] = r;
            })} />
            {st.sel && st.map.Regions[st.sel] ? <RegionEditor map={st.map} id={st.sel} node={st.node} issues={st.issues} /> : <section className="card muted">Select or add a region.</section>}
            <div className="column">
              <WorldMap map={st.map} selected={st.sel} onSelect={(id) => actions.select(id)} />
              <IssuesPanel issues={st.issues} onPick={(i) => i.regionId !== undefined && actions.select(String(i.regionId), i.nodeIndex ?? null)} />
              {origins && (
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
              )}
              <ExportPanel map={st.map} api={api} path={st.doc?.path} />
            </div>
          </div>
        </>
      )}
    </div>
  );
}

function OpenBar({ api, onOpen, onHeadscale, onNew, busy }: { api: DerpdeskApi | null; onOpen: ReturnType<typeof useMapStore.getState>['open']; onHeadscale: (p: string) => Promise<void>; onNew: () => void; busy: boolean }) {
  const [path, setPath] = useState('');
  const [config, setConfig] = useState('');
  const [url, setUrl] = useState('');
  const [paste, setPaste] = useState('');
  return (
    <section className="card open-bar" aria-label="Open a DERP map">
      <form className="inline" onSubmit={(e) => (e.preventDefault(), void onOpen({ kind: 'file', path }))}>
        <label htmlFor="map-path">File on the relay host</label>
        <input id="map-path" value={path} placeholder="/etc/headscale/derp.yaml" onChange={(e) => setPath(e.target.value)} />
        <button type="submit" disabled={busy || !path}>
          Open
        </button>
        <BrowseButton api={api} purpose="map" current={path || undefined} onChosen={(p) => (setPath(p), void onOpen({ kind: 'file', path: p }))} />
      </form>
      <form className="inline" onSubmit={(e) => (e.preventDefault(), void onOpen({ kind: 'url', url }))}>
        <label htmlFor="map-url">URL</label>
        <input id="map-url" value={url} placeholder="https://controlplane.tailscale.com/derpmap/default" onChange={(e) => setUrl(e.target.value)} />
        <button type="submit" disabled={busy || !url}>
          Fetch
        </button>
      </form>
      <form className="inline" onSubmit={(e) => (e.preventDefault(), void onHeadscale(config))}>
        <label htmlFor="map-headscale">headscale config.yaml</label>
        <input id="map-headscale" value={config} placeholder="/etc/headscale/config.yaml" onChange={(e) => setConfig(e.target.value)} />
        <button type="submit" disabled={busy || !config}>
          Show merged map
        </button>
        <BrowseButton api={api} purpose="headscale-config" current={config || undefined} onChosen={(p) => (setConfig(p), void onHeadscale(p))} />
      </form>
      <details>
        <summary>Paste YAML or JSON</summary>
        <textarea aria-label="Pasted DERP map" rows={5} value={paste} onChange={(e) => setPaste(e.target.value)} />
        <button type="button" disabled={!paste.trim()} onClick={() => void onOpen({ kind: 'text', text: paste })}>
          Open pasted map
        </button>
      </details>
      <button type="button" onClick={onNew}>
        New map
      </button>
    </section>
  );
}

function RegionList({ map, selected, issues, onSelect, onAdd }: { map: DerpMap; selected: string | null; issues: MapIssue[]; onSelect: (id: string) => void; onAdd: () => void }) {
  return (
    <section className="card region-list" aria-label="Regions">
      <h2>Regions</h2>
      <ul>
        {regionsInOrder(map).map((r) => {
          const id = String(r.RegionID);
          const errors = issues.filter((i) => i.regionId === r.RegionID && i.severity === 'error').length;
          return (
            <li key={id}>
              <button type="button" aria-current={selected === id ? 'true' : undefined} onClick={() => onSelect(id)}>
                <strong>{id}</strong> {r.RegionCode} <span className="muted">{r.Nodes.length} node{r.Nodes.length === 1 ? '' : 's'}</span>
                {errors > 0 && <span className="tag warn">{errors} errors</span>}
              </button>
            </li>
          );
        })}
      </ul>
      <button type="button" onClick={onAdd}>
        Add region
      </button>
    </section>
  );
}

function RegionEditor({ map, id, node, issues }: { map: DerpMap; id: string; node: number | null; issues: MapIssue[] }) {
  const { edit, select } = useMapStore(useShallow((s) => ({ edit: s.edit, select: s.select })));
  const r = map.Regions[id];
  const [dragFrom, setDragFrom] = useState<number | null>(null);
  return (
    <section className="card region-editor" aria-label={`Region ${id}`}>
      <div className="table-head">
        <h2>Region {id}</h2>
        <button type="button" onClick={() => edit((m) => {
          const copy = structuredClone(m.Regions[id]);
          const fresh = newRegion(m);
          copy.RegionID = fresh.RegionID;
          copy.RegionCode = fresh.RegionCode;
          copy.Nodes = copy.Nodes.map((n, i) => ({ ...n, RegionID: fresh.RegionID, Name: newNode(m, fresh.RegionID, copy.Nodes.slice(0, i)).Name }));
          m.Regions[String(fresh.RegionID)] = copy;
        })}>
          Duplicate region
        </button>
        <button type="button" className="danger" onClick={() => (edit((m) => delete m.Regions[id]), select(null))}>
          Delete region
        </button>
      </div>
      <div className="form-grid">
        {Object.entries(REGION_FIELDS).map(([f, kind]) => (
          <FieldInput key={f} id={`region-${f}`} label={f} kind={kind} value={(r as unknown as Record<string, unknown>)[f]} issue={issueFor(issues, r.RegionID, undefined, f)}
            onChange={(v) => edit((m) => {
              const reg = m.Regions[id] as unknown as Record<string, unknown>;
              if (v === undefined && f !== 'RegionID') delete reg[f];
              else reg[f] = v;
            })} />
        ))}
      </div>
      <h3>Nodes <span className="muted">(the first is the region's preferred node; drag or use ↑ ↓ to reorder)</span></h3>
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
          {r.Nodes.map((n, i) => (
            <tr key={`${n.Name}-${i}`} draggable aria-selected={node === i} className={node === i ? 'selected' : ''}
              onDragStart={() => setDragFrom(i)} onDragOver={(e) => e.preventDefault()}
              onDrop={() => dragFrom !== null && (edit((m) => moveItem(m.Regions[id].Nodes, dragFrom, i)), setDragFrom(null), select(id, i))}>
              <td>{i + 1}</td>
              <td>
                <button type="button" className="link" onClick={() => select(id, i)}>{n.Name || '(no name)'}</button>
              </td>
              <td>{n.HostName}</td>
              <td>{n.IPv4 ?? ''}</td>
              <td>{n.DERPPort || 443} / {n.STUNPort === -1 ? 'off' : n.STUNPort || 3478}</td>
              <td className="row-actions">
                <button type="button" aria-label={`Move ${n.Name} up`} disabled={i === 0} onClick={() => (edit((m) => moveItem(m.Regions[id].Nodes, i, i - 1)), select(id, i - 1))}>↑</button>
                <button type="button" aria-label={`Move ${n.Name} down`} disabled={i === r.Nodes.length - 1} onClick={() => (edit((m) => moveItem(m.Regions[id].Nodes, i, i + 1)), select(id, i + 1))}>↓</button>
                <button type="button" aria-label={`Duplicate ${n.Name}`} onClick={() => edit((m) => m.Regions[id].Nodes.splice(i + 1, 0, { ...structuredClone(n), Name: newNode(m, r.RegionID).Name }))}>⧉</button>
                <button type="button" aria-label={`Delete ${n.Name}`} onClick={() => (edit((m) => m.Regions[id].Nodes.splice(i, 1)), select(id, null))}>✕</button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <button type="button" onClick={() => edit((m) => m.Regions[id].Nodes.push(newNode(m, r.RegionID)))}>Add node</button>
      {node !== null && r.Nodes[node] && (
        <div className="node-form" aria-label={`Node ${r.Nodes[node].Name}`}>
          <h3>Node {r.Nodes[node].Name}</h3>
          <div className="form-grid">
            {Object.entries(NODE_FIELDS).map(([f, kind]) => (
              <FieldInput key={f} id={`node-${f}`} label={f} kind={kind} value={(r.Nodes[node] as unknown as Record<string, unknown>)[f]} hint={NODE_HINTS[f as keyof typeof NODE_FIELDS]}
                issue={issueFor(issues, r.RegionID, node, f)}
                onChange={(v) => edit((m) => {
                  const nd = m.Regions[id].Nodes[node] as unknown as Record<string, unknown>;
                  if (v === undefined && f !== 'Name' && f !== 'HostName' && f !== 'RegionID') delete nd[f];
                  else nd[f] = v ?? '';
                })} />
            ))}
          </div>
        </div>
      )}
    </section>
  );
}

function IssuesPanel({ issues, onPick }: { issues: MapIssue[]; onPick: (i: MapIssue) => void }) {
  return (
    <section className="card" aria-label="Validation">
      <h2>Validation</h2>
      {issues.length === 0 ? (
        <p className="ok">No problems found.</p>
      ) : (
        <ul className="issues" data-testid="map-issues">
          {issues.map((i, k) => (
            <li key={k} className={i.severity}>
              <button type="button" className="link" onClick={() => onPick(i)}>
                {i.severity === 'error' ? 'Error' : 'Warning'}: {i.message}
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** headscale reads derp.yaml files from `derp.paths` in its config.yaml. */
export function headscaleSnippet(path: string | undefined): string {
  return `derp:\n  paths:\n    - ${path ?? '/etc/headscale/derp.yaml'}\n  auto_update_enabled: true\n  update_frequency: 24h\n`;
}

const EXPORT_FORMATS = [
  { id: 'yaml', label: 'headscale derp.yaml' },
  { id: 'json', label: 'Tailscale JSON' },
  { id: 'headscale', label: 'headscale config' },
] as const;

function ExportPanel({ map, api, path }: { map: DerpMap; api: DerpdeskApi | null; path?: string }) {
  const [format, setFormat] = useState<MapFormat | 'headscale'>('yaml');
  const [text, setText] = useState('');
  useEffect(() => {
    if (format === 'headscale') setText(headscaleSnippet(path));
    else if (api) void api.call('map.export', map, format).then(setText, () => setText(''));
  }, [api, map, format, path]);
  return (
    <section className="card" aria-label="Export">
      <div className="table-head">
        <h2>Export</h2>
        <Tabs idPrefix="map-export" label="Export format" options={EXPORT_FORMATS} value={format} onChange={setFormat} />
        <CopyButton text={text} label={`Copy the ${format === 'json' ? 'JSON' : format === 'yaml' ? 'YAML' : 'headscale config snippet'}`} />
      </div>
      <pre id="map-export-panel" role="tabpanel" aria-labelledby={`map-export-tab-${format}`} className="code" data-testid="map-export">
        {text}
      </pre>
    </section>
  );
}

/** Inserts the region and node this app's relay would have (from its settings). */
function AddThisRelay({ api, onAdd }: { api: DerpdeskApi | null; onAdd: (m: DerpMap) => void }) {
  return (
    <button type="button" disabled={!api} onClick={() => void api?.call('relay.mapEntry').then((e) => onAdd(JSON.parse(e.json) as DerpMap))}>
      Add this relay
    </button>
  );
}
