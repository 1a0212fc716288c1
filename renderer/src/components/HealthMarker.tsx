/**
 * A region's health as a marker shape as well as a colour (circle ok, triangle warning, square failed), so the
 * map reads without telling colours apart; the colours are the theme's --ok, --warn and --err.
 */
export type Health = 'ok' | 'warning' | 'failed';

const LABELS: ReadonlyArray<[Health | 'unknown', string]> = [
  ['ok', 'ok'],
  ['warning', 'warning'],
  ['failed', 'failed'],
  ['unknown', 'not checked'],
];

/** The marker's shape centred on 0,0; `size` is its radius. */
export function HealthShape({ health, size }: { health: Health | undefined; size: number }) {
  if (health === 'warning') {
    const s = size * 1.25;
    return <path className="shape" d={`M0 ${-s}L${s * 0.95} ${s * 0.7}H${-s * 0.95}Z`} />;
  }
  if (health === 'failed') {
    const s = size * 0.9;
    return <rect className="shape" x={-s} y={-s} width={2 * s} height={2 * s} />;
  }
  return <circle className="shape" r={size} />;
}

export function HealthLegend() {
  return (
    <ul className="health-legend" aria-label="Marker legend" data-testid="world-legend">
      {LABELS.map(([h, label]) => (
        <li key={h} className={`health-${h}`}>
          <svg viewBox="-8 -8 16 16" width="14" height="14" aria-hidden="true">
            <HealthShape health={h === 'unknown' ? undefined : h} size={5} />
          </svg>
          {label}
        </li>
      ))}
    </ul>
  );
}
