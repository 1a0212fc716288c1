/**
 * The `derp:` section of headscale's config.yaml, with headscale's own key names (config-example.yaml): the embedded
 * relay (`server`), where headscale takes its DERP maps from (`urls`, then `paths`), and how often it refreshes them.
 * Validated here so the editor says what is wrong per field as the user types, and the save says the same.
 */
import { HOSTNAME, isIPv4, isIPv6 } from '../address.js';

export interface HeadscaleDerpServer {
  enabled?: boolean;
  region_id?: number;
  region_code?: string;
  region_name?: string;
  verify_clients?: boolean;
  stun_listen_addr?: string;
  private_key_path?: string;
  automatically_add_embedded_derp_region?: boolean;
  ipv4?: string;
  ipv6?: string;
}

export interface HeadscaleDerpSection {
  server?: HeadscaleDerpServer;
  urls?: string[];
  paths?: string[];
  auto_update_enabled?: boolean;
  update_frequency?: string;
}

/** The fields the editor offers, by their path in the section (`server.region_id`), with their kind. */
export const HEADSCALE_DERP_FIELDS = {
  'server.enabled': 'boolean',
  'server.region_id': 'number',
  'server.region_code': 'string',
  'server.region_name': 'string',
  'server.stun_listen_addr': 'string',
  'server.ipv4': 'string',
  'server.ipv6': 'string',
  'server.verify_clients': 'boolean',
  urls: 'list',
  paths: 'list',
  auto_update_enabled: 'boolean',
  update_frequency: 'string',
} as const;
export type HeadscaleDerpField = keyof typeof HEADSCALE_DERP_FIELDS;

/** Field path -> the one message that says what is wrong with it. */
export type HeadscaleDerpProblems = Partial<Record<string, string>>;

/** Go's time.ParseDuration syntax, which headscale's update_frequency uses: 24h, 1h30m, 90s. */
const GO_DURATION = /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/;

export function derpField(section: HeadscaleDerpSection, field: string): unknown {
  const [a, b] = field.split('.');
  const top = (section as Record<string, unknown>)[a];
  if (b === undefined) return top;
  return typeof top === 'object' && top !== null ? (top as Record<string, unknown>)[b] : undefined;
}

export function validateHeadscaleDerp(section: unknown): HeadscaleDerpProblems {
  if (typeof section !== 'object' || section === null || Array.isArray(section))
    return { derp: '"derp" must be a section (a map of settings)' };
  const d = section as HeadscaleDerpSection;
  const problems: HeadscaleDerpProblems = {};
  const server = (d as Record<string, unknown>).server;
  if (server !== undefined && (typeof server !== 'object' || server === null || Array.isArray(server)))
    problems.server = '"server" must be a section (a map of settings)';
  for (const [field, kind] of Object.entries(HEADSCALE_DERP_FIELDS)) {
    const v = derpField(d, field);
    if (v === undefined || v === null) continue;
    const problem = kind === 'list' ? listProblem(field, v) : typeProblem(field, v, kind);
    if (problem) problems[field] = problem;
  }
  for (const [field, check] of Object.entries(VALUE_CHECKS)) {
    const v = derpField(d, field);
    if (problems[field] || v === undefined || v === null || v === '') continue;
    const problem = check(v as never);
    if (problem) problems[field] = problem;
  }
  if (d.server?.enabled === true && !d.server.stun_listen_addr && !problems['server.stun_listen_addr'])
    problems['server.stun_listen_addr'] = 'headscale needs a STUN address when the embedded DERP server is enabled';
  return problems;
}

function typeProblem(field: string, v: unknown, kind: string): string | null {
  if (typeof v === kind) return null;
  return `${field} must be ${kind === 'boolean' ? 'true or false' : `a ${kind}`}, got ${JSON.stringify(v)}`;
}

function listProblem(field: string, v: unknown): string | null {
  if (!Array.isArray(v)) return `${field} must be a list, got ${JSON.stringify(v)}`;
  for (const [i, item] of v.entries()) {
    if (typeof item !== 'string' || item.trim() === '') return `${field} line ${i + 1} is empty or not text`;
    if (field === 'urls' && !isHttpUrl(item)) return `urls line ${i + 1}: "${item}" is not an http:// or https:// URL`;
  }
  return null;
}

function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return (u.protocol === 'https:' || u.protocol === 'http:') && u.hostname !== '';
  } catch {
    return false;
  }
}

const VALUE_CHECKS: Record<string, (v: never) => string | null> = {
  'server.region_id': (v: number) =>
    Number.isInteger(v) && v > 0 && v <= 65535 ? null : `server.region_id must be a whole number from 1, got ${v}`,
  'server.stun_listen_addr': (v: string) => stunAddrProblem(v),
  'server.ipv4': (v: string) => (isIPv4(v) ? null : `server.ipv4 "${v}" is not an IPv4 address`),
  'server.ipv6': (v: string) => (isIPv6(v) ? null : `server.ipv6 "${v}" is not an IPv6 address`),
  update_frequency: (v: string) =>
    GO_DURATION.test(v) ? null : `update_frequency "${v}" is not a duration such as 24h, 1h30m or 90s`,
};

/** host:port, [v6]:port or :port, as Go's net.ListenPacket takes it. */
function stunAddrProblem(v: string): string | null {
  const m = /^(\[([^\]]*)\]|([^:]*)):(\d+)$/.exec(v);
  const host = m?.[2] ?? m?.[3] ?? '';
  const port = Number(m?.[4]);
  const hostOk = host === '' || isIPv4(host) || (m?.[2] !== undefined && isIPv6(host)) || HOSTNAME.test(host);
  if (!m || !hostOk || !Number.isInteger(port) || port < 1 || port > 65535)
    return `server.stun_listen_addr "${v}" must be address:port, e.g. 0.0.0.0:3478 or [::]:3478`;
  return null;
}
