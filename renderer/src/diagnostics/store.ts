/**
 * The diagnostics feature's state: the form (what to check, and how often), the run in progress, the report on
 * show and the history of runs. It lives outside the page so that a running check, its mode and its repeat
 * schedule survive switching pages; the app connects it once, so the progress/done events are subscribed to once
 * and not per mount of the page.
 */
import type { CheckSourceKind } from '../components/CheckSource.js';
import { create } from 'zustand';
import type {
  CheckHistoryEntry,
  CheckRequest,
  CheckSource,
  DerpdeskApi,
  ExportFormat,
  MapEntry,
} from '../../../shared/api.js';
import type { DerpMap } from '../../../shared/derpmap/model.js';
import type { RelaySettings } from '../../../shared/settings.js';
import type { CheckReport, NodeReport } from '../../../shared/diagnostics.js';
import { useMapStore } from '../map/store.js';
import { errorMessage } from '../../../shared/errors.js';

export type SourceKind = CheckSourceKind;

/** What the run form holds. */
export interface DiagnosticsForm {
  kind: SourceKind;
  value: string;
  region: string;
  /** STUN port of a relay checked by URL; empty: the default, 3478. */
  stunPort: string;
  bandwidth: boolean;
  /** Repeat the last request every so many minutes; 0: never. */
  everyMin: number;
}

export interface DiagnosticsStore extends DiagnosticsForm {
  api: DerpdeskApi | null;
  /** The run in progress, once the host has answered with its id. */
  runId: string | null;
  nodes: NodeReport[];
  report: CheckReport | null;
  /** The history entry whose report is on show, and what that run checked. */
  viewing: string | null;
  viewingLabel: string | null;
  /** A stored run to compare the one on show with, and what it checked. */
  compareWith: { label: string; report: CheckReport } | null;
  history: CheckHistoryEntry[];
  exportFormat: ExportFormat;
  exportText: string;
  /** The request of the last run started from the form (periodic runs and node re-runs repeat it). */
  lastRequest: CheckRequest | null;
  /** The region picked on the health map or in the results (its rows and marker are highlighted). */
  selectedRegion: string | null;
  error: string | null;
  /** Subscribes to the run events and loads the history; returns the unsubscribe (which also stops repeating). */
  connect(api: DerpdeskApi): () => void;
  setForm(patch: Partial<Omit<DiagnosticsForm, 'everyMin'>>): void;
  /** Sets the repeat interval and (re)starts or stops its timer. */
  setRepeat(everyMin: number): void;
  /** Runs the checks the form describes. */
  start(): Promise<void>;
  /** Checks this app's running relay through its DERP map entry (its real ports, its TLS mode). */
  checkThisRelay(): Promise<void>;
  /** Runs a request unless one is already running (a repeat never interrupts a run). */
  launch(req: CheckRequest): Promise<void>;
  rerunNode(n: NodeReport): Promise<void>;
  cancel(): Promise<void>;
  loadHistory(): Promise<void>;
  /** Shows a stored run (its report, nodes and export). */
  show(id: string): Promise<void>;
  compare(id: string): Promise<void>;
  setExportFormat(format: ExportFormat): Promise<void>;
  /** Selects a region of the run on show (null: none). */
  selectRegion(id: string | null): void;
}

/** The form's STUN port: undefined for the default, null when it is not a port. */
function stunPortOf(text: string): number | undefined | null {
  if (text.trim() === '') return undefined;
  const n = Number(text);
  return Number.isInteger(n) && (n === -1 || (n >= 1 && n <= 65535)) ? n : null;
}

/**
 * A run of this app's relay as its DERP map entry describes it: the ports it really listens on and its TLS
 * (a relay with TLS off speaks plain HTTP, which a map entry can only say through InsecureForTests).
 */
function thisRelayRequest(entry: MapEntry, settings: RelaySettings): CheckRequest {
  const map = JSON.parse(entry.json) as DerpMap;
  const node = Object.values(map.Regions)[0]?.Nodes[0];
  if (!node) throw new Error('the relay has no DERP map entry yet');
  const at = `${node.HostName.includes(':') ? `[${node.HostName}]` : node.HostName}:${node.DERPPort || 443}`;
  return {
    source: { kind: 'map', map, label: `this relay (${at})`, scheme: settings.tlsMode === 'none' ? 'http' : 'https' },
  };
}

export const useDiagnosticsStore = create<DiagnosticsStore>((set, get) => {
  let timer: ReturnType<typeof setInterval> | null = null;
  /** True between asking for a run and learning its id; events for an unknown run are held until then. */
  let launching = false;
  let early: Array<() => void> = [];
  let exportRequests = 0;
  let showRequests = 0;

  const stopTimer = () => {
    if (timer) clearInterval(timer);
    timer = null;
  };

  const onProgress = (runId: string, node: NodeReport) => {
    if (runId !== get().runId) return;
    const prev = get().nodes;
    const i = prev.findIndex((n) => n.regionId === node.regionId && n.node === node.node);
    set({ nodes: i < 0 ? [...prev, node] : prev.map((n, k) => (k === i ? node : n)) });
  };

  const onDone = (runId: string, entry: CheckHistoryEntry | null, error?: string) => {
    if (runId !== get().runId) return;
    set({ runId: null, ...(error ? { error } : {}) });
    if (entry) {
      void get().show(entry.id);
      void get().loadHistory();
    }
  };

  /** Runs an event handler now, or after the run call has answered when the event may be for that run. */
  const whenKnown = (runId: string, handle: () => void) => {
    if (launching && runId !== get().runId) early.push(handle);
    else handle();
  };

  return {
    api: null,
    kind: 'relay',
    value: '',
    region: '',
    stunPort: '',
    bandwidth: false,
    everyMin: 0,
    runId: null,
    nodes: [],
    report: null,
    viewing: null,
    viewingLabel: null,
    compareWith: null,
    history: [],
    exportFormat: 'markdown',
    exportText: '',
    lastRequest: null,
    selectedRegion: null,
    error: null,

    connect(api) {
      set({ api, error: null });
      const offs = [
        api.on('diagnostics.progress', ({ runId, node }) => whenKnown(runId, () => onProgress(runId, node))),
        api.on('diagnostics.done', ({ runId, entry, error }) => whenKnown(runId, () => onDone(runId, entry, error))),
      ];
      void get().loadHistory();
      if (get().everyMin) get().setRepeat(get().everyMin);
      return () => {
        offs.forEach((off) => off());
        stopTimer();
        if (get().api === api) set({ api: null });
      };
    },

    setForm: (patch) => set(patch),

    setRepeat(everyMin) {
      stopTimer();
      set({ everyMin });
      // The timer reads the store when it fires, so it always repeats the newest request with the current API.
      if (everyMin > 0)
        timer = setInterval(() => {
          const req = get().lastRequest;
          if (req) void get().launch(req);
        }, everyMin * 60_000);
    },

    async start() {
      const { kind, value, region, bandwidth, stunPort } = get();
      let source: CheckSource;
      if (kind === 'relay') {
        const port = stunPortOf(stunPort);
        if (port === null)
          return set({ error: 'STUN port: give 1 to 65535, -1 to skip STUN, or leave it empty for 3478' });
        source = { kind: 'relay', url: value, ...(port === undefined ? {} : { stunPort: port }) };
      } else if (kind === 'file') source = { kind: 'file', path: value };
      else if (kind === 'url') source = { kind: 'url', url: value };
      else {
        const map = useMapStore.getState().map;
        if (!map) return set({ error: 'open a map in the DERP map editor first' });
        source = { kind: 'map', map, label: 'map in the editor' };
      }
      const req: CheckRequest = {
        source,
        region: region || undefined,
        bandwidthBytes: bandwidth ? 8_000_000 : undefined,
      };
      set({ lastRequest: req });
      await get().launch(req);
    },

    async checkThisRelay() {
      const api = get().api;
      if (!api) return;
      let req: CheckRequest;
      try {
        const [entry, snapshot] = await Promise.all([api.call('relay.mapEntry'), api.call('settings.get')]);
        req = thisRelayRequest(entry, snapshot.settings);
      } catch (err) {
        return set({ error: `Could not check this relay: ${errorMessage(err)}` });
      }
      set({ lastRequest: req });
      await get().launch(req);
    },

    async launch(req) {
      const api = get().api;
      if (!api || get().runId || launching) return;
      launching = true;
      early = [];
      set({
        nodes: [],
        report: null,
        error: null,
        viewing: null,
        viewingLabel: null,
        compareWith: null,
        exportText: '',
        selectedRegion: null,
      });
      try {
        const { runId } = await api.call('diagnostics.run', req);
        set({ runId });
      } catch (err) {
        set({ error: errorMessage(err) });
      } finally {
        launching = false;
        const held = early;
        early = [];
        held.forEach((h) => h());
      }
    },

    async rerunNode(n) {
      const req = get().lastRequest;
      if (req) await get().launch({ ...req, region: String(n.regionId), node: n.node });
    },

    async cancel() {
      const { api, runId } = get();
      if (!api || !runId) return;
      try {
        await api.call('diagnostics.cancel', runId);
      } catch (err) {
        set({ error: `Could not cancel: ${errorMessage(err)}` });
      }
    },

    async loadHistory() {
      const api = get().api;
      if (!api) return;
      try {
        const history = await api.call('diagnostics.history');
        if (get().api === api) set({ history });
      } catch (err) {
        set({ error: `Could not load the history: ${errorMessage(err)}` });
      }
    },

    async show(id) {
      const api = get().api;
      if (!api) return;
      const n = ++showRequests;
      try {
        const r = await api.call('diagnostics.get', id);
        if (!r || n !== showRequests) return;
        set({
          report: r.report,
          nodes: r.report.nodes,
          viewing: id,
          viewingLabel: r.entry.label,
          compareWith: null,
          // A selection made while the run went on stays, as long as the run on show has that region.
          ...(r.report.nodes.some((x) => String(x.regionId) === get().selectedRegion) ? {} : { selectedRegion: null }),
        });
      } catch (err) {
        set({ error: `Could not load the run: ${errorMessage(err)}` });
        return;
      }
      await get().setExportFormat(get().exportFormat);
    },

    async compare(id) {
      const api = get().api;
      if (!api) return;
      try {
        const r = await api.call('diagnostics.get', id);
        if (r) set({ compareWith: { label: r.entry.label, report: r.report } });
      } catch (err) {
        set({ error: `Could not load the run to compare: ${errorMessage(err)}` });
      }
    },

    async setExportFormat(exportFormat) {
      const { api, viewing } = get();
      set({ exportFormat });
      if (!api || !viewing) return;
      const n = ++exportRequests;
      let text = '';
      try {
        text = await api.call('diagnostics.export', viewing, exportFormat);
      } catch {
        // No export for this run: the box shows nothing, as before.
      }
      if (n === exportRequests && get().viewing === viewing) set({ exportText: text });
    },

    selectRegion: (id) => set({ selectedRegion: id }),
  };
});
