/**
 * The DERP map a headscale client actually gets: maps from `urls` first, then `paths`, each region replacing an
 * earlier one with the same id, and the embedded relay's region last.
 */
import type { DerpMap, DerpRegion } from '../../shared/derpmap/model.js';
import type { HeadscaleConfig } from './headscale-config.js';

export interface MapSource {
  /** Where the map came from (a URL or a path), for "region 900 comes from …" explanations. */
  origin: string;
  map: DerpMap;
}

export interface MergedMap {
  map: DerpMap;
  /** Region id -> the origin whose version won. */
  origins: Record<string, string>;
}

export function mergeMaps(sources: MapSource[], embedded: DerpRegion | null): MergedMap {
  const map: DerpMap = { Regions: {} };
  const origins: Record<string, string> = {};
  for (const s of sources) {
    for (const [id, r] of Object.entries(s.map.Regions)) {
      map.Regions[id] = r;
      origins[id] = s.origin;
    }
    if (s.map.HomeParams) map.HomeParams = s.map.HomeParams;
  }
  if (embedded) {
    map.Regions[String(embedded.RegionID)] = embedded;
    origins[String(embedded.RegionID)] = 'headscale embedded DERP server';
  }
  return { map, origins };
}

/** headscale's embedded region: one node named after the region, reached at server_url's host and port. */
export function embeddedRegion(cfg: HeadscaleConfig): DerpRegion | null {
  const s = cfg.derp.server;
  if (!s?.enabled || s.automatically_add_embedded_derp_region === false || !cfg.serverUrl) return null;
  const url = new URL(cfg.serverUrl);
  const regionId = s.region_id ?? 999;
  const stunPort = s.stun_listen_addr ? Number(/:(\d+)$/.exec(s.stun_listen_addr)?.[1] ?? 3478) : -1;
  return {
    RegionID: regionId,
    RegionCode: s.region_code ?? 'headscale',
    RegionName: s.region_name ?? 'Headscale Embedded DERP',
    Nodes: [
      {
        Name: String(regionId),
        RegionID: regionId,
        HostName: url.hostname,
        ...(s.ipv4 ? { IPv4: s.ipv4 } : {}),
        ...(s.ipv6 ? { IPv6: s.ipv6 } : {}),
        STUNPort: stunPort,
        STUNOnly: false,
        DERPPort: Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
      },
    ],
  };
}
