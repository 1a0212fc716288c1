/**
 * Dashboard state. Fast data (stats samples, peer snapshots) arrives about once a second; each arrival is one
 * store update. The stats history is a fixed-size ring kept outside React and copied once per sample.
 */
import { create } from 'zustand';
import { STATS_HISTORY_SECONDS, type DerpdeskApi, type MapEntry, type PeerInfo, type RelayState, type SettingsSnapshot, type StatsSample } from '../../../shared/api.js';

export interface PeerRow extends PeerInfo {
  /** Bytes per second in + out since the previous snapshot. */
  rate: number;
}

export interface RelayStore {
  api: DerpdeskApi | null;
  state: RelayState;
  settings: SettingsSnapshot | null;
  peers: PeerRow[];
  samples: StatsSample[];
  mapEntry: MapEntry | null;
  busy: boolean;
  error: string | null;
  connect(api: DerpdeskApi): Promise<() => void>;
  toggle(): Promise<void>;
  refreshMapEntry(): Promise<void>;
  setSettings(s: SettingsSnapshot): void;
}

/** Fixed-size history, oldest first. */
export class SampleRing {
  private buf: StatsSample[] = [];
  constructor(readonly capacity = STATS_HISTORY_SECONDS) {}
  push(s: StatsSample): StatsSample[] {
    this.buf.push(s);
    if (this.buf.length > this.capacity) this.buf.splice(0, this.buf.length - this.capacity);
    return this.buf.slice();
  }
  reset(all: StatsSample[]): StatsSample[] {
    this.buf = all.slice(-this.capacity);
    return this.buf.slice();
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

export const useRelayStore = create<RelayStore>((set, get) => {
  const ring = new SampleRing();
  const rates = new PeerRates();
  return {
    api: null,
    state: { status: 'stopped' },
    settings: null,
    peers: [],
    samples: [],
    mapEntry: null,
    busy: false,
    error: null,
    async connect(api) {
      set({ api });
      const offs = [
        api.on('relay.state', (state) => {
          set({ state });
          void get().refreshMapEntry();
        }),
        api.on('stats.sample', (s) => set({ samples: ring.push(s) })),
        api.on('peers.snapshot', (p) => set({ peers: rates.apply(p, Date.now()) })),
      ];
      const [state, settings, history, peers] = await Promise.all([api.call('relay.getState'), api.call('settings.get'), api.call('stats.history'), api.call('peers.list')]);
      set({ state, settings, samples: ring.reset(history), peers: rates.apply(peers, Date.now()) });
      await get().refreshMapEntry();
      return () => offs.forEach((off) => off());
    },
    async toggle() {
      const { api, state } = get();
      if (!api) return;
      set({ busy: true, error: null });
      try {
        const running = state.status === 'running' || state.status === 'starting';
        set({ state: await api.call(running ? 'relay.stop' : 'relay.start') });
      } catch (err) {
        set({ error: (err as Error).message });
      } finally {
        set({ busy: false });
      }
    },
    async refreshMapEntry() {
      const api = get().api;
      if (api) set({ mapEntry: await api.call('map.entry') });
    },
    setSettings(settings) {
      set({ settings });
      void get().refreshMapEntry();
    },
  };
});
