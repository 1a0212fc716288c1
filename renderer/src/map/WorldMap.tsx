import { regionsInOrder, type DerpMap } from '../../../shared/derpmap/model.js';

const W = 720;
const H = 360;

/** Regions on an equirectangular world grid (no map tiles: the app loads nothing remote). Click a marker to edit. */
export function WorldMap({
  map,
  selected,
  onSelect,
}: {
  map: DerpMap;
  selected: string | null;
  onSelect: (id: string) => void;
}) {
  const x = (lon: number) => ((lon + 180) / 360) * W;
  const y = (lat: number) => ((90 - lat) / 180) * H;
  const placed = regionsInOrder(map).filter((r) => typeof r.Latitude === 'number' && typeof r.Longitude === 'number');
  return (
    <figure className="world">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label="Regions on a world map">
        <rect x={0} y={0} width={W} height={H} className="ocean" />
        {[-60, -30, 0, 30, 60].map((lat) => (
          <line key={`lat${lat}`} x1={0} x2={W} y1={y(lat)} y2={y(lat)} className={lat === 0 ? 'equator' : 'grid'} />
        ))}
        {[-120, -60, 0, 60, 120].map((lon) => (
          <line key={`lon${lon}`} y1={0} y2={H} x1={x(lon)} x2={x(lon)} className="grid" />
        ))}
        {placed.map((r) => {
          const id = String(r.RegionID);
          return (
            <g
              key={id}
              className={`marker ${selected === id ? 'selected' : ''}`}
              onClick={() => onSelect(id)}
              role="button"
              aria-label={`Region ${id} ${r.RegionName}`}
            >
              <circle cx={x(r.Longitude!)} cy={y(r.Latitude!)} r={selected === id ? 8 : 6} />
              <text x={x(r.Longitude!) + 10} y={y(r.Latitude!) + 4}>
                {r.RegionCode}
              </text>
            </g>
          );
        })}
      </svg>
      <figcaption className="muted">
        {placed.length} of {Object.keys(map.Regions).length} regions have coordinates.
      </figcaption>
    </figure>
  );
}
