/**
 * The Monitor page's state: what to monitor, the monitor's latest snapshot (from its events), the per-node
 * history, and the notices of nodes that started failing or recovered (shown as banners when the notifier cannot
 * show them). It lives outside the page, connected once, so notices arrive on any page.
 */
import type { CheckSourceKind } from '../components/CheckSource.js';
import { create } from 'zustand';
import type { CheckRequest, CheckSource, DerpdeskApi, MonitorRequest } from '../../../shared/api.js';
import type { MonitorSnapshot, MonitorTransition, NodeHistory, NodeState } from '../../../shared/monitor.js';
import { errorMessage } from '../../../shared/errors.js';
import { useDiagnosticsStore } from '../diagnostics/store.js';
import { useMapStore } from '../map/store.js';
import { notifier } from './notifier.js';

export type MonitorSourceKind = CheckSourceKind;

export interface MonitorForm {
  kind: MonitorSourceKind;
  value: string;
  region: string;
  intervalSec: number;
}

/** The strip and the chart cover a day. */
export const HISTORY_HOURS = 24;
/** History is fetched again at most this often while the monitor runs. */
const HISTORY_REFRESH_MS = 30_000;
/** Banners kept on the page; older ones give way. */
const MAX_BANNERS = 5;

export interface MonitorStore extends MonitorForm {
  api: DerpdeskApi | null;
  snapshot: MonitorSnapshot | null;
  history: NodeHistory[];
  banners: MonitorTransition[];
  busy: boolean;
  error: string | null;
  connect(api: DerpdeskApi): () => void;
  setForm(patch: Partial<MonitorForm>): void;
  start(): Promise<void>;
  stop(): Promise<void>;
  load(): Promise<void>;
  loadHistory(): Promise<void>;
  dismiss(index: number): void;
  /** Opens the Diagnostics page running the full checks of this node. */
  diagnose(node: Pick<NodeState, 'regionId' | 'node'>): void;
}

function sourceOf(f: MonitorForm): CheckSource | string {
  if (f.kind === 'editor') {
    const map = useMapStore.getState().map;
    return map ? { kind: 'map', map, label: 'map in the editor' } : 'open a map in the DERP map editor first';
  }
  if (!f.value.trim()) return 'name a relay URL, a map file or a map URL';
  if (f.kind === 'relay') return { kind: 'relay', url: f.value.trim() };
  if (f.kind === 'file') return { kind: 'file', path: f.value.trim() };
  return { kind: 'url', url: f.value.trim() };
}

/** The form that names a running monitor's source, for a page that did not start it. */
function formOf(source: CheckSource): Pick<MonitorForm, 'kind' | 'value'> | null {
  switch (source.kind) {
    case 'map':
      return { kind: 'editor', value: '' };
    case 'file':
      return { kind: 'file', value: source.path };
    case 'url':
    case 'relay':
      return { kind: source.kind, value: source.url };
    default:
      return null;
  }
}

/** How long a run the user replaces may take to end before the node's run is launched anyway (and refused). */
const CANCEL_WAIT_MS = 10_000;

/** Resolves when the Diagnostics page's run has ended, or after CANCEL_WAIT_MS. */
function diagnosticsRunEnded(): Promise<void> {
  return new Promise((resolve) => {
    const finish = () => {
      clearTimeout(timer);
      off();
      resolve();
    };
    const timer = setTimeout(finish, CANCEL_WAIT_MS);
    const off = useDiagnosticsStore.subscribe((s) => {
      if (s.runId === null) finish();
    });
  });
}

/**
 * Runs the node's full checks on the Diagnostics page (its store shows the progress). A run still going there, which
 * would make the store refuse this one, is cancelled first: the click asked for this node.
 */
async function diagnoseNode(req: CheckRequest): Promise<void> {
  const diag = useDiagnosticsStore.getState();
  if (diag.runId) {
    const ended = diagnosticsRunEnded();
    await diag.cancel();
    await ended;
  }
  await useDiagnosticsStore.getState().launch(req);
}

export const useMonitorStore = create<MonitorStore>((set, get) => {
  let lastHistoryAt = 0;

  // A click on a notice of a failing node runs its diagnostics; on a recovery, it shows the Monitor page.
  const open = (t: MonitorTransition) => () => {
    if (t.to === 'failing') get().diagnose(t);
    else window.location.hash = '#monitor';
  };

  const onTransition = (t: MonitorTransition) => {
    if (notifier().notify(t, open(t))) return;
    set({ banners: [t, ...get().banners].slice(0, MAX_BANNERS) });
  };

  const onUpdate = (snapshot: MonitorSnapshot) => {
    set({ snapshot });
    const known = new Set(get().history.map((h) => `${h.regionId}/${h.node}`));
    const unseen = snapshot.nodes.some((n) => n.status !== 'unknown' && !known.has(`${n.regionId}/${n.node}`));
    // A node without a strip yet gets one as soon as it has results; the rest every so often.
    if (unseen || Date.now() - lastHistoryAt > HISTORY_REFRESH_MS || !snapshot.running) void get().loadHistory();
  };

  return {
    api: null,
    kind: 'file',
    value: '',
    region: '',
    intervalSec: 15,
    snapshot: null,
    history: [],
    banners: [],
    busy: false,
    error: null,

    connect(api) {
      set({ api, error: null });
      const offs = [api.on('monitor.update', onUpdate), api.on('monitor.transition', onTransition)];
      void get().load();
      return () => {
        offs.forEach((off) => off());
        if (get().api === api) set({ api: null });
      };
    },

    setForm: (patch) => set(patch),

    async start() {
      const api = get().api;
      if (!api || get().busy) return;
      const source = sourceOf(get());
      if (typeof source === 'string') return set({ error: source });
      const request: MonitorRequest = {
        source,
        intervalSec: get().intervalSec,
        ...(get().region.trim() ? { region: get().region.trim() } : {}),
      };
      set({ busy: true, error: null });
      try {
        set({ snapshot: await api.call('monitor.start', request) });
        void get().loadHistory();
      } catch (err) {
        set({ error: `Could not start monitoring: ${errorMessage(err)}` });
      } finally {
        set({ busy: false });
      }
    },

    async stop() {
      const api = get().api;
      if (!api) return;
      try {
        set({ snapshot: await api.call('monitor.stop') });
      } catch (err) {
        set({ error: `Could not stop monitoring: ${errorMessage(err)}` });
      }
    },

    async load() {
      const api = get().api;
      if (!api) return;
      try {
        const snapshot = await api.call('monitor.status');
        if (get().api !== api) return;
        set({ snapshot });
        // A form left empty shows what runs, so that Restart restarts it.
        const form = snapshot.source && !get().value.trim() ? formOf(snapshot.source) : null;
        // Every probe of a session runs at its interval; the map probe always exists.
        const every = snapshot.probes.find((p) => p.class === 'derp_map')?.intervalMs;
        if (form) set({ ...form, ...(every ? { intervalSec: Math.round(every / 1000) } : {}) });
      } catch (err) {
        set({ error: `Could not load the monitor's state: ${errorMessage(err)}` });
      }
      await get().loadHistory();
    },

    async loadHistory() {
      const api = get().api;
      if (!api) return;
      lastHistoryAt = Date.now();
      try {
        const history = await api.call('monitor.history', HISTORY_HOURS);
        if (get().api === api) set({ history });
      } catch (err) {
        set({ error: `Could not load the history: ${errorMessage(err)}` });
      }
    },

    dismiss: (index) => set({ banners: get().banners.filter((_, i) => i !== index) }),

    diagnose(node) {
      // The snapshot names its source, so this works on any page that shows the monitor, not only the starter's.
      const source = get().snapshot?.source;
      if (source) void diagnoseNode({ source, region: String(node.regionId), node: node.node });
      window.location.hash = '#diagnostics';
    },
  };
});
