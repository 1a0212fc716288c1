/**
 * The latency-over-time chart's data. A series is one region of one target: region 900 of two different relays
 * checked by URL are different relays, so their points must never join into one line.
 */
import type { CheckHistoryEntry } from '../../../shared/api.js';
import { regionLabel } from '../../../shared/diagnostics.js';

export interface LatencySeries {
  /** The data key of the series (s0, s1...): labels hold dots and colons, which chart data keys read as paths. */
  key: string;
  /** The legend: region code and name, and the target. */
  name: string;
}

export interface LatencyChart {
  series: LatencySeries[];
  /** One row per run, oldest first: `t` and the latency of each series the run measured. */
  rows: Array<Record<string, number>>;
  /**
   * The time axis's ticks: the times of runs, at most MAX_TICKS spread evenly. The chart's own ticks fall between
   * runs, so runs seconds apart gave five ticks all reading the same second.
   */
  ticks: number[];
}

const MAX_TICKS = 6;

function timeTicks(times: number[]): number[] {
  const distinct = [...new Set(times)];
  if (distinct.length <= MAX_TICKS) return distinct;
  const step = (distinct.length - 1) / (MAX_TICKS - 1);
  return Array.from({ length: MAX_TICKS }, (_, i) => distinct[Math.round(i * step)]);
}

function regionName(h: CheckHistoryEntry, id: string): string {
  const r = h.regionNames?.[id];
  return r ? regionLabel(r) : `region ${id}`;
}

export function latencyChart(history: CheckHistoryEntry[]): LatencyChart {
  const runs = [...history].reverse().filter((h) => h.regionLatencyMs && Object.keys(h.regionLatencyMs).length);
  const byTargetRegion = new Map<string, LatencySeries>();
  const rows = runs.map((h) => {
    const row: Record<string, number> = { t: h.startedAt };
    for (const [id, ms] of Object.entries(h.regionLatencyMs!)) {
      const id2 = JSON.stringify([h.label, id]);
      let s = byTargetRegion.get(id2);
      if (!s) {
        s = { key: `s${byTargetRegion.size}`, name: `${regionName(h, id)} · ${h.label}` };
        byTargetRegion.set(id2, s);
      }
      row[s.key] = ms;
    }
    return row;
  });
  return { series: [...byTargetRegion.values()], rows, ticks: timeTicks(rows.map((r) => r.t)) };
}
