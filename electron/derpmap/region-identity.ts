/**
 * Whether two derp.yaml region values (plain, as parsed) are the same region, so that a save may keep the comments
 * written about one on the other. A region is known by its code or by a node hostname: renumbering or renaming
 * keeps one of them; replacing a region (with this relay's, say) changes both, and the old comments ("# Frankfurt")
 * must not end up describing the new one.
 */

type Plain = Record<string, unknown>;

function isPlain(v: unknown): v is Plain {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A field by its case-insensitive name, as the map reader matches them. */
function field(obj: Plain, name: string): unknown {
  const key = Object.keys(obj).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : obj[key];
}

/** A value shaped like a region: an object with a code or a node list (not a RegionScore number). */
export function isRegionValue(v: unknown): v is Plain {
  return isPlain(v) && (field(v, 'regioncode') !== undefined || field(v, 'nodes') !== undefined);
}

function hostnames(region: Plain): Set<string> {
  const nodes = field(region, 'nodes');
  const names = Array.isArray(nodes) ? nodes.map((n) => (isPlain(n) ? field(n, 'hostname') : undefined)) : [];
  return new Set(names.filter((h): h is string => typeof h === 'string' && h !== '').map((h) => h.toLowerCase()));
}

/** Same code, or a node hostname in common. */
export function sameRegion(a: Plain, b: Plain): boolean {
  const code = field(a, 'regioncode');
  if (typeof code === 'string' && code !== '' && code === field(b, 'regioncode')) return true;
  const mine = hostnames(a);
  return [...hostnames(b)].some((h) => mine.has(h));
}

/**
 * Whether the region under one key was replaced by another: both have nodes, and neither the code nor any
 * hostname carried over. A region without hostnames gives no evidence either way and counts as edited.
 */
export function replacedRegion(before: unknown, after: unknown): boolean {
  if (!isRegionValue(before) || !isRegionValue(after)) return false;
  return hostnames(before).size > 0 && hostnames(after).size > 0 && !sameRegion(before, after);
}
