/**
 * Dashboard state. Fast data (stats samples, peer snapshots) arrives about once a second; each arrival is one
 * store update. The stats history is a fixed-size ring kept outside React; the store gets one oldest-first copy
 * per sample, which is what the charts plot.
 */
import { create } from 'zustand';
import { STATS_HISTORY_SECONDS, type DerpdeskApi, type MapEntry, type PeerInfo, type RelayState, type SettingsSnapshot, type StatsSample } from '../../../shared/api.js';

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
  samples: StatsSample[];
  mapEntry: MapEntry | null;
  busy: boolean;
  error: string | null;
  /** Subscribes to the events and loads everything; returns the unsubscribe. */
  connect(api: DerpdeskApi): () => void;
  /** Fetches state, settings, history and peers again (after the bridge reconnects). */
  reload(): Promise<void>;
  toggle(): Promise<void>;
  refreshMapEntry(): Promise<void>;
  setSettings(s: SettingsSnapshot): void;
}

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

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

export const useRelayStore = create<RelayStore>((set, get) => {
  let ring = new SampleRing();
  let rates = new PeerRates();
  /** Bumped by every relay.state / peers.snapshot event, so a slower fetch does not overwrite a newer event. */
  let stateEvents = 0;
  let peerEvents = 0;
  let mapRequests = 0;

  return {
    api: null,
    ready: false,
    state: { status: 'stopped' },
    settings: null,
    peers: [],
    samples: [],
    mapEntry: null,
    busy: false,
    error: null,

    connect(api) {
      ring = new SampleRing();
      rates = new PeerRates();
      set({ api, ready: false, error: null, samples: [], peers: [], mapEntry: null });
      const offs = [
        api.on('relay.state', (state) => {
          stateEvents++;
          set({ state });
          void get().refreshMapEntry();
        }),
        api.on('stats.sample', (s) => set({ samples: ring.push(s) })),
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

    async reload() {
      const api = get().api;
      if (!api) return;
      const s0 = stateEvents;
      const p0 = peerEvents;
      try {
        const [state, settings, history, peers] = await Promise.all([api.call('relay.getState'), api.call('settings.get'), api.call('stats.history'), api.call('peers.list')]);
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
        if (get().api === api) set({ error: `Could not load the relay's state: ${message(err)}` });
        return;
      }
      await get().refreshMapEntry();
    },

    async toggle() {
      const { api, state, busy } = get();
      if (!api || busy) return;
      set({ busy: true, error: null });
      try {
        const running = state.status === 'running' || state.status === 'starting';
        set({ state: await api.call(running ? 'relay.stop' : 'relay.start') });
      } catch (err) {
        set({ error: message(err) });
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
        const mapEntry = await api.call('map.entry');
        // Only the newest request's answer counts.
        if (n === mapRequests && get().api === api) set({ mapEntry });
      } catch {
        // Keep the previous entry; the next state change asks again.
      }
    },

    setSettings(settings) {
      set({ settings });
      void get().refreshMapEntry();
    },
  };
});
