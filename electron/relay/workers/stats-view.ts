/**
 * A worker's stats as the relay's own: the other workers' links into this one are the relay talking to itself,
 * not clients (keys on other workers are not counted as remote by the server itself).
 */
import type { PeerInfo, RelayStats } from '../../../shared/relay.js';

/** `linkKeys`: the other workers' link identities (`nodekey:<hex>`); `linksUp`: this worker's own links that are up. */
export function withoutWorkerLinks(
  s: RelayStats,
  peers: PeerInfo[],
  linkKeys: ReadonlySet<string>,
  linksUp: number,
): RelayStats {
  const links = peers.filter((p) => p.isMeshPeer && linkKeys.has(p.key));
  const g = s.gauges;
  return {
    ...s,
    gauges: {
      ...g,
      currentConnections: g.currentConnections - links.length,
      clientsLocal: g.clientsLocal - new Set(links.map((p) => p.key)).size,
      // Every worker link watches the others' clients as soon as it is up.
      watchers: Math.max(0, g.watchers - links.length),
      meshLinks: g.meshLinks - linksUp,
    },
  };
}
