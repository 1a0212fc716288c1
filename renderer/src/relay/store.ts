/**
 * The relay feature's state: the relay, its settings, stats, peers, map entry, mesh/access (trust) data and the
 * allowlist, with every call to the host the relay page makes. Fast data (stats samples, peer snapshots) arrives
 * about once a second; each arrival is one store update. The stats history is a fixed-size ring kept outside
 * React; the store gets one oldest-first copy per sample, which is what the charts plot.
 */
import { create, type StoreApi } from 'zustand';
import {
  STATS_HISTORY_SECONDS,
  STATS_WINDOWS,
  type AllowListFile,
  type DerpdeskApi,
  type MapEntry,
  type PeerInfo,
  type RelayCertificate,
  type RelayState,
  type SettingsSnapshot,
  type StatsSample,
  type StatsWindow,
  type TrustSnapshot,
} from '../../../shared/api.js';
import type { RelaySettings, SettingsErrors } from '../../../shared/settings.js';
import { errorMessage } from '../../../shared/errors.js';

export interface PeerRow extends PeerInfo {
  /** Bytes per second in + out since the previous snapshot (0 for a peer seen for the first time). */
  rate: number;
}

export interface RelayStore {
  api: DerpdeskApi | null;
  /** True once the first state, settings and history have arrived from the host. */
  ready: boolean;
  state: RelayState;
  settings: SettingsSnapshot | null;
  peers: PeerRow[];
  /** The last five minutes at 1 s, fed by the stats.sample event: the current rates and the 5 min chart. */
  samples: StatsSample[];
  /** The window the charts show; for 1 h and 24 h, `windowSamples` holds the host's samples of it. */
  chartWindow: StatsWindow;
  windowSamples: StatsSample[];
  mapEntry: MapEntry | null;
  /** The certificate the running relay serves (null: stopped, plain HTTP, or not loaded). */
  certificate: RelayCertificate | null;
  busy: boolean;
  error: string | null;
  /** Mesh links, refused clients and forwarding counters; refreshed on pushed events (see TRUST_REFRESH_MS). */
  trust: TrustSnapshot | null;
  trustError: string | null;
  /** The allowlist file named in the settings (null: none configured, or not loaded yet). */
  allowList: AllowListFile | null;
  allowListSave: SaveOutcome<string[]>;
  settingsSave: SaveOutcome<SettingsErrors>;
  /** The last "make the map entry usable" change: saving it, and restarting a running relay with it. */
  entryFix: SaveOutcome<never>;
  /** Subscribes to the events and loads everything; returns the unsubscribe. */
  connect(api: DerpdeskApi): () => void;
  /** Fetches state, settings, history and peers again (after the bridge reconnects). */
  reload(): Promise<void>;
  toggle(): Promise<void>;
  /** Shows another window; its history comes from the host, refreshed as its coarser steps complete. */
  setChartWindow(w: StatsWindow): Promise<void>;
  refreshMapEntry(): Promise<void>;
  refreshCertificate(): Promise<void>;
  /** Saves the settings the map entry proposes (mapEntry.fix) and restarts the relay if it runs. */
  applyEntryFix(): Promise<void>;
  setSettings(s: SettingsSnapshot): void;
  /** Saves the settings form; the outcome (confirmation, field errors or failure) lands in `settingsSave`. */
  saveSettings(draft: RelaySettings): Promise<void>;
  /** Forgets the last save's outcome (the user edits again). */
  clearSettingsSave(): void;
  refreshTrust(): Promise<void>;
  loadAllowList(): Promise<void>;
  saveAllowList(text: string): Promise<void>;
  clearAllowListSave(): void;
}

/** What a form's last save came to: `problems` are the host's objections, `error` a failed call. */
export interface SaveOutcome<P> {
  saving: boolean;
  saved: string | null;
  problems: P | null;
  error: string | null;
}

const NOT_SAVED = { saving: false, saved: null, problems: null, error: null } as const;

/**
 * The host has no trust event; its data changes with clients and mesh links, which only exist while the relay
 * runs. So instead of a polling timer of its own, the store refreshes trust when the relay's state changes and,
 * while it runs, on the stats.sample event it pushes every second, at most once per this many milliseconds.
 */
export const TRUST_REFRESH_MS = 2000;
/** The certificate changes by the day, or when Let's Encrypt issues one: a look a minute is plenty. */
export const CERT_REFRESH_MS = 60_000;

/** Fixed-capacity ring of samples; `toArray()` is oldest first. */
export class SampleRing {
  private buf: Array<StatsSample | undefined>;
  private head = 0; // index of the oldest sample
  private size = 0;
  constructor(readonly capacity = STATS_HISTORY_SECONDS) {
    this.buf = new Array<StatsSample | undefined>(capacity);
  }
  get length(): number {
    return this.size;
  }
  get last(): StatsSample | undefined {
    return this.size ? this.buf[(this.head + this.size - 1) % this.capacity] : undefined;
  }
  /** Adds a sample (dropping the oldest when full) and returns the contents. */
  push(s: StatsSample): StatsSample[] {
    if (this.size < this.capacity) {
      this.buf[(this.head + this.size) % this.capacity] = s;
      this.size++;
    } else {
      this.buf[this.head] = s;
      this.head = (this.head + 1) % this.capacity;
    }
    return this.toArray();
  }
  /**
   * Replaces the contents with a history fetched from the host, keeping samples that arrived as events after
   * the history was taken.
   */
  reset(history: StatsSample[]): StatsSample[] {
    const lastT = history.length ? history[history.length - 1].t : -Infinity;
    const newer = this.toArray().filter((s) => s.t > lastT);
    this.buf = new Array<StatsSample | undefined>(this.capacity);
    this.head = 0;
    this.size = 0;
    const all = history.concat(newer);
    for (const s of all.slice(-this.capacity)) this.push(s);
    return this.toArray();
  }
  toArray(): StatsSample[] {
    const out = new Array<StatsSample>(this.size);
    for (let i = 0; i < this.size; i++) out[i] = this.buf[(this.head + i) % this.capacity]!;
    return out;
  }
}

/**
 * The samples the charts draw for the chosen window. Until the 5-minute ring has filled it holds every sample since
 * the app started, at a finer step than a coarse window, whose first minutes would be one or two points: too few to
 * draw a line.
 */
export function chartSamples({
  chartWindow,
  samples,
  windowSamples,
}: Pick<RelayStore, 'chartWindow' | 'samples' | 'windowSamples'>): StatsSample[] {
  return chartWindow === '5m' || samples.length < STATS_WINDOWS['5m'].points ? samples : windowSamples;
}

/** Adds per-peer byte rates from the difference with the previous snapshot (matched by connection id). */
export class PeerRates {
  private prev = new Map<number, { bytes: number; at: number }>();
  apply(peers: PeerInfo[], at: number): PeerRow[] {
    const next = new Map<number, { bytes: number; at: number }>();
    const rows = peers.map((p) => {
      const bytes = p.bytesIn + p.bytesOut;
      const before = this.prev.get(p.id);
      next.set(p.id, { bytes, at });
      const dt = before ? (at - before.at) / 1000 : 0;
      return { ...p, rate: before && dt > 0 ? Math.max(0, bytes - before.bytes) / dt : 0 };
    });
    this.prev = next;
    return rows;
  }
}

export const useRelayStore = create<RelayStore>((set, get) => {
  let ring = new SampleRing();
  let rates = new PeerRates();
  /** Bumped by every relay.state / peers.snapshot event, so a slower fetch does not overwrite a newer event. */
  let stateEvents = 0;
  let peerEvents = 0;
  let mapRequests = 0;
  let trustAsked = -Infinity;
  let certAsked = -Infinity;
  let trustInFlight = false;
  let windowAsked = -Infinity;
  let windowRequests = 0;

  /** Fetches a coarse window's history; only the newest request's answer counts, and only for the window shown. */
  async function loadWindow(w: StatsWindow): Promise<void> {
    const api = get().api;
    if (!api) return;
    const n = ++windowRequests;
    windowAsked = Date.now();
    try {
      const windowSamples = await api.call('stats.history', w);
      if (n === windowRequests && get().api === api && get().chartWindow === w) set({ windowSamples });
    } catch {
      // The chart keeps what it has; the next sample asks again once a step has passed.
    }
  }

  return {
    api: null,
    ready: false,
    state: { status: 'stopped' },
    settings: null,
    peers: [],
    samples: [],
    chartWindow: '5m',
    windowSamples: [],
    mapEntry: null,
    certificate: null,
    busy: false,
    error: null,
    trust: null,
    trustError: null,
    allowList: null,
    allowListSave: NOT_SAVED,
    settingsSave: NOT_SAVED,
    entryFix: NOT_SAVED,

    connect(api) {
      ring = new SampleRing();
      rates = new PeerRates();
      trustAsked = -Infinity;
      certAsked = -Infinity;
      set({
        api,
        ready: false,
        error: null,
        samples: [],
        windowSamples: [],
        peers: [],
        mapEntry: null,
        certificate: null,
        trust: null,
        trustError: null,
        allowList: null,
        allowListSave: NOT_SAVED,
        settingsSave: NOT_SAVED,
        entryFix: NOT_SAVED,
      });
      const offs = [
        api.on('relay.state', (state) => {
          stateEvents++;
          set({ state });
          void get().refreshMapEntry();
          void get().refreshTrust();
          void get().refreshCertificate();
        }),
        api.on('stats.sample', (s) => {
          set({ samples: ring.push(s) });
          if (Date.now() - trustAsked >= TRUST_REFRESH_MS) void get().refreshTrust();
          if (Date.now() - certAsked >= CERT_REFRESH_MS) void get().refreshCertificate();
          const w = get().chartWindow;
          if (w !== '5m' && Date.now() - windowAsked >= STATS_WINDOWS[w].stepMs) void loadWindow(w);
        }),
        api.on('peers.snapshot', (p) => {
          peerEvents++;
          set({ peers: rates.apply(p, Date.now()) });
        }),
      ];
      void get().reload();
      return () => {
        offs.forEach((off) => off());
        if (get().api === api) set({ api: null, ready: false });
      };
    },

    ...settingsActions(set, get),
    ...entryFixActions(set, get),
    ...allowListActions(set, get),

    async reload() {
      const api = get().api;
      if (!api) return;
      const s0 = stateEvents;
      const p0 = peerEvents;
      try {
        const [state, settings, history, peers] = await Promise.all([
          api.call('relay.getState'),
          api.call('settings.get'),
          api.call('stats.history', '5m'),
          api.call('peers.list'),
        ]);
        if (get().api !== api) return;
        const prev = get().settings;
        set({
          ready: true,
          error: null,
          ...(stateEvents === s0 ? { state } : {}),
          // Same settings: keep the object, so a form with unsaved edits is not reset by a reconnect.
          ...(prev && JSON.stringify(prev) === JSON.stringify(settings) ? {} : { settings }),
          samples: ring.reset(history),
          ...(peerEvents === p0 ? { peers: rates.apply(peers, Date.now()) } : {}),
        });
      } catch (err) {
        if (get().api === api) set({ error: `Could not load the relay's state: ${errorMessage(err)}` });
        return;
      }
      const w = get().chartWindow;
      await Promise.all([
        get().refreshMapEntry(),
        get().refreshTrust(),
        get().refreshCertificate(),
        get().loadAllowList(),
        w === '5m' ? null : loadWindow(w),
      ]);
    },

    async setChartWindow(w) {
      if (w === get().chartWindow) return;
      set({ chartWindow: w, windowSamples: [] });
      if (w !== '5m') await loadWindow(w);
    },

    async toggle() {
      const { api, state, busy } = get();
      if (!api || busy) return;
      set({ busy: true, error: null });
      try {
        const running = state.status === 'running' || state.status === 'starting';
        set({ state: await api.call(running ? 'relay.stop' : 'relay.start') });
      } catch (err) {
        set({ error: errorMessage(err) });
      } finally {
        set({ busy: false });
      }
      await get().refreshMapEntry();
    },

    async refreshMapEntry() {
      const api = get().api;
      if (!api) return;
      const n = ++mapRequests;
      try {
        const mapEntry = await api.call('relay.mapEntry');
        // Only the newest request's answer counts.
        if (n === mapRequests && get().api === api) set({ mapEntry });
      } catch {
        // Keep the previous entry; the next state change asks again.
      }
    },

    async refreshCertificate() {
      const api = get().api;
      if (!api) return;
      certAsked = Date.now();
      try {
        const certificate = await api.call('relay.certificate');
        if (get().api === api) set({ certificate });
      } catch {
        // Keep what is shown; the next state change or refresh asks again.
      }
    },

    async refreshTrust() {
      const api = get().api;
      if (!api || trustInFlight) return;
      trustInFlight = true;
      trustAsked = Date.now();
      try {
        const trust = await api.call('trust.get');
        if (get().api === api) set({ trust, trustError: null });
      } catch (err) {
        if (get().api === api) set({ trustError: `Could not load the mesh and access data: ${errorMessage(err)}` });
      } finally {
        trustInFlight = false;
      }
    },
  };
});

type SetRelay = StoreApi<RelayStore>['setState'];
type GetRelay = StoreApi<RelayStore>['getState'];

/** The settings form: adopt a snapshot, save a draft, forget the last save's outcome. */
function settingsActions(
  set: SetRelay,
  get: GetRelay,
): Pick<RelayStore, 'setSettings' | 'saveSettings' | 'clearSettingsSave'> {
  return {
    setSettings(settings) {
      set({ settings });
      void get().refreshMapEntry();
      void get().loadAllowList();
    },

    async saveSettings(draft) {
      const { api, settingsSave, state } = get();
      if (!api || settingsSave.saving) return;
      set({ settingsSave: { ...NOT_SAVED, saving: true } });
      try {
        const r = await api.call('settings.save', draft);
        if (r.ok) {
          const running = state.status === 'running' || state.status === 'starting';
          set({
            settingsSave: {
              ...NOT_SAVED,
              saved: running
                ? 'Saved. Stop and start the relay to apply the changes.'
                : 'Saved. The changes apply the next time the relay starts.',
            },
          });
          get().setSettings(r.snapshot);
        } else set({ settingsSave: { ...NOT_SAVED, problems: r.errors } });
      } catch (err) {
        set({ settingsSave: { ...NOT_SAVED, error: `Not saved: ${errorMessage(err)}` } });
      }
    },

    clearSettingsSave: () => get().settingsSave !== NOT_SAVED && set({ settingsSave: NOT_SAVED }),
  };
}

/** Applies the map entry's proposed settings: save them, then restart a running relay so that they take effect. */
function entryFixActions(set: SetRelay, get: GetRelay): Pick<RelayStore, 'applyEntryFix'> {
  return {
    async applyEntryFix() {
      const { api, mapEntry, settings, state, entryFix, busy } = get();
      if (!api || !mapEntry?.fix || !settings || entryFix.saving || busy) return;
      const running = state.status === 'running' || state.status === 'starting';
      set({ entryFix: { ...NOT_SAVED, saving: true }, busy: running });
      try {
        const r = await api.call('settings.save', { ...settings.settings, ...mapEntry.fix.changes });
        if (!r.ok) {
          const why = Object.entries(r.errors).map(([k, v]) => `${k}: ${v}`);
          throw new Error(`the host refused the settings (${why.join('; ')})`);
        }
        get().setSettings(r.snapshot);
        if (running) {
          await api.call('relay.stop');
          const after = await api.call('relay.start');
          set({ state: after });
          if (after.status === 'failed') throw new Error(`saved, but the relay did not start again: ${after.error}`);
        }
        set({
          entryFix: {
            ...NOT_SAVED,
            saved: running
              ? 'Applied: the relay restarted with the new settings.'
              : 'Applied. Start the relay to serve the new entry.',
          },
        });
      } catch (err) {
        set({ entryFix: { ...NOT_SAVED, error: `Not applied: ${errorMessage(err)}` } });
      } finally {
        set({ busy: false });
      }
      await get().refreshMapEntry();
    },
  };
}

/** The allowlist file named in the settings: load it, save an edit, forget the last save's outcome. */
function allowListActions(
  set: SetRelay,
  get: GetRelay,
): Pick<RelayStore, 'loadAllowList' | 'saveAllowList' | 'clearAllowListSave'> {
  return {
    async loadAllowList() {
      const { api, settings } = get();
      if (!api) return;
      if (!settings?.settings.allowKeysFile) {
        if (get().allowList) set({ allowList: null });
        return;
      }
      try {
        const allowList = await api.call('allowlist.get');
        if (get().api === api) set({ allowList });
      } catch (err) {
        set({ allowListSave: { ...NOT_SAVED, error: `Could not read the allowlist: ${errorMessage(err)}` } });
      }
    },

    async saveAllowList(text) {
      const api = get().api;
      if (!api || get().allowListSave.saving) return;
      set({ allowListSave: { ...NOT_SAVED, saving: true } });
      try {
        const r = await api.call('allowlist.save', text);
        if (!r.ok) return set({ allowListSave: { ...NOT_SAVED, problems: r.problems } });
        const file = get().allowList;
        set({
          allowListSave: { ...NOT_SAVED, saved: 'Saved; the relay applies it within a second.' },
          ...(file ? { allowList: { ...file, text } } : {}),
        });
      } catch (err) {
        set({ allowListSave: { ...NOT_SAVED, error: `Not saved: ${errorMessage(err)}` } });
      }
    },

    clearAllowListSave: () => get().allowListSave !== NOT_SAVED && set({ allowListSave: NOT_SAVED }),
  };
}
