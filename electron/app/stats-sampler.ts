/**
 * Turns the relay's cumulative counters into one StatsSample per second, kept in a fixed-size ring: what the
 * charts plot. Aggregating here keeps IPC traffic at one small message per second whatever the packet rate.
 */
import { STATS_HISTORY_SECONDS, type StatsSample } from '../../shared/api.js';
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

export class StatsRing {
  private readonly slots: StatsSample[] = [];
  private next = 0;
  private prev: CounterSnapshot | null = null;

  constructor(readonly capacity = STATS_HISTORY_SECONDS) {}

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
    if (this.slots.length < this.capacity) this.slots.push(sample);
    else this.slots[this.next] = sample;
    this.next = (this.next + 1) % this.capacity;
    return sample;
  }

  /** Oldest first. */
  history(): StatsSample[] {
    return this.slots.length < this.capacity
      ? [...this.slots]
      : [...this.slots.slice(this.next), ...this.slots.slice(0, this.next)];
  }
}
