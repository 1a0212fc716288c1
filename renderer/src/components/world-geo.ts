/**
 * The world map's geometry, computed once from Natural Earth's 1:110m land outline (world-atlas, 55 kB of TopoJSON
 * bundled into the renderer: the app loads nothing remote). Natural Earth projection fitted to a fixed width, so
 * the SVG's viewBox is the sphere's outline plus a margin and lon 0 / lat 0 lands in its middle.
 */
import { geoGraticule10, geoNaturalEarth1, geoPath, type GeoProjection } from 'd3-geo';
import { feature } from 'topojson-client';
import type { GeometryCollection, Topology } from 'topojson-specification';
import land110m from 'world-atlas/land-110m.json';

export const WORLD_WIDTH = 720;
export const WORLD_MARGIN = 4;

export interface WorldGeometry {
  width: number;
  height: number;
  /** SVG path data: the globe's outline, the 10° graticule and the land. */
  sphere: string;
  graticule: string;
  land: string;
  /** [x, y] in viewBox units for a longitude and latitude in degrees. */
  project(lon: number, lat: number): [number, number];
}

let cached: WorldGeometry | null = null;

export function worldGeometry(): WorldGeometry {
  cached ??= build();
  return cached;
}

function build(): WorldGeometry {
  const sphere = { type: 'Sphere' } as const;
  const projection: GeoProjection = geoNaturalEarth1().fitWidth(WORLD_WIDTH - 2 * WORLD_MARGIN, sphere);
  const [[, top], [, bottom]] = geoPath(projection).bounds(sphere);
  const [tx, ty] = projection.translate();
  projection.translate([tx + WORLD_MARGIN, ty - top + WORLD_MARGIN]);
  const path = geoPath(projection);
  const topo = land110m as unknown as Topology<{ land: GeometryCollection }>;
  return {
    width: WORLD_WIDTH,
    height: Math.ceil(bottom - top + 2 * WORLD_MARGIN),
    sphere: path(sphere) ?? '',
    graticule: path(geoGraticule10()) ?? '',
    land: path(feature(topo, topo.objects.land)) ?? '',
    project: (lon, lat) => projection([lon, lat]) ?? [NaN, NaN],
  };
}
