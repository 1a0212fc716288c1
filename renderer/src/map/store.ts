/**
 * The map editor's state: the opened map, the selection, and undo/redo as snapshots of the map (maps are small;
 * a snapshot per edit is simpler and safer than inverse operations). Validation runs on every change.
 */
import { create } from 'zustand';
import type { DerpdeskApi, MapFormat, MapSourceSpec, OpenedMap } from '../../../shared/api.js';
import type { DerpMap, DerpNode, DerpRegion } from '../../../shared/derpmap/model.js';
import { validateMap, type MapIssue } from '../../../shared/derpmap/validate.js';

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
}

export const useMapStore = create<MapEditorState>((set, get) => {
  const commit = (map: DerpMap, extra: Partial<MapEditorState> = {}) => set({ map, issues: validateMap(map), ...extra });
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
    setApi: (api) => set({ api }),
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
          message: m.problems.length ? { kind: 'error', text: `Merged without: ${m.problems.join('; ')}` } : { kind: 'ok', text: `The map headscale serves, merged from ${configPath}` },
        });
      } catch (err) {
        set({ message: { kind: 'error', text: (err as Error).message } });
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
        commit(opened.map, { doc: { map: opened.map, format: opened.format, text: opened.text, path: opened.path }, origins: null, past: [], future: [], selectedRegion: first, selectedNode: null, diff: null });
      } catch (err) {
        set({ message: { kind: 'error', text: (err as Error).message } });
      } finally {
        set({ busy: false });
      }
    },
    newMap() {
      const map: DerpMap = { Regions: {} };
      commit(map, { doc: { map, format: 'yaml', text: '' }, past: [], future: [], selectedRegion: null, selectedNode: null, diff: null, message: null });
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
      set({ diff: await api.call('map.diff', { path: doc.path, map, format: doc.format, baseText: doc.text }) });
    },
    async save() {
      const { api, doc, map } = get();
      if (!api || !doc?.path || !map) return;
      const r = await api.call('map.save', { path: doc.path, map, format: doc.format, baseText: doc.text });
      if (r.ok) set({ doc: { ...doc, map, text: r.text }, diff: null, message: { kind: 'ok', text: `Saved ${doc.path}${r.backup ? ` (previous version kept as ${r.backup})` : ''}` } });
      else set({ diff: null, message: { kind: 'error', text: r.error } });
    },
    cancelSave: () => set({ diff: null }),
  };
});

export function newRegion(map: DerpMap): DerpRegion {
  let id = 900;
  while (map.Regions[String(id)]) id++;
  return { RegionID: id, RegionCode: `region${id}`, RegionName: `Region ${id}`, Nodes: [newNode(map, id)] };
}

export function newNode(map: DerpMap, regionId: number, existing: DerpNode[] = []): DerpNode {
  const names = new Set(Object.values(map.Regions).flatMap((r) => r.Nodes.map((n) => n.Name)).concat(existing.map((n) => n.Name)));
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
