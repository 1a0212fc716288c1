/**
 * DERP map validation with messages that name the region, the node and the field, so that a user editing
 * derp.yaml by hand finds the mistake before clients misbehave.
 */
import { HOSTNAME, isIPv4, isIPv6 } from '../address.js';
import {
  DEFAULT_STUN_PORT,
  NODE_FIELDS,
  REGION_FIELDS,
  USER_REGION_MAX,
  USER_REGION_MIN,
  regionsInOrder,
  type DerpMap,
} from './model.js';

export interface MapIssue {
  severity: 'error' | 'warning';
  /** Where: `regions.900.nodes[1].ipv4` style, with JSON field names. */
  path: string;
  regionId?: number;
  nodeIndex?: number;
  field?: string;
  message: string;
}

const CERT_PIN = /^sha256-raw:[0-9a-fA-F]{64}$/;

export function validateMap(map: DerpMap): MapIssue[] {
  const issues: MapIssue[] = [];
  const add = (severity: MapIssue['severity'], path: string, message: string, at: Partial<MapIssue> = {}) =>
    issues.push({ severity, path, message, ...at });
  const regions = regionsInOrder(map);
  if (regions.length === 0) add('error', 'Regions', 'the map has no regions');
  if (regions.length === 1) {
    add(
      'warning',
      'Regions',
      'only one region: if its relay is down, clients that need a relay cannot connect (a single point of failure)',
    );
  }
  const codes = new Map<string, number>();
  const nodeNames = new Map<string, string>();
  for (const key of Object.keys(map.Regions).sort((a, b) => Number(a) - Number(b))) {
    const r = map.Regions[key];
    const rp = `Regions.${key}`;
    const at = { regionId: r.RegionID };
    if (!/^\d+$/.test(key) || Number(key) <= 0)
      add('error', rp, `region key "${key}" must be a positive whole number`, at);
    if (!Number.isInteger(r.RegionID) || r.RegionID <= 0)
      add('error', `${rp}.RegionID`, `RegionID must be a positive whole number, got ${JSON.stringify(r.RegionID)}`, {
        ...at,
        field: 'RegionID',
      });
    else if (String(r.RegionID) !== key)
      add('error', `${rp}.RegionID`, `RegionID ${r.RegionID} differs from its key ${key} in Regions`, {
        ...at,
        field: 'RegionID',
      });
    else if (r.RegionID < USER_REGION_MIN || r.RegionID > USER_REGION_MAX) {
      add(
        'warning',
        `${rp}.RegionID`,
        `region ${r.RegionID} is outside ${USER_REGION_MIN}-${USER_REGION_MAX}, the range reserved for your own regions; it may clash with Tailscale's`,
        { ...at, field: 'RegionID' },
      );
    }
    if (!r.RegionCode)
      add('error', `${rp}.RegionCode`, `region ${key} has no RegionCode`, { ...at, field: 'RegionCode' });
    else if (codes.has(r.RegionCode))
      add(
        'error',
        `${rp}.RegionCode`,
        `RegionCode "${r.RegionCode}" is also used by region ${codes.get(r.RegionCode)}`,
        { ...at, field: 'RegionCode' },
      );
    else codes.set(r.RegionCode, r.RegionID);
    if (!r.RegionName)
      add('warning', `${rp}.RegionName`, `region ${key} has no RegionName (clients show it to users)`, {
        ...at,
        field: 'RegionName',
      });
    if (r.Latitude !== undefined && (typeof r.Latitude !== 'number' || r.Latitude < -90 || r.Latitude > 90))
      add('error', `${rp}.Latitude`, `Latitude must be between -90 and 90`, { ...at, field: 'Latitude' });
    if (r.Longitude !== undefined && (typeof r.Longitude !== 'number' || r.Longitude < -180 || r.Longitude > 180))
      add('error', `${rp}.Longitude`, `Longitude must be between -180 and 180`, { ...at, field: 'Longitude' });
    for (const k of Object.keys(r.extra ?? {}))
      add('warning', `${rp}.${k}`, `unknown region field "${k}" (kept as is)`, { ...at, field: k });
    for (const [f, kind] of Object.entries(REGION_FIELDS)) {
      const v = (r as unknown as Record<string, unknown>)[f];
      if (v !== undefined && typeof v !== kind)
        add('error', `${rp}.${f}`, `${f} must be a ${kind}, got ${JSON.stringify(v)}`, { ...at, field: f });
    }
    const nodes = Array.isArray(r.Nodes) ? r.Nodes : [];
    if (nodes.length === 0) add('error', `${rp}.Nodes`, `region ${key} has no nodes`, at);
    else if (nodes.length === 1)
      add('warning', `${rp}.Nodes`, `region ${key} has a single node: no failover within the region`, at);
    else
      add(
        'warning',
        `${rp}.Nodes`,
        `region ${key} has ${nodes.length} nodes: they must mesh (same mesh key, -mesh-with) or clients on different nodes cannot reach each other`,
        at,
      );
    nodes.forEach((n, i) => {
      const np = `${rp}.Nodes[${i}]`;
      const nat = { regionId: r.RegionID, nodeIndex: i };
      const who = n.Name ? `node "${n.Name}"` : `node ${i + 1} of region ${key}`;
      for (const [f, kind] of Object.entries(NODE_FIELDS)) {
        const v = (n as unknown as Record<string, unknown>)[f];
        if (v !== undefined && typeof v !== kind)
          add('error', `${np}.${f}`, `${who}: ${f} must be a ${kind}, got ${JSON.stringify(v)}`, { ...nat, field: f });
      }
      if (!n.Name) add('error', `${np}.Name`, `node ${i + 1} of region ${key} has no Name`, { ...nat, field: 'Name' });
      else if (nodeNames.has(n.Name))
        add('error', `${np}.Name`, `${who} is also the name of a node in ${nodeNames.get(n.Name)}`, {
          ...nat,
          field: 'Name',
        });
      else nodeNames.set(n.Name, `region ${key}`);
      if (n.RegionID !== r.RegionID)
        add('error', `${np}.RegionID`, `${who} has RegionID ${n.RegionID} but is in region ${r.RegionID}`, {
          ...nat,
          field: 'RegionID',
        });
      if (!n.HostName) add('error', `${np}.HostName`, `${who} has no HostName`, { ...nat, field: 'HostName' });
      else if (!HOSTNAME.test(n.HostName) && !isIPv4(n.HostName) && !isIPv6(n.HostName))
        add('error', `${np}.HostName`, `${who}: HostName "${n.HostName}" is not a valid host name or IP address`, {
          ...nat,
          field: 'HostName',
        });
      if (n.IPv4 && n.IPv4 !== 'none' && !isIPv4(n.IPv4))
        add('error', `${np}.IPv4`, `${who}: IPv4 "${n.IPv4}" is not an IPv4 address (or "none")`, {
          ...nat,
          field: 'IPv4',
        });
      if (n.IPv6 && n.IPv6 !== 'none' && !isIPv6(n.IPv6))
        add('error', `${np}.IPv6`, `${who}: IPv6 "${n.IPv6}" is not an IPv6 address (or "none")`, {
          ...nat,
          field: 'IPv6',
        });
      if (n.STUNTestIP && !isIPv4(n.STUNTestIP) && !isIPv6(n.STUNTestIP))
        add('error', `${np}.STUNTestIP`, `${who}: STUNTestIP "${n.STUNTestIP}" is not an IP address`, {
          ...nat,
          field: 'STUNTestIP',
        });
      if (n.DERPPort !== undefined && (!Number.isInteger(n.DERPPort) || n.DERPPort < 0 || n.DERPPort > 65535))
        add('error', `${np}.DERPPort`, `${who}: DERPPort ${n.DERPPort} is out of range (0 = 443, up to 65535)`, {
          ...nat,
          field: 'DERPPort',
        });
      if (n.STUNPort !== undefined && (!Number.isInteger(n.STUNPort) || n.STUNPort < -1 || n.STUNPort > 65535))
        add(
          'error',
          `${np}.STUNPort`,
          `${who}: STUNPort ${n.STUNPort} is out of range (-1 disables, 0 = ${DEFAULT_STUN_PORT})`,
          { ...nat, field: 'STUNPort' },
        );
      if (n.STUNOnly && n.STUNPort === -1)
        add('error', `${np}.STUNOnly`, `${who} is STUNOnly with STUN disabled (STUNPort -1): it serves nothing`, {
          ...nat,
          field: 'STUNOnly',
        });
      if (n.CertName && n.CertName.startsWith('sha256-raw:') && !CERT_PIN.test(n.CertName))
        add(
          'error',
          `${np}.CertName`,
          `${who}: CertName "${n.CertName}" must be sha256-raw: followed by 64 hex characters`,
          { ...nat, field: 'CertName' },
        );
      else if (n.CertName && !n.CertName.startsWith('sha256-raw:') && !HOSTNAME.test(n.CertName))
        add('error', `${np}.CertName`, `${who}: CertName "${n.CertName}" is neither sha256-raw:<hex> nor a DNS name`, {
          ...nat,
          field: 'CertName',
        });
      if (n.InsecureForTests)
        add(
          'warning',
          `${np}.InsecureForTests`,
          `${who} has InsecureForTests: clients skip TLS verification (tests only)`,
          { ...nat, field: 'InsecureForTests' },
        );
      for (const k of Object.keys(n.extra ?? {}))
        add('warning', `${np}.${k}`, `${who}: unknown field "${k}" (kept as is)`, { ...nat, field: k });
    });
  }
  for (const k of Object.keys(map.HomeParams?.RegionScore ?? {})) {
    if (!map.Regions[k])
      add('warning', `HomeParams.RegionScore.${k}`, `RegionScore names region ${k}, which is not in the map`);
  }
  for (const k of Object.keys(map.extra ?? {})) add('warning', k, `unknown top-level field "${k}" (kept as is)`);
  return issues;
}
