/**
 * Tailscale's DERPMap (tailcfg.DERPMap, DERPRegion, DERPNode) with its JSON field names. headscale's derp.yaml is
 * the same structure with lower-cased keys. Unknown keys are carried in `extra` so that nothing is lost.
 */

export interface DerpNode {
  Name: string;
  RegionID: number;
  HostName: string;
  /** `sha256-raw:<hex>` pins the certificate; anything else is the TLS name to verify. */
  CertName?: string;
  /** An address, or "none" to disable the family. */
  IPv4?: string;
  IPv6?: string;
  /** 0 means 3478; -1 disables STUN. */
  STUNPort?: number;
  STUNOnly?: boolean;
  /** 0 means 443. */
  DERPPort?: number;
  InsecureForTests?: boolean;
  STUNTestIP?: string;
  CanPort80?: boolean;
  extra?: Record<string, unknown>;
}

export interface DerpRegion {
  RegionID: number;
  RegionCode: string;
  RegionName: string;
  Latitude?: number;
  Longitude?: number;
  Avoid?: boolean;
  NoMeasureNoHome?: boolean;
  Nodes: DerpNode[];
  extra?: Record<string, unknown>;
}

export interface DerpMap {
  HomeParams?: { RegionScore?: Record<string, number> };
  /** Region id (as a string key, as JSON has it) -> region. */
  Regions: Record<string, DerpRegion>;
  /** JSON key `omitDefaultRegions` (tailcfg's spelling). */
  OmitDefaultRegions?: boolean;
  extra?: Record<string, unknown>;
}

export type FieldKind = 'string' | 'number' | 'boolean';

export const NODE_FIELDS: Record<Exclude<keyof DerpNode, 'extra'>, FieldKind> = {
  Name: 'string',
  RegionID: 'number',
  HostName: 'string',
  CertName: 'string',
  IPv4: 'string',
  IPv6: 'string',
  STUNPort: 'number',
  STUNOnly: 'boolean',
  DERPPort: 'number',
  InsecureForTests: 'boolean',
  STUNTestIP: 'string',
  CanPort80: 'boolean',
};

export const REGION_FIELDS: Record<Exclude<keyof DerpRegion, 'extra' | 'Nodes'>, FieldKind> = {
  RegionID: 'number',
  RegionCode: 'string',
  RegionName: 'string',
  Latitude: 'number',
  Longitude: 'number',
  Avoid: 'boolean',
  NoMeasureNoHome: 'boolean',
};

/** User-defined regions should use ids 900-999 so they never collide with Tailscale's. */
export const USER_REGION_MIN = 900;
export const USER_REGION_MAX = 999;

export const DEFAULT_DERP_PORT = 443;
export const DEFAULT_STUN_PORT = 3478;

export function regionsInOrder(map: DerpMap): DerpRegion[] {
  return Object.keys(map.Regions)
    .sort((a, b) => Number(a) - Number(b))
    .map((k) => map.Regions[k]);
}
