import { memo } from 'react';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { STATS_WINDOWS, type StatsSample, type StatsWindow } from '../../../shared/api.js';
import { Tabs } from '../components/Tabs.js';
import { counted, formatCount, formatRate } from '../format.js';
import { chartSamples, useRelayStore } from './store.js';

interface Series {
  key: keyof StatsSample;
  name: string;
  color: string;
  /** Dashed, so that a line drawn over another of the same shape still shows. */
  dashed?: boolean;
}

interface ChartSpec {
  title: string;
  format: (n: number) => string;
  series: Series[];
  /** Whole-number ticks only (a count of clients has no halves). */
  integer?: boolean;
}

const CHARTS: ChartSpec[] = [
  {
    title: 'Throughput',
    format: formatRate,
    series: [
      { key: 'bytesInPerSec', name: 'in', color: 'var(--chart-1)' },
      { key: 'bytesOutPerSec', name: 'out', color: 'var(--chart-2)', dashed: true },
    ],
  },
  {
    title: 'Packets per second',
    format: formatCount,
    series: [
      { key: 'packetsInPerSec', name: 'in', color: 'var(--chart-1)' },
      { key: 'packetsOutPerSec', name: 'out', color: 'var(--chart-2)', dashed: true },
      { key: 'dropsPerSec', name: 'drops', color: 'var(--chart-3)' },
    ],
  },
  {
    title: 'Clients and STUN',
    format: formatCount,
    integer: true,
    series: [
      { key: 'clients', name: 'clients', color: 'var(--chart-1)' },
      { key: 'stunPerSec', name: 'STUN req/s', color: 'var(--chart-4)', dashed: true },
    ],
  },
];

const WINDOW_TABS = (Object.keys(STATS_WINDOWS) as StatsWindow[]).map((id) => ({ id, label: STATS_WINDOWS[id].label }));
const TITLES: Record<StatsWindow, string> = { '5m': 'Last 5 minutes', '1h': 'Last hour', '24h': 'Last 24 hours' };

/** Tick labels must stay on one line: the axis' text wraps at spaces, and a non-breaking space is not one. */
const oneLine = (s: string) => s.replace(/ /g, '\u00a0');

function timeTick(range: StatsWindow) {
  const opts: Intl.DateTimeFormatOptions =
    range === '5m' ? { hour: '2-digit', minute: '2-digit', second: '2-digit' } : { hour: '2-digit', minute: '2-digit' };
  return (t: number) => oneLine(new Date(t).toLocaleTimeString([], opts));
}

/** One chart; memoised so it redraws only when its samples change. */
const Chart = memo(function Chart({
  samples,
  range,
  spec,
}: {
  samples: StatsSample[];
  range: StatsWindow;
  spec: ChartSpec;
}) {
  const end = samples.length ? samples[samples.length - 1].t : Date.now();
  const { stepMs, points } = STATS_WINDOWS[range];
  const tick = timeTick(range);
  return (
    <figure className="chart" data-testid={`chart-${spec.title}`}>
      <figcaption>{spec.title}</figcaption>
      <ResponsiveContainer width="100%" height={180}>
        {/* No accessibility layer: it makes each chart a tab stop that says nothing the numbers above do not. */}
        <LineChart data={samples} margin={{ top: 8, right: 12, bottom: 0, left: 0 }} accessibilityLayer={false}>
          <CartesianGrid stroke="var(--grid)" strokeDasharray="3 3" />
          <XAxis
            dataKey="t"
            type="number"
            domain={[end - stepMs * points, end]}
            tickFormatter={tick}
            stroke="var(--muted)"
            fontSize={11}
            minTickGap={24}
          />
          <YAxis
            tickFormatter={(v: number) => oneLine(spec.format(v))}
            allowDecimals={!spec.integer}
            stroke="var(--muted)"
            fontSize={11}
            width={80}
            tickCount={4}
          />
          <Tooltip
            labelFormatter={(t) => tick(Number(t))}
            formatter={(v) => spec.format(Number(v))}
            isAnimationActive={false}
          />
          <Legend />
          {spec.series.map((s) => (
            <Line
              key={s.key}
              dataKey={s.key}
              name={s.name}
              stroke={s.color}
              strokeDasharray={s.dashed ? '6 3' : undefined}
              dot={false}
              type="linear"
              isAnimationActive={false}
              strokeWidth={s.dashed ? 2 : 1.5}
            />
          ))}
        </LineChart>
      </ResponsiveContainer>
    </figure>
  );
});

/** Throughput, packets and clients over the chosen window; the current second's numbers in the heading. */
export function Charts() {
  const samples = useRelayStore((s) => s.samples);
  const range = useRelayStore((s) => s.chartWindow);
  const shown = useRelayStore(chartSamples);
  const setWindow = useRelayStore((s) => s.setChartWindow);
  const last = samples[samples.length - 1];
  return (
    <section className="card" aria-labelledby="charts-heading" data-testid="chart-throughput">
      <div className="table-head">
        <h2 id="charts-heading">{TITLES[range]}</h2>
        <Tabs
          idPrefix="chart-range"
          label="Time range"
          options={WINDOW_TABS}
          value={range}
          onChange={(w) => void setWindow(w)}
        />
        <span className="muted" data-testid="current-rate">
          {last
            ? `in ${formatRate(last.bytesInPerSec)} · out ${formatRate(last.bytesOutPerSec)} · ${formatCount(last.packetsOutPerSec)} packets/s · ${formatCount(last.dropsPerSec)} drops/s · ${counted(last.clients, 'client')}`
            : 'waiting for data'}
        </span>
      </div>
      <div className="charts" id="chart-range-panel" role="tabpanel" aria-labelledby={`chart-range-tab-${range}`}>
        {CHARTS.map((c) => (
          <Chart key={c.title} samples={shown} range={range} spec={c} />
        ))}
      </div>
    </section>
  );
}
