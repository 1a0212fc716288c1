/**
 * Between plain objects (parsed JSON or YAML) and the DerpMap model. Keys are matched case-insensitively on
 * read, as Go's encoding/json does; unknown keys land in `extra` and are written back unchanged.
 */
import {
  NODE_FIELDS,
  REGION_FIELDS,
  type DerpMap,
  type DerpNode,
  type DerpRegion,
} from '../../shared/derpmap/model.js';

/** How a format spells the model's field names. */
export type Naming = (field: string) => string;

/** Tailscale JSON: the Go field names, except tailcfg's `omitDefaultRegions` tag. */
export const jsonNaming: Naming = (f) => (f === 'OmitDefaultRegions' ? 'omitDefaultRegions' : f);
/** headscale derp.yaml: yaml.v3's default, the field name lower-cased. */
export const yamlNaming: Naming = (f) => f.toLowerCase();

export class MapShapeError extends Error {}

type Plain = Record<string, unknown>;

function isPlain(v: unknown): v is Plain {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Splits `obj` into the known `fields` (by case-insensitive name) and the rest. */
function pick(obj: Plain, fields: string[]): { known: Plain; extra: Plain | undefined } {
  const byLower = new Map(fields.map((f) => [f.toLowerCase(), f]));
  const known: Plain = {};
  let extra: Plain | undefined;
  for (const [k, v] of Object.entries(obj)) {
    const f = byLower.get(k.toLowerCase());
    if (f) known[f] = v;
    else (extra ??= {})[k] = v;
  }
  return { known, extra };
}

export function mapFromPlain(obj: unknown, where = 'map'): DerpMap {
  if (!isPlain(obj)) throw new MapShapeError(`${where}: expected an object with "Regions"`);
  const { known, extra } = pick(obj, ['Regions', 'HomeParams', 'OmitDefaultRegions']);
  const map: DerpMap = { Regions: {} };
  if (known.Regions !== undefined && known.Regions !== null) {
    if (!isPlain(known.Regions)) throw new MapShapeError(`${where}: Regions must be a map of region id to region`);
    for (const [id, r] of Object.entries(known.Regions)) map.Regions[id] = regionFromPlain(r, `${where}: region ${id}`);
  }
  if (isPlain(known.HomeParams)) {
    const hp = pick(known.HomeParams, ['RegionScore']).known;
    map.HomeParams = isPlain(hp.RegionScore) ? { RegionScore: hp.RegionScore as Record<string, number> } : {};
  }
  if (known.OmitDefaultRegions !== undefined) map.OmitDefaultRegions = known.OmitDefaultRegions as boolean;
  if (extra) map.extra = extra;
  return map;
}

function regionFromPlain(obj: unknown, where: string): DerpRegion {
  if (!isPlain(obj)) throw new MapShapeError(`${where} must be an object`);
  const { known, extra } = pick(obj, [...Object.keys(REGION_FIELDS), 'Nodes']);
  const nodes = known.Nodes ?? [];
  if (!Array.isArray(nodes)) throw new MapShapeError(`${where}: Nodes must be a list`);
  const r = { ...known, Nodes: nodes.map((n, i) => nodeFromPlain(n, `${where}, node ${i + 1}`)) } as DerpRegion;
  if (extra) r.extra = extra;
  return r;
}

function nodeFromPlain(obj: unknown, where: string): DerpNode {
  if (!isPlain(obj)) throw new MapShapeError(`${where} must be an object`);
  const { known, extra } = pick(obj, Object.keys(NODE_FIELDS));
  const n = known as unknown as DerpNode;
  if (extra) n.extra = extra;
  return n;
}

function withExtra(out: Plain, extra: Plain | undefined): Plain {
  return extra ? { ...out, ...extra } : out;
}

/** Field order follows tailcfg's struct order; unset fields are omitted (Go's omitempty). */
export function mapToPlain(map: DerpMap, naming: Naming): Plain {
  const out: Plain = {};
  if (map.HomeParams)
    out[naming('HomeParams')] = map.HomeParams.RegionScore
      ? { [naming('RegionScore')]: map.HomeParams.RegionScore }
      : {};
  const regions: Plain = {};
  for (const id of Object.keys(map.Regions).sort((a, b) => Number(a) - Number(b))) {
    const r = map.Regions[id];
    const ro: Plain = {};
    for (const f of Object.keys(REGION_FIELDS)) {
      const v = (r as unknown as Plain)[f];
      if (v !== undefined) ro[naming(f)] = v;
    }
    ro[naming('Nodes')] = r.Nodes.map((n) => {
      const no: Plain = {};
      for (const f of Object.keys(NODE_FIELDS)) {
        const v = (n as unknown as Plain)[f];
        if (v !== undefined) no[naming(f)] = v;
      }
      return withExtra(no, n.extra);
    });
    regions[id] = withExtra(ro, r.extra);
  }
  out[naming('Regions')] = regions;
  if (map.OmitDefaultRegions !== undefined) out[naming('OmitDefaultRegions')] = map.OmitDefaultRegions;
  return withExtra(out, map.extra);
}
