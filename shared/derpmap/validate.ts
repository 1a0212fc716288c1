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
  type DerpNode as Node,
  type DerpRegion as Region,
} from './model.js';

export interface MapIssue {
  severity: 'error' | 'warning';
  /** Where: `regions.900.nodes[1].ipv4` style, with JSON field names. */
  path: string;
  regionId?: number;
  /** The region's key in Regions, which names it even when its RegionID is wrong or taken. */
  regionKey?: string;
  nodeIndex?: number;
  field?: string;
  message: string;
  /** Set on the "region has a single node" warning, which the user may dismiss per region. */
  kind?: 'single-node';
}

const CERT_PIN = /^sha256-raw:[0-9a-fA-F]{64}$/;

type Add = (severity: MapIssue['severity'], path: string, message: string, at?: Partial<MapIssue>) => void;

/** Names seen so far across the whole map: a RegionCode or a node Name may be used once. */
interface SeenNames {
  codes: Map<string, number>;
  nodeNames: Map<string, string>;
}

export function validateMap(map: DerpMap): MapIssue[] {
  const issues: MapIssue[] = [];
  const add: Add = (severity, path, message, at = {}) => issues.push({ severity, path, message, ...at });
  checkRegionCount(map, add);
  const seen: SeenNames = { codes: new Map(), nodeNames: new Map() };
  for (const key of Object.keys(map.Regions).sort((a, b) => Number(a) - Number(b))) {
    const r = map.Regions[key];
    validateRegion(key, r, seen, add);
    const nodes = checkNodeCount(key, r, add);
    nodes.forEach((n, i) => validateNode(key, r, n, i, seen, add));
  }
  checkTopLevel(map, add);
  return onePerPath(issues);
}

/**
 * One message per bad field: a value of the wrong type also fails the field's range or format check, and the
 * first message (the type, checked first) is the one that tells the user what to fix.
 */
function onePerPath(issues: MapIssue[]): MapIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    if (seen.has(i.path)) return false;
    seen.add(i.path);
    return true;
  });
}

function checkRegionCount(map: DerpMap, add: Add): void {
  const regions = regionsInOrder(map);
  if (regions.length === 0) add('error', 'Regions', 'the map has no regions');
  if (regions.length === 1) {
    add(
      'warning',
      'Regions',
      'only one region: if its relay is down, clients that need a relay cannot connect (a single point of failure)',
    );
  }
}

/** The region's own fields: key and RegionID, a unique RegionCode, a name, coordinates, field types. */
function validateRegion(key: string, r: Region, seen: SeenNames, add: Add): void {
  const rp = `Regions.${key}`;
  const at = { regionId: r.RegionID, regionKey: key };
  for (const [f, kind] of Object.entries(REGION_FIELDS)) {
    const v = (r as unknown as Record<string, unknown>)[f];
    if (v !== undefined && typeof v !== kind)
      add('error', `${rp}.${f}`, `${f} must be a ${kind}, got ${JSON.stringify(v)}`, { ...at, field: f });
  }
  if (!/^\d+$/.test(key) || Number(key) <= 0)
    add('error', rp, `region key "${key}" must be a positive whole number`, at);
  checkRegionId(key, r, add);
  if (!r.RegionCode)
    add('error', `${rp}.RegionCode`, `region ${key} has no RegionCode`, { ...at, field: 'RegionCode' });
  else if (seen.codes.has(r.RegionCode))
    add(
      'error',
      `${rp}.RegionCode`,
      `RegionCode "${r.RegionCode}" is also used by region ${seen.codes.get(r.RegionCode)}`,
      {
        ...at,
        field: 'RegionCode',
      },
    );
  else seen.codes.set(r.RegionCode, r.RegionID);
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
}

function checkRegionId(key: string, r: Region, add: Add): void {
  const path = `Regions.${key}.RegionID`;
  const at = { regionId: r.RegionID, regionKey: key, field: 'RegionID' };
  if (!Number.isInteger(r.RegionID) || r.RegionID <= 0)
    add('error', path, `RegionID must be a positive whole number, got ${JSON.stringify(r.RegionID)}`, at);
  else if (String(r.RegionID) !== key)
    add('error', path, `RegionID ${r.RegionID} differs from its key ${key} in Regions`, at);
  else if (r.RegionID < USER_REGION_MIN || r.RegionID > USER_REGION_MAX) {
    add(
      'warning',
      path,
      `region ${r.RegionID} is outside ${USER_REGION_MIN}-${USER_REGION_MAX}, the range reserved for your own regions; it may clash with Tailscale's`,
      at,
    );
  }
}

/** No nodes is an error, one is a warning (no failover), several must mesh. Returns the nodes. */
function checkNodeCount(key: string, r: Region, add: Add): Node[] {
  const rp = `Regions.${key}`;
  const at = { regionId: r.RegionID, regionKey: key };
  const nodes = Array.isArray(r.Nodes) ? r.Nodes : [];
  if (nodes.length === 0) add('error', `${rp}.Nodes`, `region ${key} has no nodes`, at);
  else if (nodes.length === 1)
    add('warning', `${rp}.Nodes`, `region ${key} has a single node: no failover within the region`, {
      ...at,
      kind: 'single-node',
    });
  else
    add(
      'warning',
      `${rp}.Nodes`,
      `region ${key} has ${nodes.length} nodes: they must mesh (same mesh key, -mesh-with) or clients on different nodes cannot reach each other`,
      at,
    );
  return nodes;
}

/** Everything a client needs from one node, in the order it is reported: types, name, region, addresses, ports, cert. */
function validateNode(key: string, r: Region, n: Node, i: number, seen: SeenNames, add: Add): void {
  const np = `Regions.${key}.Nodes[${i}]`;
  const nat = { regionId: r.RegionID, regionKey: key, nodeIndex: i };
  const who = n.Name ? `node "${n.Name}"` : `node ${i + 1} of region ${key}`;
  const addNode = (severity: MapIssue['severity'], field: string, message: string) =>
    add(severity, `${np}.${field}`, message, { ...nat, field });
  for (const [f, kind] of Object.entries(NODE_FIELDS)) {
    const v = (n as unknown as Record<string, unknown>)[f];
    if (v !== undefined && typeof v !== kind)
      addNode('error', f, `${who}: ${f} must be a ${kind}, got ${JSON.stringify(v)}`);
  }
  if (!n.Name) addNode('error', 'Name', `node ${i + 1} of region ${key} has no Name`);
  else if (seen.nodeNames.has(n.Name))
    addNode('error', 'Name', `${who} is also the name of a node in ${seen.nodeNames.get(n.Name)}`);
  else seen.nodeNames.set(n.Name, `region ${key}`);
  if (n.RegionID !== r.RegionID)
    addNode('error', 'RegionID', `${who} has RegionID ${n.RegionID} but is in region ${r.RegionID}`);
  checkNodeAddresses(n, who, addNode);
  checkNodePorts(n, who, addNode);
  checkNodeCert(n, who, addNode);
  if (n.InsecureForTests)
    addNode('warning', 'InsecureForTests', `${who} has InsecureForTests: clients skip TLS verification (tests only)`);
  for (const k of Object.keys(n.extra ?? {})) addNode('warning', k, `${who}: unknown field "${k}" (kept as is)`);
}

type AddNode = (severity: MapIssue['severity'], field: string, message: string) => void;

function checkNodeAddresses(n: Node, who: string, addNode: AddNode): void {
  if (!n.HostName) addNode('error', 'HostName', `${who} has no HostName`);
  else if (!HOSTNAME.test(n.HostName) && !isIPv4(n.HostName) && !isIPv6(n.HostName))
    addNode('error', 'HostName', `${who}: HostName "${n.HostName}" is not a valid host name or IP address`);
  if (n.IPv4 && n.IPv4 !== 'none' && !isIPv4(n.IPv4))
    addNode('error', 'IPv4', `${who}: IPv4 "${n.IPv4}" is not an IPv4 address (or "none")`);
  if (n.IPv6 && n.IPv6 !== 'none' && !isIPv6(n.IPv6))
    addNode('error', 'IPv6', `${who}: IPv6 "${n.IPv6}" is not an IPv6 address (or "none")`);
  if (n.STUNTestIP && !isIPv4(n.STUNTestIP) && !isIPv6(n.STUNTestIP))
    addNode('error', 'STUNTestIP', `${who}: STUNTestIP "${n.STUNTestIP}" is not an IP address`);
}

function checkNodePorts(n: Node, who: string, addNode: AddNode): void {
  if (n.DERPPort !== undefined && (!Number.isInteger(n.DERPPort) || n.DERPPort < 0 || n.DERPPort > 65535))
    addNode('error', 'DERPPort', `${who}: DERPPort ${n.DERPPort} is out of range (0 = 443, up to 65535)`);
  if (n.STUNPort !== undefined && (!Number.isInteger(n.STUNPort) || n.STUNPort < -1 || n.STUNPort > 65535))
    addNode(
      'error',
      'STUNPort',
      `${who}: STUNPort ${n.STUNPort} is out of range (-1 disables, 0 = ${DEFAULT_STUN_PORT})`,
    );
  if (n.STUNOnly && n.STUNPort === -1)
    addNode('error', 'STUNOnly', `${who} is STUNOnly with STUN disabled (STUNPort -1): it serves nothing`);
}

/** CertName is either a pinned key (sha256-raw:<64 hex>) or the DNS name the certificate is for. */
function checkNodeCert(n: Node, who: string, addNode: AddNode): void {
  if (n.CertName && n.CertName.startsWith('sha256-raw:') && !CERT_PIN.test(n.CertName))
    addNode('error', 'CertName', `${who}: CertName "${n.CertName}" must be sha256-raw: followed by 64 hex characters`);
  else if (n.CertName && !n.CertName.startsWith('sha256-raw:') && !HOSTNAME.test(n.CertName))
    addNode('error', 'CertName', `${who}: CertName "${n.CertName}" is neither sha256-raw:<hex> nor a DNS name`);
}

/** HomeParams may only score regions that exist; unknown top-level fields are kept but flagged. */
function checkTopLevel(map: DerpMap, add: Add): void {
  for (const k of Object.keys(map.HomeParams?.RegionScore ?? {})) {
    if (!map.Regions[k])
      add('warning', `HomeParams.RegionScore.${k}`, `RegionScore names region ${k}, which is not in the map`);
  }
  for (const k of Object.keys(map.extra ?? {})) add('warning', k, `unknown top-level field "${k}" (kept as is)`);
}
