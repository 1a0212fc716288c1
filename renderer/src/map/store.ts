/**
 * The map editor's state: the opened map, the selection, and undo/redo as snapshots of the map (maps are small;
 * a snapshot per edit is simpler and safer than inverse operations). Validation runs on every change, and so does
 * the export. Every edit the page offers is an action here; the components only call them.
 */
import { create } from 'zustand';
import type { DerpdeskApi, MapFormat, MapSourceSpec, OpenedMap } from '../../../shared/api.js';
import type { DerpMap, DerpNode, DerpRegion } from '../../../shared/derpmap/model.js';
import { validateMap, type MapIssue } from '../../../shared/derpmap/validate.js';
import { errorMessage } from '../../../shared/errors.js';

const MAX_UNDO = 200;

export interface MapEditorState {
  api: DerpdeskApi | null;
  doc: Omit<OpenedMap, 'issues'> | null;
  map: DerpMap | null;
  issues: MapIssue[];
  selectedRegion: string | null;
  selectedNode: number | null;
  past: DerpMap[];
  future: DerpMap[];
  message: { kind: 'ok' | 'error'; text: string } | null;
  diff: string | null;
  busy: boolean;
  setApi(api: DerpdeskApi): void;
  open(src: MapSourceSpec): Promise<void>;
  /** Opens the map a headscale server would serve (read-only origin: export or save it elsewhere). */
  openHeadscale(configPath: string): Promise<void>;
  origins: Record<string, string> | null;
  newMap(): void;
  select(region: string | null, node?: number | null): void;
  edit(mutate: (m: DerpMap) => void): void;
  undo(): void;
  redo(): void;
  previewSave(): Promise<void>;
  save(): Promise<void>;
  cancelSave(): void;
  addRegion(): void;
  duplicateRegion(id: string): void;
  deleteRegion(id: string): void;
  /** Sets a region field; `undefined` removes it (the protocol default), except RegionID. */
  setRegionField(id: string, field: string, value: unknown): void;
  addNode(regionId: string): void;
  /** Moves a node within its region (Nodes[0] is the preferred node) and selects it where it landed. */
  moveNode(regionId: string, from: number, to: number): void;
  duplicateNode(regionId: string, index: number): void;
  deleteNode(regionId: string, index: number): void;
  /** Sets a node field; `undefined` removes it, except Name, HostName and RegionID (which become empty). */
  setNodeField(regionId: string, index: number, field: string, value: unknown): void;
  /** Merges in the region and node this app's relay would have (from its settings). */
  addThisRelay(): Promise<void>;
  exportFormat: ExportFormat;
  exportText: string;
  setExportFormat(format: ExportFormat): void;
  /** Renders the export of the map in the chosen format (called after every change). */
  refreshExport(): Promise<void>;
}

/** The export panel's formats: the two map formats, and the headscale config snippet that points at the file. */
export type ExportFormat = MapFormat | 'headscale';

/** headscale reads derp.yaml files from `derp.paths` in its config.yaml. */
export function headscaleSnippet(path: string | undefined): string {
  return `derp:\n  paths:\n    - ${path ?? '/etc/headscale/derp.yaml'}\n  auto_update_enabled: true\n  update_frequency: 24h\n`;
}

export const useMapStore = create<MapEditorState>((set, get) => {
  let exportRequests = 0;
  const commit = (map: DerpMap, extra: Partial<MapEditorState> = {}) => {
    set({ map, issues: validateMap(map), ...extra });
    void get().refreshExport();
  };
  return {
    api: null,
    doc: null,
    map: null,
    issues: [],
    selectedRegion: null,
    selectedNode: null,
    past: [],
    future: [],
    message: null,
    diff: null,
    busy: false,
    origins: null,
    exportFormat: 'yaml',
    exportText: '',
    setApi(api) {
      set({ api });
      void get().refreshExport();
    },
    async openHeadscale(configPath) {
      const api = get().api;
      if (!api) return;
      set({ busy: true, message: null });
      try {
        const m = await api.call('map.headscale', { configPath });
        const first = Object.keys(m.map.Regions).sort((a, b) => Number(a) - Number(b))[0] ?? null;
        commit(m.map, {
          doc: { map: m.map, format: 'yaml', text: '' },
          origins: m.origins,
          past: [],
          future: [],
          selectedRegion: first,
          selectedNode: null,
          diff: null,
          message: m.problems.length
            ? { kind: 'error', text: `Merged without: ${m.problems.join('; ')}` }
            : { kind: 'ok', text: `The map headscale serves, merged from ${configPath}` },
        });
      } catch (err) {
        set({ message: { kind: 'error', text: errorMessage(err) } });
      } finally {
        set({ busy: false });
      }
    },
    async open(src) {
      const api = get().api;
      if (!api) return;
      set({ busy: true, message: null });
      try {
        const opened = await api.call('map.open', src);
        const first = Object.keys(opened.map.Regions).sort((a, b) => Number(a) - Number(b))[0] ?? null;
        commit(opened.map, {
          doc: { map: opened.map, format: opened.format, text: opened.text, path: opened.path },
          origins: null,
          past: [],
          future: [],
          selectedRegion: first,
          selectedNode: null,
          diff: null,
        });
      } catch (err) {
        set({ message: { kind: 'error', text: errorMessage(err) } });
      } finally {
        set({ busy: false });
      }
    },
    newMap() {
      const map: DerpMap = { Regions: {} };
      commit(map, {
        doc: { map, format: 'yaml', text: '' },
        past: [],
        future: [],
        selectedRegion: null,
        selectedNode: null,
        diff: null,
        message: null,
      });
    },
    select: (region, node = null) => set({ selectedRegion: region, selectedNode: node }),
    edit(mutate) {
      const { map, past } = get();
      if (!map) return;
      const next = structuredClone(map);
      mutate(next);
      commit(next, { past: [...past, map].slice(-MAX_UNDO), future: [], diff: null, message: null });
    },
    undo() {
      const { map, past, future } = get();
      if (!map || past.length === 0) return;
      commit(past[past.length - 1], { past: past.slice(0, -1), future: [map, ...future] });
    },
    redo() {
      const { map, past, future } = get();
      if (!map || future.length === 0) return;
      commit(future[0], { past: [...past, map], future: future.slice(1) });
    },
    async previewSave() {
      const { api, doc, map } = get();
      if (!api || !doc?.path || !map) return;
      try {
        set({ diff: await api.call('map.diff', { path: doc.path, map, format: doc.format, baseText: doc.text }) });
      } catch (err) {
        set({ message: { kind: 'error', text: `Cannot compare with the file: ${errorMessage(err)}` } });
      }
    },
    async save() {
      const { api, doc, map } = get();
      if (!api || !doc?.path || !map) return;
      try {
        const r = await api.call('map.save', { path: doc.path, map, format: doc.format, baseText: doc.text });
        if (r.ok)
          set({
            doc: { ...doc, map, text: r.text },
            diff: null,
            message: {
              kind: 'ok',
              text: `Saved ${doc.path}${r.backup ? ` (previous version kept as ${r.backup})` : ''}`,
            },
          });
        else set({ diff: null, message: { kind: 'error', text: r.error } });
      } catch (err) {
        set({ diff: null, message: { kind: 'error', text: `Not saved: ${errorMessage(err)}` } });
      }
    },
    cancelSave: () => set({ diff: null }),

    addRegion() {
      get().edit((m) => {
        const r = newRegion(m);
        m.Regions[String(r.RegionID)] = r;
      });
    },
    duplicateRegion(id) {
      get().edit((m) => {
        const copy = structuredClone(m.Regions[id]);
        const fresh = newRegion(m);
        copy.RegionID = fresh.RegionID;
        copy.RegionCode = fresh.RegionCode;
        // Each copy's name must differ from the copies before it, so name them one after the other.
        const renamed: DerpNode[] = [];
        for (const n of copy.Nodes)
          renamed.push({ ...n, RegionID: fresh.RegionID, Name: newNode(m, fresh.RegionID, renamed).Name });
        copy.Nodes = renamed;
        m.Regions[String(fresh.RegionID)] = copy;
      });
    },
    deleteRegion(id) {
      get().edit((m) => delete m.Regions[id]);
      get().select(null);
    },
    setRegionField(id, field, value) {
      get().edit((m) => {
        const reg = m.Regions[id] as unknown as Record<string, unknown>;
        if (value === undefined && field !== 'RegionID') delete reg[field];
        else reg[field] = value;
      });
    },
    addNode(regionId) {
      get().edit((m) => m.Regions[regionId].Nodes.push(newNode(m, m.Regions[regionId].RegionID)));
    },
    moveNode(regionId, from, to) {
      const nodes = get().map?.Regions[regionId]?.Nodes;
      if (!nodes || to < 0 || to >= nodes.length) return;
      if (from !== to) get().edit((m) => moveItem(m.Regions[regionId].Nodes, from, to));
      get().select(regionId, to);
    },
    duplicateNode(regionId, index) {
      get().edit((m) => {
        const r = m.Regions[regionId];
        r.Nodes.splice(index + 1, 0, { ...structuredClone(r.Nodes[index]), Name: newNode(m, r.RegionID).Name });
      });
    },
    deleteNode(regionId, index) {
      get().edit((m) => m.Regions[regionId].Nodes.splice(index, 1));
      get().select(regionId, null);
    },
    setNodeField(regionId, index, field, value) {
      get().edit((m) => {
        const nd = m.Regions[regionId].Nodes[index] as unknown as Record<string, unknown>;
        if (value === undefined && field !== 'Name' && field !== 'HostName' && field !== 'RegionID') delete nd[field];
        else nd[field] = value ?? '';
      });
    },
    async addThisRelay() {
      const api = get().api;
      if (!api) return;
      try {
        const entry = await api.call('relay.mapEntry');
        const add = JSON.parse(entry.json) as DerpMap;
        get().edit((m) => Object.assign(m.Regions, add.Regions));
      } catch (err) {
        set({ message: { kind: 'error', text: `Cannot add this relay: ${errorMessage(err)}` } });
      }
    },

    setExportFormat(exportFormat) {
      set({ exportFormat });
      void get().refreshExport();
    },
    async refreshExport() {
      const { api, map, exportFormat, doc } = get();
      const n = ++exportRequests;
      if (exportFormat === 'headscale') return set({ exportText: headscaleSnippet(doc?.path) });
      if (!api || !map) return;
      let text = '';
      try {
        text = await api.call('map.export', map, exportFormat);
      } catch {
        // A map the host cannot render (it is invalid): the box shows nothing until the next edit, as before.
      }
      if (n === exportRequests) set({ exportText: text });
    },
  };
});

export function newRegion(map: DerpMap): DerpRegion {
  let id = 900;
  while (map.Regions[String(id)]) id++;
  return { RegionID: id, RegionCode: `region${id}`, RegionName: `Region ${id}`, Nodes: [newNode(map, id)] };
}

export function newNode(map: DerpMap, regionId: number, existing: DerpNode[] = []): DerpNode {
  const names = new Set(
    Object.values(map.Regions)
      .flatMap((r) => r.Nodes.map((n) => n.Name))
      .concat(existing.map((n) => n.Name)),
  );
  let i = 0;
  let name: string;
  do name = `${regionId}${String.fromCharCode(97 + (i % 26))}${i >= 26 ? Math.floor(i / 26) : ''}`;
  while (names.has(name) && ++i < 10_000);
  return { Name: name, RegionID: regionId, HostName: `derp${regionId}.example.com` };
}

/** Moves an item within a list (node order matters: Nodes[0] is the region's preferred node). */
export function moveItem<T>(list: T[], from: number, to: number): void {
  if (from === to || to < 0 || to >= list.length) return;
  const [item] = list.splice(from, 1);
  list.splice(to, 0, item);
}

export type { MapFormat };
