/**
 * Whether real Tailscale clients could use this relay's DERP map entry, and the settings that would make them able
 * to. Clients speak only HTTPS to DERP nodes (InsecureForTests is honoured by tests alone), verify the certificate
 * against HostName unless CertName pins it (`sha256-raw:<hex>`, which works on a bare IP), and dial HostName (or
 * the node's IPv4/IPv6) from another machine.
 */
import { promises as dns } from 'node:dns';
import os from 'node:os';
import type { MapEntryFix, MapEntryProblem } from '../../shared/api.js';
import { isIPv4, isIPv6 } from '../../shared/address.js';
import type { RelaySettings } from '../../shared/settings.js';
import { parseHostPort } from '../util/hostport.js';

/** `localhost`, 127.0.0.0/8, ::1 and their v4-mapped form: every client that dials one reaches itself. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  return (
    h === 'localhost' ||
    h.endsWith('.localhost') ||
    /^(::ffff:)?127\.\d+\.\d+\.\d+$/.test(h) ||
    h === '::1' ||
    /^0*:(0*:){0,6}0*1$/.test(h)
  );
}

function listenHost(addr: string): string | null {
  try {
    return parseHostPort(addr).host;
  } catch {
    return null;
  }
}

const loopbackListen = (addr: string) => {
  const host = listenHost(addr);
  return host !== null && isLoopbackHost(host);
};

/** Whether the address clients dial is this machine's loopback: HostName, unless IPv4 or IPv6 overrides it. */
function dialsLoopback(s: RelaySettings): boolean {
  const given = [s.ipv4, s.ipv6].filter((a) => a && a !== 'none');
  if (given.length > 0) return given.every(isLoopbackHost);
  return isLoopbackHost(s.hostName);
}

const stunAddrs = (s: RelaySettings) =>
  s.stunListen
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean);

/** Whether clients would look HostName up in DNS: no IPv4/IPv6 in the entry, and a name rather than an address. */
function dialsByName(s: RelaySettings): boolean {
  return !s.ipv4 && !s.ipv6 && !isIPv4(s.hostName) && !isIPv6(s.hostName) && !isLoopbackHost(s.hostName);
}

/** How long a DNS verdict is reused: the entry is asked for on every relay state change. */
const DNS_VERDICT_MS = 30_000;
/**
 * Recent lookups by name, answered or still running: getaddrinfo holds a libuv pool thread until the resolver gives
 * up, so a name is never looked up twice at once, and the table keeps at most a few names.
 */
const verdicts = new Map<string, { at: number; lookup: Promise<boolean | null> }>();
const MAX_VERDICTS = 8;

function lookupVerdict(name: string): Promise<boolean | null> {
  const now = Date.now();
  const known = verdicts.get(name);
  if (known && now - known.at < DNS_VERDICT_MS) return known.lookup;
  const lookup = dns.lookup(name, { all: true }).then(
    (addrs) => addrs.length > 0,
    (err: NodeJS.ErrnoException) => (err.code === 'ENOTFOUND' || err.code === 'ENODATA' ? false : null),
  );
  verdicts.delete(name);
  verdicts.set(name, { at: now, lookup });
  if (verdicts.size > MAX_VERDICTS) verdicts.delete(verdicts.keys().next().value!);
  return lookup;
}

/**
 * Whether the name clients would look up has an address: false only when DNS says it has none; null when no
 * lookup is needed or DNS gives no answer in time (no verdict then).
 */
export async function hostResolves(s: RelaySettings, timeoutMs = 1500): Promise<boolean | null> {
  if (!dialsByName(s)) return null;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), timeoutMs)));
  try {
    return await Promise.race([lookupVerdict(s.hostName.toLowerCase()), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** `resolves`: what hostResolves found out about HostName. */
export function entryProblems(
  s: RelaySettings,
  certName: string | undefined,
  resolves: boolean | null = null,
): MapEntryProblem[] {
  const out: MapEntryProblem[] = [];
  if (s.tlsMode === 'none')
    out.push({
      what: 'TLS is off. Tailscale clients reach DERP nodes only over HTTPS; the InsecureForTests flag this entry carries is honoured by tests alone.',
      change:
        'Use self-signed TLS (clients pin the certificate by CertName; works on a bare IP address), or manual TLS with a certificate for a real host name.',
    });
  if (dialsLoopback(s))
    out.push({
      what: `Clients would dial ${s.ipv4 || s.ipv6 || s.hostName}, a loopback address: each client would reach itself, not this relay.`,
      change: 'Set Host name (and IPv4) to a DNS name or address of this machine that clients can reach.',
    });
  if (resolves === false)
    out.push({
      what: `${s.hostName} has no address in DNS, and the entry gives no IPv4 or IPv6: clients cannot find the relay.`,
      change: `Add a DNS record for ${s.hostName}, or set IPv4 (or IPv6) to an address of this machine.`,
    });
  if (loopbackListen(s.listenAddr))
    out.push({
      what: `The relay listens on ${s.listenAddr} only: no other machine can connect to it.`,
      change: 'Listen on all interfaces (":<port>") or on an address clients reach.',
    });
  if (s.stunEnabled && stunAddrs(s).length > 0 && stunAddrs(s).every(loopbackListen))
    out.push({
      what: `STUN listens on ${s.stunListen} only: clients cannot learn their public address from it.`,
      change: 'Listen for STUN on all interfaces (":3478").',
    });
  if (s.tlsMode === 'self-signed' && !certName)
    out.push({
      what: "The entry has no CertName yet: the self-signed certificate's pin is known once the relay runs with it.",
      change: 'Start the relay, then copy the entry.',
    });
  return out;
}

/** This machine's addresses that other machines could reach: IPv4 first, then global IPv6 (no link-local). */
export function reachableAddresses(): string[] {
  const v4: string[] = [];
  const v6: string[] = [];
  for (const list of Object.values(os.networkInterfaces()))
    for (const a of list ?? []) {
      if (a.internal || isLoopbackHost(a.address)) continue;
      if (a.family === 'IPv4') v4.push(a.address);
      else if (!/^fe80:/i.test(a.address)) v6.push(a.address);
    }
  return [...v4, ...v6];
}

/** `host:port` with the host removed: the same port on all interfaces. */
function allInterfaces(addr: string): string {
  const port = parseHostPort(addr).port;
  return `:${port}`;
}

/**
 * The smallest change of settings that makes the entry usable: self-signed TLS (pinned by CertName), listening on
 * all interfaces, and `addresses[0]` as IPv4/IPv6 (and as host name instead of a loopback one). Null when nothing
 * needs changing.
 */
export function proposeFix(s: RelaySettings, addresses: string[], resolves: boolean | null = null): MapEntryFix | null {
  const changes: Partial<RelaySettings> = {};
  const remaining: string[] = [];
  if (s.tlsMode === 'none') changes.tlsMode = 'self-signed';
  if (loopbackListen(s.listenAddr)) changes.listenAddr = allInterfaces(s.listenAddr);
  if (s.stunEnabled) {
    const addrs = stunAddrs(s);
    if (addrs.some(loopbackListen))
      changes.stunListen = [...new Set(addrs.map((a) => (loopbackListen(a) ? allInterfaces(a) : a)))].join(',');
  }
  const loopback = dialsLoopback(s);
  if (loopback || resolves === false) {
    const addr = addresses[0];
    if (addr === undefined)
      remaining.push(
        'This machine has no address other than loopback: connect it to a network, or set Host name by hand.',
      );
    else {
      // A name without DNS keeps its name (the certificate is pinned by CertName) and gets the address beside it.
      if (loopback) changes.hostName = addr;
      if (isIPv4(addr)) changes.ipv4 = addr;
      else if (isIPv6(addr)) changes.ipv6 = addr;
      if (s.ipv4 && isLoopbackHost(s.ipv4) && !isIPv4(addr)) changes.ipv4 = '';
      if (s.ipv6 && isLoopbackHost(s.ipv6) && !isIPv6(addr)) changes.ipv6 = '';
    }
  }
  return Object.keys(changes).length > 0 || remaining.length > 0 ? { changes, remaining } : null;
}
