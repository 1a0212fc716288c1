import { memo } from 'react';
import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { HISTORY_BUCKET_MS, type HistoryBucket } from '../../../shared/monitor.js';

const BUCKET_MS = HISTORY_BUCKET_MS;
const DAY_MS = 24 * 3_600_000;
const SLOTS = DAY_MS / BUCKET_MS;

function slotClass(b: HistoryBucket | undefined): string {
  if (!b || b.ok + b.fail === 0) return 'none';
  if (b.fail === 0) return 'up';
  return b.ok === 0 ? 'down' : 'partial';
}

const clock = (t: number) => new Date(t).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

/**
 * The share of runs that passed: 0% and 100% only when none or all did (two decimals could round 99.999 up to a
 * claim of 100), two decimals between.
 */
export function availabilityText(ok: number, total: number): string | null {
  if (total === 0) return null;
  if (ok === total) return '100%';
  if (ok === 0) return '0%';
  const pct = Math.min(99.99, Math.max(0.01, (ok / total) * 100));
  return `${pct.toFixed(2)}%`;
}

/** The chart's time ticks: the local hours divisible by 6 within the day before `now` (00:00, 06:00, …). */
export function dayTicks(now: number): number[] {
  const t = new Date(now - DAY_MS);
  t.setMinutes(0, 0, 0);
  const ticks: number[] = [];
  for (t.setHours(t.getHours() + 1); t.getTime() <= now; t.setHours(t.getHours() + 1))
    if (t.getHours() % 6 === 0) ticks.push(t.getTime());
  return ticks;
}

/** The last 24 h in 5-minute slots: green when every probe passed, red when none did, amber between, grey unknown. */
export const AvailabilityStrip = memo(function AvailabilityStrip({
  buckets,
  now,
}: {
  buckets: HistoryBucket[];
  now: number;
}) {
  const end = now - (now % BUCKET_MS);
  const byT = new Map(buckets.map((b) => [b.t, b]));
  const total = buckets.reduce((n, b) => n + b.ok + b.fail, 0);
  const ok = buckets.reduce((n, b) => n + b.ok, 0);
  const pct = availabilityText(ok, total);
  return (
    <div className="availability">
      <div
        className="strip"
        role="img"
        aria-label={pct === null ? 'no results yet' : `${pct} of probes passed in 24 h`}
      >
        {Array.from({ length: SLOTS }, (_, i) => {
          const t = end - (SLOTS - 1 - i) * BUCKET_MS;
          const b = byT.get(t);
          return (
            <span
              key={t}
              className={`slot ${slotClass(b)}`}
              title={b ? `${clock(t)}: ${b.ok} passed, ${b.fail} failed` : `${clock(t)}: no result`}
            />
          );
        })}
      </div>
      <span className="muted">{pct === null ? '—' : `${pct} in 24 h`}</span>
    </div>
  );
});

/** The node's DERP round trip over the last 24 h (5-minute means). */
export const LatencyChart = memo(function LatencyChart({ buckets, now }: { buckets: HistoryBucket[]; now: number }) {
  const points = buckets.filter((b) => b.latencyMs !== null && b.t > now - DAY_MS);
  if (points.length === 0) return <p className="muted">No round trip measured yet.</p>;
  return (
    <ResponsiveContainer width="100%" height={120}>
      <LineChart data={points} margin={{ top: 4, right: 8, bottom: 0, left: 0 }}>
        <CartesianGrid stroke="var(--grid)" />
        <XAxis
          dataKey="t"
          type="number"
          domain={[now - DAY_MS, now]}
          ticks={dayTicks(now)}
          tickFormatter={clock}
          stroke="var(--muted)"
          fontSize={11}
        />
        <YAxis stroke="var(--muted)" fontSize={11} width={48} unit=" ms" />
        <Tooltip labelFormatter={(t) => clock(Number(t))} formatter={(v) => [`${Number(v)} ms`, 'round trip']} />
        <Line type="monotone" dataKey="latencyMs" stroke="var(--chart-1)" dot={false} isAnimationActive={false} />
      </LineChart>
    </ResponsiveContainer>
  );
});
