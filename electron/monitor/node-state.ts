/** Per-node state from the probes: a node fails when any probe it sends fails; failing nodes come first. */
import { regionsInOrder, type DerpMap } from '../../shared/derpmap/model.js';
import type { NodeState, ProbeState } from '../../shared/monitor.js';

/** The probe whose latency stands for the node's: a DERP login and round trip through it alone. */
export const isSinglePath = (p: ProbeState) => p.class === 'derp_mesh' && p.labels.derp_path === 'single';

export function nodeStates(map: DerpMap | null, probes: ProbeState[]): NodeState[] {
  if (!map) return [];
  const byNode = new Map<string, ProbeState[]>();
  for (const p of probes) {
    if (!p.node) continue;
    const key = `${p.regionId}/${p.node}`;
    byNode.set(key, [...(byNode.get(key) ?? []), p]);
  }
  const out: NodeState[] = [];
  for (const r of regionsInOrder(map)) {
    for (const n of r.Nodes) {
      const mine = byNode.get(`${r.RegionID}/${n.Name}`);
      if (!mine) continue;
      const failures = mine
        .filter((p) => p.ok === false)
        .map((p) => ({ probe: p.name, error: p.error ?? 'failed', since: p.failingSince ?? p.end ?? 0 }));
      const known = mine.some((p) => p.ok !== null);
      const since = failures.length ? Math.min(...failures.map((f) => f.since)) : null;
      out.push({
        regionId: r.RegionID,
        regionCode: r.RegionCode,
        node: n.Name,
        host: n.HostName,
        status: failures.length ? 'failing' : known ? 'ok' : 'unknown',
        failingSince: since,
        failures,
        latencyMs: mine.find(isSinglePath)?.latencyMs ?? null,
      });
    }
  }
  const rank = { failing: 0, unknown: 1, ok: 2 } as const;
  return out.sort((a, b) => rank[a.status] - rank[b.status]);
}
