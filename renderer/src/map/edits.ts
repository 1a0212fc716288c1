/**
 * Map edits that need more than one field changed together: fresh ids and names, renumbering a region, and placing
 * this relay's region without overwriting one already in the map. Plain functions on a draft map (the store clones).
 */
import { USER_REGION_MIN, type DerpMap, type DerpNode, type DerpRegion } from '../../../shared/derpmap/model.js';

/** The first region id from 900 up that the map does not use. */
export function freeRegionId(map: DerpMap, from = USER_REGION_MIN): number {
  let id = from;
  while (map.Regions[String(id)]) id++;
  return id;
}

export function newRegion(map: DerpMap): DerpRegion {
  const id = freeRegionId(map);
  return { RegionID: id, RegionCode: `region${id}`, RegionName: `Region ${id}`, Nodes: [newNode(map, id)] };
}

export function newNode(map: DerpMap, regionId: number, existing: DerpNode[] = []): DerpNode {
  const names = new Set(
    Object.values(map.Regions)
      .flatMap((r) => r.Nodes.map((n) => n.Name))
      .concat(existing.map((n) => n.Name)),
  );
  let i = 0;
  let name: string;
  do name = `${regionId}${String.fromCharCode(97 + (i % 26))}${i >= 26 ? Math.floor(i / 26) : ''}`;
  while (names.has(name) && ++i < 10_000);
  return { Name: name, RegionID: regionId, HostName: `derp${regionId}.example.com` };
}

/** Moves an item within a list (node order matters: Nodes[0] is the region's preferred node). */
export function moveItem<T>(list: T[], from: number, to: number): void {
  if (from === to || to < 0 || to >= list.length) return;
  const [item] = list.splice(from, 1);
  list.splice(to, 0, item);
}

/** Why region `id` cannot take the typed id `text`, or null when it can (an unchanged id included). */
export function renumberProblem(map: DerpMap, id: string, text: string): string | null {
  const t = text.trim();
  if (!/^\d+$/.test(t) || Number(t) <= 0) return 'RegionID must be a whole number above 0';
  const to = String(Number(t));
  if (to === id || !map.Regions[to]) return null;
  return `region ${to} (${map.Regions[to].RegionCode || 'no code'}) already exists; pick a free id such as ${freeRegionId(map)}`;
}

/** Moves region `id` to key `to`: its RegionID, its nodes' RegionID and its HomeParams score follow. */
export function renumberRegion(map: DerpMap, id: string, to: number): void {
  const region = map.Regions[id];
  const from = region.RegionID;
  delete map.Regions[id];
  region.RegionID = to;
  for (const n of region.Nodes) if (n.RegionID === from || String(n.RegionID) === id) n.RegionID = to;
  map.Regions[String(to)] = region;
  const scores = map.HomeParams?.RegionScore;
  if (scores && id in scores) {
    scores[String(to)] = scores[id];
    delete scores[id];
  }
}

/**
 * The region to keep selected when the map changes from `before` to `after` (undo, redo): the same key if it is
 * still there, else the one key `after` gained when it lost the selected one (a renumbering undone), else none.
 */
export function followSelection(before: DerpMap, after: DerpMap, selected: string | null): string | null {
  if (selected === null || after.Regions[selected]) return selected;
  const gained = Object.keys(after.Regions).filter((k) => !before.Regions[k]);
  return gained.length === 1 ? gained[0] : null;
}

export type RelayPlacement =
  | { kind: 'present'; id: string }
  | { kind: 'added'; id: string; displaced?: { id: string; name: string }; code?: string };

/**
 * Adds this relay's region to `map` without touching any region already there: under its own id when that is
 * free, else under the next free id (its nodes renamed to stay unique). A region that already lists the relay's
 * host and port is left alone.
 */
export function placeRelayRegion(map: DerpMap, region: DerpRegion): RelayPlacement {
  const mine = region.Nodes[0];
  const port = (n: DerpNode) => n.DERPPort || 443;
  for (const [id, r] of Object.entries(map.Regions)) {
    if (r.Nodes.some((n) => n.HostName?.toLowerCase() === mine?.HostName.toLowerCase() && port(n) === port(mine)))
      return { kind: 'present', id };
  }
  const wanted = String(region.RegionID);
  const existing = map.Regions[wanted];
  const id = existing ? freeRegionId(map) : region.RegionID;
  const placed: DerpRegion = { ...structuredClone(region), RegionID: id, Nodes: [] };
  const codeTaken = Object.values(map.Regions).some((r) => r.RegionCode === region.RegionCode);
  if (codeTaken) placed.RegionCode = `${region.RegionCode}-${id}`;
  for (const n of region.Nodes) {
    const taken = existing || Object.values(map.Regions).some((r) => r.Nodes.some((o) => o.Name === n.Name));
    placed.Nodes.push({ ...n, RegionID: id, Name: taken ? newNode(map, id, placed.Nodes).Name : n.Name });
  }
  map.Regions[String(id)] = placed;
  return {
    kind: 'added',
    id: String(id),
    ...(existing ? { displaced: { id: wanted, name: existing.RegionName || existing.RegionCode } } : {}),
    ...(codeTaken ? { code: placed.RegionCode } : {}),
  };
}

/** What "Add this relay" did, in a sentence. */
export function placementMessage(p: RelayPlacement): string {
  if (p.kind === 'present')
    return `This relay is already in the map as region ${p.id} (same host and port); nothing was added`;
  let text = `Added this relay as region ${p.id}`;
  if (p.displaced) text += `: region ${p.displaced.id} (${p.displaced.name}) was already in the map and is unchanged`;
  if (p.code) text += `${p.displaced ? ';' : ':'} its RegionCode is ${p.code}, as the relay's code was taken`;
  return text;
}
