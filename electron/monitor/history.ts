/**
 * The Monitor page's history: per node, probe results counted in 5-minute buckets (runs passed, runs failed, the
 * mean DERP round trip). Kept in the data directory, written atomically at most every `saveEveryMs`, bounded by
 * age (7 days) and by size: past `maxBytes` the oldest buckets go first.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { HISTORY_BUCKET_MS, type HistoryBucket, type NodeHistory } from '../../shared/monitor.js';
import { writeFileAtomic } from '../util/atomic-file.js';

export const BUCKET_MS = HISTORY_BUCKET_MS;
const KEEP_MS = 7 * 86_400_000;
export const DEFAULT_HISTORY_BYTES = 2 << 20;

/** [start, ok, fail, latency sum, latency count]: compact on disk. */
type Row = [number, number, number, number, number];

interface FileShape {
  version: 1;
  nodes: Array<{ regionId: number; node: string; rows: Row[] }>;
}

export interface HistoryOptions {
  maxBytes?: number;
  saveEveryMs?: number;
}

export class HistoryStore {
  private readonly file: string;
  private nodes = new Map<string, { regionId: number; node: string; rows: Row[] }>();
  private loaded = false;
  private saveTimer: ReturnType<typeof setTimeout> | null = null;
  private saving: Promise<void> = Promise.resolve();

  constructor(
    dataDir: string,
    private readonly opts: HistoryOptions = {},
  ) {
    this.file = path.join(dataDir, 'monitor-history.json');
  }

  async load(): Promise<void> {
    if (this.loaded) return;
    this.loaded = true;
    try {
      const parsed = JSON.parse(await fs.readFile(this.file, 'utf8')) as FileShape;
      if (parsed?.version !== 1 || !Array.isArray(parsed.nodes)) return;
      for (const n of parsed.nodes) {
        if (typeof n?.node !== 'string' || typeof n.regionId !== 'number' || !Array.isArray(n.rows)) continue;
        const rows = n.rows.filter((r) => Array.isArray(r) && r.length === 5 && r.every(Number.isFinite));
        this.nodes.set(`${n.regionId}/${n.node}`, { regionId: n.regionId, node: n.node, rows });
      }
    } catch {
      // A missing or unreadable history starts empty: it is a record of past probes, not settings.
    }
  }

  /** Counts one probe result of a node; `latencyMs` only for the node's own DERP round trip. */
  record(regionId: number, node: string, at: number, ok: boolean, latencyMs: number | null): void {
    const key = `${regionId}/${node}`;
    let n = this.nodes.get(key);
    if (!n) this.nodes.set(key, (n = { regionId, node, rows: [] }));
    const t = at - (at % BUCKET_MS);
    let row = n.rows.findLast((r) => r[0] === t);
    if (!row) {
      n.rows.push((row = [t, 0, 0, 0, 0]));
      // Results arrive in time order but for a late one; keep the rows sorted for the oldest-first cap.
      if (n.rows.length > 1 && n.rows[n.rows.length - 2][0] > t) n.rows.sort((a, b) => a[0] - b[0]);
    }
    if (ok) row[1]++;
    else row[2]++;
    if (ok && latencyMs !== null) {
      row[3] += latencyMs;
      row[4]++;
    }
    this.scheduleSave();
  }

  /** Every node's buckets since `since`. */
  get(since: number): NodeHistory[] {
    return [...this.nodes.values()].map((n) => ({
      regionId: n.regionId,
      node: n.node,
      buckets: n.rows.filter((r) => r[0] >= since - BUCKET_MS).map(toBucket),
    }));
  }

  /** Writes now (on stop) and waits for it. */
  async flush(): Promise<void> {
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.saveTimer = null;
    this.save();
    await this.saving;
  }

  private scheduleSave(): void {
    if (this.saveTimer) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = null;
      this.save();
    }, this.opts.saveEveryMs ?? 30_000);
    this.saveTimer.unref?.();
  }

  private save(): void {
    // One write at a time, each of the state as it is when it starts.
    // A failed write is retried with the next result; the history is a record, not state the app needs.
    this.saving = this.saving.then(() =>
      writeFileAtomic(this.file, this.serialize()).then(
        () => {},
        () => {},
      ),
    );
  }

  /** Drops what is older than 7 days, then the oldest buckets of all nodes until the text fits the cap. */
  private serialize(): string {
    const cutoff = Date.now() - KEEP_MS;
    for (const n of this.nodes.values()) n.rows = n.rows.filter((r) => r[0] >= cutoff);
    const max = this.opts.maxBytes ?? DEFAULT_HISTORY_BYTES;
    let text = this.text();
    while (Buffer.byteLength(text) > max) {
      // Keep the newest share of the bucket times that should fit (a little less, so that one pass usually does).
      const times = [...new Set([...this.nodes.values()].flatMap((n) => n.rows.map((r) => r[0])))].sort(
        (a, b) => a - b,
      );
      const keep = Math.floor(times.length * (max / Buffer.byteLength(text)) * 0.95);
      // One bucket of many nodes over the cap: kept rather than lose the present.
      if (times.length <= 1) break;
      const cutoff = times[Math.min(times.length - 1, times.length - keep)];
      for (const n of this.nodes.values()) n.rows = n.rows.filter((r) => r[0] >= cutoff);
      for (const [k, n] of this.nodes) if (n.rows.length === 0) this.nodes.delete(k);
      text = this.text();
    }
    return text;
  }

  private text(): string {
    const shape: FileShape = { version: 1, nodes: [...this.nodes.values()] };
    return JSON.stringify(shape);
  }
}

function toBucket(r: Row): HistoryBucket {
  return { t: r[0], ok: r[1], fail: r[2], latencyMs: r[4] ? Math.round((r[3] / r[4]) * 10) / 10 : null };
}
