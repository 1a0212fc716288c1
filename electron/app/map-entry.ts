/**
 * The DERP map entry this relay should have: a headscale derp.yaml fragment and Tailscale DERPMap JSON, built from
 * the relay settings and, when running, the ports it actually listens on.
 */
import type { MapEntry } from '../../shared/api.js';
import type { DerpNode } from '../../shared/derpmap/model.js';
import type { RelaySettings } from '../../shared/settings.js';
import { parseHostPort } from '../util/hostport.js';

export interface ListeningPorts {
  derpPort: number;
  stunPort: number | null;
}

/** Ports a client should dial: the real ones when running, else those in the settings. */
export function portsFromSettings(s: RelaySettings): ListeningPorts {
  let derpPort = 443;
  try {
    derpPort = parseHostPort(s.listenAddr).port;
  } catch {
    // Invalid settings are reported by validation; the entry then shows the default port.
  }
  let stunPort: number | null = null;
  if (s.stunEnabled) {
    try {
      stunPort = parseHostPort(s.stunListen.split(',')[0]).port;
    } catch {
      stunPort = 3478;
    }
  }
  return { derpPort, stunPort };
}

/** The entry's text in both formats; entry-check.ts judges whether clients could use it. */
export function buildMapEntry(
  s: RelaySettings,
  ports: ListeningPorts,
  certName?: string,
): Pick<MapEntry, 'yaml' | 'json'> {
  const node: DerpNode = { Name: `${s.regionId}a`, RegionID: s.regionId, HostName: s.hostName };
  if (certName) node.CertName = certName;
  if (s.ipv4) node.IPv4 = s.ipv4;
  if (s.ipv6) node.IPv6 = s.ipv6;
  // 443 and 3478 are the protocol defaults and are written as 0 / omitted, as Tailscale's own maps do.
  if (ports.derpPort !== 443) node.DERPPort = ports.derpPort;
  node.STUNPort = ports.stunPort === null ? -1 : ports.stunPort === 3478 ? undefined : ports.stunPort;
  if (node.STUNPort === undefined) delete node.STUNPort;
  if (s.tlsMode === 'none') node.InsecureForTests = true;
  if (s.httpPort === 80) node.CanPort80 = true;
  const region = { RegionID: s.regionId, RegionCode: s.regionCode, RegionName: s.regionName, Nodes: [node] };
  const json = JSON.stringify({ Regions: { [String(s.regionId)]: region } }, null, 2);

  const y: string[] = [
    'regions:',
    `  ${s.regionId}:`,
    `    regionid: ${s.regionId}`,
    `    regioncode: ${yamlString(s.regionCode)}`,
    `    regionname: ${yamlString(s.regionName)}`,
    '    nodes:',
  ];
  y.push(
    `      - name: ${yamlString(node.Name)}`,
    `        regionid: ${s.regionId}`,
    `        hostname: ${yamlString(s.hostName)}`,
  );
  if (node.CertName) y.push(`        certname: ${yamlString(node.CertName)}`);
  if (node.IPv4) y.push(`        ipv4: ${yamlString(node.IPv4)}`);
  if (node.IPv6) y.push(`        ipv6: ${yamlString(node.IPv6)}`);
  y.push(
    `        stunport: ${node.STUNPort ?? 0}`,
    `        stunonly: false`,
    `        derpport: ${node.DERPPort ?? 0}`,
  );
  if (node.InsecureForTests) y.push('        insecurefortests: true');
  if (node.CanPort80) y.push('        canport80: true');
  return { yaml: y.join('\n') + '\n', json: json + '\n' };
}

/** Quotes a YAML scalar when it could be read as something other than a plain string. */
function yamlString(v: string): string {
  const plain =
    /^[A-Za-z0-9._-]+$/.test(v) &&
    !/^(true|false|yes|no|on|off|null|~)$/i.test(v) &&
    !/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(v);
  return plain ? v : JSON.stringify(v);
}
