import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { useShallow } from 'zustand/react/shallow';
import type { CheckHistoryEntry } from '../../../shared/api.js';
import { runTally } from '../../../shared/diagnostics.js';
import { latencyChart } from './latency-series.js';
import { useDiagnosticsStore } from './store.js';

/** The stored runs: show one, compare one with the run on show, and latency over time. */
export function History() {
  const { history, viewing, viewingLabel, hasReport, show, compare } = useDiagnosticsStore(
    useShallow((s) => ({
      history: s.history,
      viewing: s.viewing,
      viewingLabel: s.viewingLabel,
      hasReport: s.report !== null,
      show: s.show,
      compare: s.compare,
    })),
  );
  return (
    <section className="card" aria-label="History">
      <h2>History</h2>
      {history.length === 0 ? (
        <p className="muted">No runs yet.</p>
      ) : (
        <ul className="history" data-testid="diag-history">
          {history.map((h) => (
            <li key={h.id}>
              <button
                type="button"
                className="link"
                onClick={() => void show(h.id)}
                aria-current={viewing === h.id ? 'true' : undefined}
              >
                {new Date(h.startedAt).toLocaleString()} · {h.label} · {runTally(h)}
              </button>
              {hasReport && viewing !== h.id && h.label === viewingLabel && (
                <button type="button" className="compare" onClick={() => void compare(h.id)}>
                  compare with shown run
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      <LatencyOverTime history={history} />
    </section>
  );
}

/** Best latency per region and target across the stored runs, oldest first. */
function LatencyOverTime({ history }: { history: CheckHistoryEntry[] }) {
  const { series, rows, ticks } = latencyChart(history);
  if (rows.length < 2) return null;
  // Runs over more than a day need the date on the axis, not only the time of day.
  const overDays = ticks[ticks.length - 1] - ticks[0] > 20 * 3_600_000;
  const tickText = (t: number) =>
    overDays
      ? new Date(t).toLocaleString([], { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' })
      : new Date(t).toLocaleTimeString();
  const colors = ['var(--chart-1)', 'var(--chart-2)', 'var(--chart-3)', 'var(--chart-4)'];
  return (
    <figure className="chart" data-testid="diag-latency-chart">
      <figcaption>Latency by region over time (ms)</figcaption>
      <ResponsiveContainer width="100%" height={200}>
        <LineChart data={rows}>
          <CartesianGrid stroke="var(--grid)" strokeDasharray="3 3" />
          <XAxis
            dataKey="t"
            type="number"
            domain={['dataMin', 'dataMax']}
            ticks={ticks}
            tickFormatter={tickText}
            stroke="var(--muted)"
            fontSize={11}
          />
          <YAxis stroke="var(--muted)" fontSize={11} />
          <Tooltip labelFormatter={(t) => new Date(Number(t)).toLocaleString()} isAnimationActive={false} />
          <Legend />
          {series.map((s, i) => (
            <Line
              key={s.key}
              dataKey={s.key}
              name={s.name}
              stroke={colors[i % colors.length]}
              connectNulls
              dot={rows.length < 20}
              isAnimationActive={false}
              type="linear"
            />
          ))}
        </LineChart>
      </ResponsiveContainer>
    </figure>
  );
}
