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
import {
  validateHeadscaleDerp,
  type HeadscaleDerpProblems,
  type HeadscaleDerpSection,
} from '../../../shared/derpmap/headscale.js';
import {
  followSelection,
  moveItem,
  newNode,
  newRegion,
  placeRelayRegion,
  placementMessage,
  renumberProblem,
  renumberRegion,
} from './edits.js';

const MAX_UNDO = 200;

export interface MapEditorState {
  api: DerpdeskApi | null;
  doc: Omit<OpenedMap, 'issues'> | null;
  map: DerpMap | null;
  issues: MapIssue[];
  /** `issues` less the dismissed warnings: kept as state so that components get the same array until it changes. */
  shownIssues: MapIssue[];
  selectedRegion: string | null;
  selectedNode: number | null;
  past: DerpMap[];
  future: DerpMap[];
  /**
   * What the last edit changed (`node:900:0:HostName`), so that typing into one field is one undo step, not one per
   * key; null after anything else.
   */
  lastEdit: string | null;
  message: { kind: 'ok' | 'error'; text: string } | null;
  diff: string | null;
  /** Where the previewed save writes: the opened file (Save…) or a new one (Save as…). */
  saveTarget: SaveTarget | null;
  busy: boolean;
  /** A RegionID typed into the region editor that was refused (taken or not a number), with why. */
  idDraft: { region: string; text: string; problem: string } | null;
  /** Regions (by key) whose "single node" warning the user dismissed; kept while the app runs, across maps. */
  dismissedSingleNode: string[];
  /** The derp section of the opened headscale config.yaml, as edited, and as last opened or saved. */
  hsDerp: { path: string; derp: HeadscaleDerpSection; saved: HeadscaleDerpSection; version: string } | null;
  hsProblems: HeadscaleDerpProblems;
  hsDiff: string | null;
  /** Sets a derp-section field by its path (`server.region_id`, `urls`); `undefined` removes it. */
  setHsField(field: string, value: unknown): void;
  previewHsSave(): Promise<void>;
  saveHs(): Promise<void>;
  cancelHsSave(): void;
  setApi(api: DerpdeskApi): void;
  open(src: MapSourceSpec): Promise<void>;
  /**
   * Opens the map a headscale server would serve (read-only origin: export or save it elsewhere), and the config's
   * derp section for editing.
   */
  openHeadscale(configPath: string): Promise<void>;
  origins: Record<string, string> | null;
  newMap(): void;
  select(region: string | null, node?: number | null): void;
  /** Applies an edit as one undo step; consecutive edits with the same `field` key make one step together. */
  edit(mutate: (m: DerpMap) => void, field?: string): void;
  undo(): void;
  redo(): void;
  previewSave(): Promise<void>;
  /** Previews writing the map to a new file; `replace` allows overwriting a file that exists (a backup is kept). */
  previewSaveAs(path: string, format: MapFormat, replace: boolean): Promise<void>;
  save(): Promise<void>;
  cancelSave(): void;
  /** Renumbers region `id` to the typed id; a taken or invalid id is refused and kept as `idDraft`. */
  setRegionId(id: string, text: string): void;
  dismissSingleNode(regionKey: string): void;
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
  /** Adds the region and node this app's relay would have (from its settings), never over an existing region. */
  addThisRelay(): Promise<void>;
  /**
   * After "Add this relay" found its id taken: the explicit alternative, replacing that region with the relay's.
   * `map` is the map the relay was added to: the offer holds only while it is still the one edited (see
   * `relayOfferNow`), not after another edit, an undo, or another map opened.
   */
  relayOffer: { addedId: string; replaceId: string; region: DerpRegion; map: DerpMap } | null;
  replaceWithRelay(): void;
  exportFormat: ExportFormat;
  exportText: string;
  setExportFormat(format: ExportFormat): void;
  /** Renders the export of the map in the chosen format (called after every change). */
  refreshExport(): Promise<void>;
}

export interface SaveTarget {
  path: string;
  format: MapFormat;
  /** The file's text as opened; empty for a new file. */
  baseText: string;
  replace: boolean;
}

/** The "Replace region N instead" offer, while the map is still the one this relay was just added to. */
export function relayOfferNow(s: Pick<MapEditorState, 'relayOffer' | 'map'>): MapEditorState['relayOffer'] {
  return s.relayOffer && s.relayOffer.map === s.map ? s.relayOffer : null;
}

/** The issues without the single-node warnings the user dismissed. */
function withoutDismissed(issues: MapIssue[], dismissed: string[]): MapIssue[] {
  return issues.filter(
    (i) => !(i.kind === 'single-node' && i.regionKey !== undefined && dismissed.includes(i.regionKey)),
  );
}

/** The keys of Regions in numeric order: what the editor selects by, even when a RegionID disagrees with its key. */
export function regionKeys(map: DerpMap): string[] {
  return Object.keys(map.Regions).sort((a, b) => Number(a) - Number(b));
}

/** The issues the page shows: all of them, less the single-node warnings the user dismissed. */
export function visibleIssues(s: Pick<MapEditorState, 'shownIssues'>): MapIssue[] {
  return s.shownIssues;
}

/** Whether the edited map differs from what was opened or last saved (undoing back to it counts as no edits). */
export function hasUnsavedEdits(s: Pick<MapEditorState, 'map' | 'doc' | 'hsDerp'>): boolean {
  return (s.map !== null && s.doc !== null && s.map !== s.doc.map) || (!!s.hsDerp && s.hsDerp.derp !== s.hsDerp.saved);
}

/** The section with one field (`server.x` or a top-level key) set, or removed when `value` is undefined. */
export function withDerpField(derp: HeadscaleDerpSection, field: string, value: unknown): HeadscaleDerpSection {
  const [a, b] = field.split('.');
  const next = { ...derp } as Record<string, unknown>;
  if (b === undefined) {
    if (value === undefined) delete next[a];
    else next[a] = value;
    return next as HeadscaleDerpSection;
  }
  const inner = { ...((next[a] as Record<string, unknown> | undefined) ?? {}) };
  if (value === undefined) delete inner[b];
  else inner[b] = value;
  next[a] = inner;
  return next as HeadscaleDerpSection;
}

/** The format a file name asks for (.json or .yaml/.yml), or null when its extension says nothing. */
export function formatForPath(path: string): MapFormat | null {
  if (/\.json$/i.test(path)) return 'json';
  if (/\.ya?ml$/i.test(path)) return 'yaml';
  return null;
}

/** The export panel's formats: the two map formats, and the headscale config snippet that points at the file. */
export type ExportFormat = MapFormat | 'headscale';

/** headscale reads derp.yaml files from `derp.paths` in its config.yaml. */
export function headscaleSnippet(path: string | undefined): string {
  return `derp:\n  paths:\n    - ${path ?? '/etc/headscale/derp.yaml'}\n  auto_update_enabled: true\n  update_frequency: 24h\n`;
}

export const useMapStore = create<MapEditorState>((set, get) => {
  let exportRequests = 0;
  const loadHsDerp = async (api: DerpdeskApi, configPath: string) => {
    try {
      const o = await api.call('map.headscaleDerp', { configPath });
      set({ hsDerp: { path: o.path, derp: o.derp, saved: o.derp, version: o.version }, hsProblems: o.problems });
    } catch (err) {
      set({ message: { kind: 'error', text: `Cannot edit the derp section: ${errorMessage(err)}` } });
    }
  };
  const hsRequest = () => {
    const { api, hsDerp } = get();
    return api && hsDerp ? { api, req: { configPath: hsDerp.path, derp: hsDerp.derp, version: hsDerp.version } } : null;
  };
  const preview = async (target: SaveTarget) => {
    const { api, map } = get();
    if (!api || !map) return;
    try {
      set({ diff: await api.call('map.diff', { ...target, map }), saveTarget: target, message: null });
    } catch (err) {
      set({ message: { kind: 'error', text: `Cannot compare with the file: ${errorMessage(err)}` } });
    }
  };
  const commit = (map: DerpMap, extra: Partial<MapEditorState> = {}) => {
    const issues = validateMap(map);
    set({ map, issues, shownIssues: withoutDismissed(issues, get().dismissedSingleNode), ...extra });
    void get().refreshExport();
  };
  /**
   * The state of a map just opened (a file, a URL, pasted text, headscale's merge, or a new one): its first region
   * selected, and nothing left over from the map before (history, a pending save, a refused id, its origins).
   */
  const fresh = (doc: MapEditorState['doc'] & object): Partial<MapEditorState> => ({
    doc,
    origins: null,
    past: [],
    future: [],
    lastEdit: null,
    selectedRegion: regionKeys(doc.map)[0] ?? null,
    selectedNode: null,
    diff: null,
    saveTarget: null,
    idDraft: null,
  });
  /** Undo and redo: the selection follows a region whose id changed back, and typing after them starts a new step. */
  const restore = (from: DerpMap, to: DerpMap, history: Pick<MapEditorState, 'past' | 'future'>) => {
    const { selectedRegion, selectedNode, idDraft } = get();
    const region = followSelection(from, to, selectedRegion);
    const node =
      region !== null && selectedNode !== null && to.Regions[region].Nodes[selectedNode] ? selectedNode : null;
    commit(to, {
      ...history,
      lastEdit: null,
      selectedRegion: region,
      selectedNode: node,
      idDraft: idDraft?.region === region ? idDraft : null,
    });
  };
  return {
    api: null,
    doc: null,
    map: null,
    issues: [],
    shownIssues: [],
    selectedRegion: null,
    selectedNode: null,
    past: [],
    future: [],
    lastEdit: null,
    message: null,
    diff: null,
    saveTarget: null,
    busy: false,
    idDraft: null,
    dismissedSingleNode: [],
    hsDerp: null,
    hsProblems: {},
    hsDiff: null,
    relayOffer: null,
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
      set({ hsDerp: null, hsProblems: {}, hsDiff: null });
      void loadHsDerp(api, configPath);
      try {
        const m = await api.call('map.headscale', { configPath });
        commit(m.map, {
          ...fresh({ map: m.map, format: 'yaml', text: '' }),
          origins: m.origins,
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
        commit(opened.map, {
          ...fresh({ map: opened.map, format: opened.format, text: opened.text, path: opened.path }),
          hsDerp: null,
          hsDiff: null,
        });
      } catch (err) {
        set({ message: { kind: 'error', text: errorMessage(err) } });
      } finally {
        set({ busy: false });
      }
    },
    newMap() {
      const map: DerpMap = { Regions: {} };
      commit(map, { ...fresh({ map, format: 'yaml', text: '' }), hsDerp: null, hsDiff: null, message: null });
    },
    select: (region, node = null) => set({ selectedRegion: region, selectedNode: node }),
    edit(mutate, field) {
      const { map, past, lastEdit } = get();
      if (!map) return;
      const next = structuredClone(map);
      mutate(next);
      commit(next, {
        past: field !== undefined && field === lastEdit ? past : [...past, map].slice(-MAX_UNDO),
        lastEdit: field ?? null,
        future: [],
        diff: null,
        saveTarget: null,
        message: null,
        relayOffer: null,
      });
    },
    undo() {
      const { map, past, future } = get();
      if (!map || past.length === 0) return;
      restore(map, past[past.length - 1], { past: past.slice(0, -1), future: [map, ...future] });
    },
    redo() {
      const { map, past, future } = get();
      if (!map || future.length === 0) return;
      restore(map, future[0], { past: [...past, map], future: future.slice(1) });
    },
    async previewSave() {
      const { doc } = get();
      if (!doc?.path) return;
      await preview({ path: doc.path, format: doc.format, baseText: doc.text, replace: false });
    },
    async previewSaveAs(path, format, replace) {
      if (!path.trim()) return set({ message: { kind: 'error', text: 'Save as: type the full path of the new file' } });
      await preview({ path: path.trim(), format, baseText: '', replace });
    },
    async save() {
      const { api, doc, map, saveTarget } = get();
      const target = saveTarget ?? (doc?.path ? { path: doc.path, format: doc.format, baseText: doc.text } : null);
      if (!api || !doc || !map || !target) return;
      try {
        const r = await api.call('map.save', { ...target, map });
        if (r.ok)
          set({
            doc: { ...doc, map, text: r.text, path: target.path, format: target.format },
            diff: null,
            saveTarget: null,
            message: {
              kind: 'ok',
              text: `Saved ${target.path}${r.backup ? ` (previous version kept as ${r.backup})` : ''}`,
            },
          });
        else set({ diff: null, saveTarget: null, message: { kind: 'error', text: r.error } });
      } catch (err) {
        set({ diff: null, saveTarget: null, message: { kind: 'error', text: `Not saved: ${errorMessage(err)}` } });
      }
    },
    cancelSave: () => set({ diff: null, saveTarget: null }),
    setRegionId(id, text) {
      const { map } = get();
      if (!map?.Regions[id]) return;
      const problem = renumberProblem(map, id, text);
      if (problem) return set({ idDraft: { region: id, text, problem } });
      set({ idDraft: null });
      const to = Number(text.trim());
      if (String(to) === id && map.Regions[id].RegionID === to) return;
      // Typing 905 renumbers through 9 and 90: one undo step for the whole id, whichever key it had on the way.
      get().edit((m) => renumberRegion(m, id, to), `renumber:${id}`);
      set({ selectedRegion: String(to), lastEdit: `renumber:${to}` });
    },
    setHsField(field, value) {
      const hs = get().hsDerp;
      if (!hs) return;
      const derp = withDerpField(hs.derp, field, value);
      set({ hsDerp: { ...hs, derp }, hsProblems: validateHeadscaleDerp(derp), hsDiff: null });
    },
    async previewHsSave() {
      const r = hsRequest();
      if (!r) return;
      try {
        set({ hsDiff: await r.api.call('map.headscaleDerpDiff', r.req) });
      } catch (err) {
        set({ message: { kind: 'error', text: `Cannot compare with ${r.req.configPath}: ${errorMessage(err)}` } });
      }
    },
    async saveHs() {
      const r = hsRequest();
      if (!r) return;
      try {
        const res = await r.api.call('map.headscaleDerpSave', r.req);
        const hs = get().hsDerp!;
        if (res.ok)
          set({
            hsDerp: { ...hs, saved: hs.derp, version: res.version },
            hsDiff: null,
            message: {
              kind: 'ok',
              text: `Saved the derp section of ${hs.path} (previous version kept as ${res.backup}); Show merged map again to see its effect`,
            },
          });
        else
          set({
            hsDiff: null,
            hsProblems: res.problems ?? get().hsProblems,
            message: { kind: 'error', text: res.error },
          });
      } catch (err) {
        set({ hsDiff: null, message: { kind: 'error', text: `Not saved: ${errorMessage(err)}` } });
      }
    },
    cancelHsSave: () => set({ hsDiff: null }),
    dismissSingleNode(regionKey) {
      const d = get().dismissedSingleNode;
      if (d.includes(regionKey)) return;
      const dismissedSingleNode = [...d, regionKey];
      set({ dismissedSingleNode, shownIssues: withoutDismissed(get().issues, dismissedSingleNode) });
    },

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
      }, `region:${id}:${field}`);
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
      }, `node:${regionId}:${index}:${field}`);
    },
    async addThisRelay() {
      const api = get().api;
      if (!api) return;
      try {
        const entry = await api.call('relay.mapEntry');
        const region = Object.values((JSON.parse(entry.json) as DerpMap).Regions)[0];
        if (!region) throw new Error('the relay has no region in its settings');
        const map = get().map;
        if (!map) return;
        // Placed on a copy first: a relay already in the map is no edit (nothing to undo).
        const placed = placeRelayRegion(structuredClone(map), region);
        if (placed.kind === 'added') get().edit((m) => placeRelayRegion(m, region));
        set({
          selectedRegion: placed.id,
          selectedNode: null,
          message: { kind: 'ok', text: placementMessage(placed) },
          relayOffer:
            placed.kind === 'added' && placed.displaced
              ? { addedId: placed.id, replaceId: placed.displaced.id, region, map: get().map! }
              : null,
        });
      } catch (err) {
        set({ message: { kind: 'error', text: `Cannot add this relay: ${errorMessage(err)}` } });
      }
    },
    replaceWithRelay() {
      const offer = relayOfferNow(get());
      if (!offer) return;
      const old = get().map!.Regions[offer.replaceId];
      get().edit((m) => {
        delete m.Regions[offer.addedId];
        m.Regions[offer.replaceId] = structuredClone(offer.region);
      });
      set({
        selectedRegion: offer.replaceId,
        message: {
          kind: 'ok',
          text: `Replaced region ${offer.replaceId} (${old?.RegionName || old?.RegionCode || 'unnamed'}) with this relay; Undo brings it back`,
        },
      });
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

export type { MapFormat };
