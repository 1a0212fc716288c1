import type { KeyboardEvent } from 'react';
import type { DerpMap, DerpRegion } from '../../../shared/derpmap/model.js';
import { HealthLegend, HealthShape, type Health } from '../components/HealthMarker.js';
import { worldGeometry } from '../components/world-geo.js';
import { countOf, nounFor } from '../../../shared/words.js';

export type { Health } from '../components/HealthMarker.js';

/** Room a region code needs right of its marker before it is better drawn on the left. */
const LABEL_ROOM = 56;

/**
 * Regions placed by latitude and longitude on Natural Earth land (bundled: the app loads nothing remote). A marker
 * is a button: click it, or focus it and press Enter or Space, to select the region by its key in Regions (which
 * names it even when its RegionID is wrong). `health`, when given, colours and shapes each marker by its region's
 * last check and adds a legend.
 */
export function WorldMap({
  map,
  selected,
  onSelect,
  health,
}: {
  map: DerpMap;
  selected: string | null;
  onSelect: (id: string) => void;
  health?: Record<string, Health>;
}) {
  const geo = worldGeometry();
  const regions = Object.keys(map.Regions).length;
  const placed = Object.keys(map.Regions)
    .sort((a, b) => Number(a) - Number(b))
    .filter((k) => onEarth(map.Regions[k].Latitude, map.Regions[k].Longitude));
  return (
    <figure className="world-map" data-testid="world-map">
      <svg viewBox={`0 0 ${geo.width} ${geo.height}`} role="group" aria-label="Regions on a world map">
        <g aria-hidden="true">
          <path className="sphere" d={geo.sphere} />
          <path className="graticule" d={geo.graticule} />
          <path className="land" d={geo.land} data-testid="world-land" />
        </g>
        {placed.map((k) => (
          <Marker
            key={k}
            id={k}
            region={map.Regions[k]}
            at={geo.project(map.Regions[k].Longitude!, map.Regions[k].Latitude!)}
            mapWidth={geo.width}
            selected={selected === k}
            health={health?.[k]}
            onSelect={onSelect}
          />
        ))}
      </svg>
      <figcaption className="muted">
        {placed.length} of {countOf(regions, 'region')} {nounFor(regions, 'has', 'have')} coordinates on the map.
        {health && <HealthLegend />}
      </figcaption>
    </figure>
  );
}

/** Validation reports coordinates off the globe; the map leaves them out rather than draw them somewhere. */
function onEarth(lat: number | undefined, lon: number | undefined): boolean {
  return lat !== undefined && lon !== undefined && Math.abs(lat) <= 90 && Math.abs(lon) <= 180;
}

function Marker({
  id,
  region,
  at,
  mapWidth,
  selected,
  health,
  onSelect,
}: {
  id: string;
  region: DerpRegion;
  at: [number, number];
  mapWidth: number;
  selected: boolean;
  health: Health | undefined;
  onSelect: (id: string) => void;
}) {
  const size = selected ? 10 : 7;
  const labelLeft = at[0] > mapWidth - LABEL_ROOM;
  const onKey = (e: KeyboardEvent) => {
    if (e.key !== 'Enter' && e.key !== ' ') return;
    // Space would also scroll the page.
    e.preventDefault();
    onSelect(id);
  };
  // Starts with the code drawn next to the marker, so that speech input can name what the eye sees.
  const name = `${region.RegionCode}: ${region.RegionName} (region ${id})${health ? `, ${health}` : ''}`;
  return (
    <g
      className={`marker health-${health ?? 'unknown'}${selected ? ' selected' : ''}`}
      transform={`translate(${at[0].toFixed(1)} ${at[1].toFixed(1)})`}
      role="button"
      tabIndex={0}
      aria-pressed={selected}
      aria-label={name}
      data-region={id}
      onClick={() => onSelect(id)}
      onKeyDown={onKey}
    >
      <title>{name}</title>
      <circle className="focus-ring" r={size + 5} />
      <HealthShape health={health} size={size} />
      <text x={labelLeft ? -(size + 4) : size + 4} y={6} textAnchor={labelLeft ? 'end' : 'start'}>
        {region.RegionCode}
      </text>
    </g>
  );
}
