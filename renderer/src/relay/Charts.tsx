import { memo } from 'react';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { STATS_HISTORY_SECONDS, type StatsSample } from '../../../shared/api.js';
import { formatCount, formatRate } from '../format.js';
import { useRelayStore } from './store.js';

interface Series {
  key: keyof StatsSample;
  name: string;
  color: string;
}

const CHARTS: Array<{ title: string; format: (n: number) => string; series: Series[] }> = [
  {
    title: 'Throughput',
    format: formatRate,
    series: [
      { key: 'bytesInPerSec', name: 'in', color: 'var(--chart-1)' },
      { key: 'bytesOutPerSec', name: 'out', color: 'var(--chart-2)' },
    ],
  },
  {
    title: 'Packets per second',
    format: formatCount,
    series: [
      { key: 'packetsInPerSec', name: 'in', color: 'var(--chart-1)' },
      { key: 'packetsOutPerSec', name: 'out', color: 'var(--chart-2)' },
      { key: 'dropsPerSec', name: 'drops', color: 'var(--chart-3)' },
    ],
  },
  {
    title: 'Clients and STUN',
    format: formatCount,
    series: [
      { key: 'clients', name: 'clients', color: 'var(--chart-1)' },
      { key: 'stunPerSec', name: 'STUN req/s', color: 'var(--chart-4)' },
    ],
  },
];

const timeTick = (t: number) =>
  new Date(t).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });

/** One chart; memoised so it redraws only when a new sample arrives. */
const Chart = memo(function Chart({
  samples,
  title,
  format,
  series,
}: {
  samples: StatsSample[];
  title: string;
  format: (n: number) => string;
  series: Series[];
}) {
  const end = samples.length ? samples[samples.length - 1].t : Date.now();
  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <ResponsiveContainer width="100%" height={180}>
        <LineChart data={samples} margin={{ top: 8, right: 12, bottom: 0, left: 8 }}>
          <CartesianGrid stroke="var(--grid)" strokeDasharray="3 3" />
          <XAxis
            dataKey="t"
            type="number"
            domain={[end - STATS_HISTORY_SECONDS * 1000, end]}
            tickFormatter={timeTick}
            stroke="var(--muted)"
            fontSize={11}
          />
          <YAxis tickFormatter={format} stroke="var(--muted)" fontSize={11} width={72} />
          <Tooltip
            labelFormatter={(t) => timeTick(Number(t))}
            formatter={(v) => format(Number(v))}
            isAnimationActive={false}
          />
          <Legend />
          {series.map((s) => (
            <Line
              key={s.key}
              dataKey={s.key}
              name={s.name}
              stroke={s.color}
              dot={false}
              type="linear"
              isAnimationActive={false}
              strokeWidth={1.5}
            />
          ))}
        </LineChart>
      </ResponsiveContainer>
    </figure>
  );
});

/** The last five minutes at one-second resolution. */
export function Charts() {
  const samples = useRelayStore((s) => s.samples);
  const last = samples[samples.length - 1];
  return (
    <section className="card" aria-labelledby="charts-heading" data-testid="chart-throughput">
      <div className="table-head">
        <h2 id="charts-heading">Last 5 minutes</h2>
        <span className="muted" data-testid="current-rate">
          {last
            ? `in ${formatRate(last.bytesInPerSec)} · out ${formatRate(last.bytesOutPerSec)} · ${formatCount(last.packetsOutPerSec)} packets/s · ${formatCount(last.dropsPerSec)} drops/s · ${last.clients} clients`
            : 'waiting for data'}
        </span>
      </div>
      <div className="charts">
        {CHARTS.map((c) => (
          <Chart key={c.title} samples={samples} {...c} />
        ))}
      </div>
    </section>
  );
}
