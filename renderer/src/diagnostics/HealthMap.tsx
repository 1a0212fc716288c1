import { useMemo } from 'react';
import type { DerpMap } from '../../../shared/derpmap/model.js';
import type { NodeReport } from '../../../shared/diagnostics.js';
import type { Health } from '../components/HealthMarker.js';
import { WorldMap } from '../map/WorldMap.js';
import { useDiagnosticsStore } from './store.js';

const RANK: Record<Health, number> = { ok: 0, warning: 1, failed: 2 };

/** A region is as healthy as its worst node; a node as its worst step (skipped steps say nothing). */
export function regionHealth(nodes: NodeReport[]): Record<string, Health> {
  const out: Record<string, Health> = {};
  for (const n of nodes) {
    if (n.steps.length === 0) continue;
    const h: Health = n.steps.some((s) => s.status === 'fail')
      ? 'failed'
      : n.steps.some((s) => s.status === 'warn')
        ? 'warning'
        : 'ok';
    const id = String(n.regionId);
    if (out[id] === undefined || RANK[h] > RANK[out[id]]) out[id] = h;
  }
  return out;
}

/**
 * The checked regions that have a place on the map, coloured by health. Selecting one highlights it and its rows in
 * the results, and brings its first row into view.
 */
export function HealthMap({ nodes }: { nodes: NodeReport[] }) {
  const map = useMemo<DerpMap>(() => {
    const regions: DerpMap['Regions'] = {};
    for (const n of nodes) {
      if (n.latitude === undefined || n.longitude === undefined) continue;
      regions[String(n.regionId)] = {
        RegionID: n.regionId,
        RegionCode: n.regionCode,
        RegionName: n.regionName ?? n.regionCode,
        Latitude: n.latitude,
        Longitude: n.longitude,
        Nodes: [],
      };
    }
    return { Regions: regions };
  }, [nodes]);
  const health = useMemo(() => regionHealth(nodes), [nodes]);
  const selected = useDiagnosticsStore((s) => s.selectedRegion);
  const selectRegion = useDiagnosticsStore((s) => s.selectRegion);
  if (Object.keys(map.Regions).length === 0) return null;
  // A second click on the selected region clears the selection.
  const select = (id: string) => {
    selectRegion(selected === id ? null : id);
    // scrollIntoView is absent from some test DOMs; the selection itself does not depend on it.
    document.querySelector(`tr[data-region-id="${CSS.escape(id)}"]`)?.scrollIntoView?.({ block: 'nearest' });
  };
  return (
    <section className="card" aria-label="Health by region">
      <h2>Health by region</h2>
      <WorldMap map={map} selected={selected} onSelect={select} health={health} />
    </section>
  );
}
