/**
 * Turns the relay's cumulative counters into one StatsSample per second, and keeps them at three resolutions for
 * as long as the app runs: 1 s for 5 minutes, 10 s for an hour, 2 min for 24 hours (STATS_WINDOWS). Aggregating
 * here keeps IPC traffic at one small message per second whatever the packet rate, and memory fixed.
 */
import { STATS_WINDOWS, type StatsSample, type StatsWindow } from '../../shared/api.js';
import type { RelayStats } from '../../shared/relay.js';

export interface CounterSnapshot {
  at: number;
  bytesIn: number;
  bytesOut: number;
  packetsIn: number;
  packetsOut: number;
  drops: number;
  clients: number;
  stunRequests: number;
}

export function snapshotOf(stats: RelayStats | null, stunRequests: number, at = Date.now()): CounterSnapshot {
  const c = stats?.counters;
  return {
    at,
    bytesIn: c?.bytesReceived ?? 0,
    bytesOut: c?.bytesSent ?? 0,
    packetsIn: c?.packetsReceived ?? 0,
    packetsOut: c?.packetsSent ?? 0,
    drops: c?.packetsDropped ?? 0,
    clients: stats?.gauges.currentConnections ?? 0,
    stunRequests,
  };
}

/** The per-second fields that a coarser step averages. */
const RATES = [
  'bytesInPerSec',
  'bytesOutPerSec',
  'packetsInPerSec',
  'packetsOutPerSec',
  'dropsPerSec',
  'stunPerSec',
] as const satisfies ReadonlyArray<keyof StatsSample>;

/** A fixed-capacity ring, oldest first. */
class Ring<T> {
  private readonly slots: T[] = [];
  private next = 0;
  constructor(readonly capacity: number) {}
  push(v: T): void {
    if (this.slots.length < this.capacity) this.slots.push(v);
    else this.slots[this.next] = v;
    this.next = (this.next + 1) % this.capacity;
  }
  toArray(): T[] {
    return this.slots.length < this.capacity
      ? [...this.slots]
      : [...this.slots.slice(this.next), ...this.slots.slice(0, this.next)];
  }
}

/** One resolution: closed steps in a ring, and the step in progress (shown too, so charts reach the present). */
class Tier {
  private readonly ring: Ring<StatsSample>;
  private open: { step: number; n: number; sample: StatsSample } | null = null;

  constructor(
    private readonly stepMs: number,
    private readonly points: number,
  ) {
    this.ring = new Ring(points);
  }

  add(s: StatsSample): void {
    // A sample's t is the end of its second: t = k * step belongs to the step that ends then.
    const step = Math.ceil(s.t / this.stepMs);
    const open = this.open;
    if (open && open.step === step) {
      const avg = open.sample;
      open.n++;
      for (const k of RATES) avg[k] += (s[k] - avg[k]) / open.n;
      avg.clients = Math.max(avg.clients, s.clients);
      avg.t = s.t;
      return;
    }
    if (open) this.ring.push(open.sample);
    this.open = { step, n: 1, sample: { ...s } };
  }

  samples(): StatsSample[] {
    const out = this.ring.toArray();
    if (this.open) out.push({ ...this.open.sample });
    return out.slice(-this.points);
  }
}

export class StatsHistory {
  private prev: CounterSnapshot | null = null;
  private readonly tiers = Object.fromEntries(
    Object.entries(STATS_WINDOWS).map(([w, { stepMs, points }]) => [w, new Tier(stepMs, points)]),
  ) as Record<StatsWindow, Tier>;

  /** Adds the rates between the previous snapshot and `now`; counters that went backwards (a restart) count from zero. */
  add(now: CounterSnapshot): StatsSample {
    const p = this.prev;
    const secs = p ? Math.max((now.at - p.at) / 1000, 0.001) : 1;
    const rate = (cur: number, before: number | undefined) =>
      (before === undefined || cur < before ? cur : cur - before) / secs;
    const sample: StatsSample = {
      t: now.at,
      bytesInPerSec: p ? rate(now.bytesIn, p.bytesIn) : 0,
      bytesOutPerSec: p ? rate(now.bytesOut, p.bytesOut) : 0,
      packetsInPerSec: p ? rate(now.packetsIn, p.packetsIn) : 0,
      packetsOutPerSec: p ? rate(now.packetsOut, p.packetsOut) : 0,
      dropsPerSec: p ? rate(now.drops, p.drops) : 0,
      clients: now.clients,
      stunPerSec: p ? rate(now.stunRequests, p.stunRequests) : 0,
    };
    this.prev = now;
    for (const tier of Object.values(this.tiers)) tier.add(sample);
    return sample;
  }

  /** The window's samples, oldest first. */
  history(window: StatsWindow): StatsSample[] {
    return this.tiers[window].samples();
  }
}
