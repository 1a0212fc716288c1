/**
 * `derpdesk relay`: a drop-in for derper's command line. Flag names and defaults follow cmd/derper, including
 * its rule that TLS is served on port 443 or with -certmode manual (and here with any -certmode given explicitly).
 */
import cluster from 'node:cluster';
import os from 'node:os';
import path from 'node:path';
import { existsSync, watchFile } from 'node:fs';
import { isIP } from 'node:net';
import { AllowList, createAdmissionCheck } from '../relay/admission.js';
import { KeyFileError } from '../relay/keyfile.js';
import { readMeshKeyFile } from '../relay/mesh.js';
import { loadRateConfig } from '../relay/rate-config.js';
import { describeCert, loadOrCreateSelfSigned } from '../relay/selfsigned.js';
import { installLastResort } from '../util/last-resort.js';
import { createConsoleLogger, type Logger } from '../util/log.js';
import { RelayService, RelayStartError, type RelayServiceConfig, type TlsFiles } from '../relay/service.js';
import { runPrimary, type PrimaryStun } from '../relay/workers/primary.js';
import { RelayWorker } from '../relay/workers/worker.js';
import { StunServer, allAddresses, stunVarz, type StunListen } from '../stun/server.js';
import { DEFAULT_STUN_RATE_LIMIT, type StunRateLimit } from '../stun/source-limit.js';
import { formatHostPort, parseHostPort } from '../util/hostport.js';
import { defaultDataDir } from '../util/paths.js';
import { UsageError, formatUsage, parseFlags, type FlagSpec, type FlagValues, type ParsedFlags } from './flags.js';
import { LETSENCRYPT_DIRECTORY, checkAcmeHostname, type AcmeConfig } from '../relay/acme/manager.js';
import { reloadOnHangup } from './relay-reload.js';
import { SERVICE_STATE_DIR, flagWords, renderUnit, type UnitSpec } from './systemd-unit.js';
import { VERSION } from './version.js';
import { errorMessage } from '../../shared/errors.js';
import { BootstrapDns, parseBootstrapNames, type BootstrapName } from '../relay/bootstrap-dns.js';
import { DEFAULT_TAILSCALED_SOCKET } from '../relay/local-tailscaled.js';
import { parseHomePage, type HomePage } from '../relay/site-pages.js';
import { parseGoDuration } from '../util/go-duration.js';

export const RELAY_FLAGS: FlagSpec[] = [
  {
    name: 'a',
    type: 'string',
    default: ':443',
    arg: 'addr',
    help: 'listen address: ":port", "ip:port" or "[ipv6]:port"; without an IP, all IPv4 and IPv6 addresses',
  },
  {
    name: 'http-port',
    type: 'int',
    default: 80,
    arg: 'port',
    help: 'plain-HTTP port beside a TLS listener (captive-portal checks, redirect to https); -1 disables it',
  },
  {
    name: 'c',
    type: 'string',
    default: '',
    arg: 'file',
    help: `server private key file, derper's JSON or headscale's privkey: form; created when missing (default <data dir>/derper.key)`,
  },
  {
    name: 'certmode',
    type: 'string',
    default: 'letsencrypt',
    arg: 'mode',
    help: 'TLS certificate mode: "letsencrypt" (from an ACME CA for -hostname, by HTTP-01 on -http-port or TLS-ALPN-01 on the TLS port; cached in -certdir and renewed; by default only when -a is port 443, else plain HTTP, as derper does), "manual" (files in -certdir; with an IP -hostname and no files, a self-signed certificate is made, as derper does), "self-signed" (made once in -certdir and reused; clients pin it with the printed CertName) or "none" (plain HTTP, e.g. behind a TLS proxy)',
  },
  {
    name: 'certdir',
    type: 'string',
    default: '',
    arg: 'dir',
    help: 'directory with <hostname>.crt and <hostname>.key for -certmode manual, and the ACME account and certificate cache for -certmode letsencrypt (default <data dir>/certs)',
  },
  {
    name: 'hostname',
    type: 'string',
    default: os.hostname(),
    arg: 'name',
    help: "the relay's host name; names the certificate files in -certdir; required with -certmode letsencrypt (the DNS name clients dial)",
  },
  {
    name: 'acme-directory',
    type: 'string',
    default: LETSENCRYPT_DIRECTORY,
    arg: 'url',
    help: "the ACME CA's directory URL for -certmode letsencrypt (e.g. Let's Encrypt staging: https://acme-staging-v02.api.letsencrypt.org/directory)",
  },
  {
    name: 'acme-email',
    type: 'string',
    default: '',
    arg: 'address',
    help: 'contact address for the ACME account (expiry warnings from the CA); optional',
  },
  {
    name: 'acme-ca-file',
    type: 'string',
    default: '',
    arg: 'file',
    help: "PEM CA certificate to trust for the ACME directory's HTTPS, besides the system's (a test or private CA)",
  },
  { name: 'dev', type: 'bool', default: false, help: 'development mode: plain HTTP on :3340' },
  { name: 'stun', type: 'bool', default: true, help: 'also run a STUN server' },
  {
    name: 'stun-port',
    type: 'int',
    default: 3478,
    arg: 'port',
    help: 'the UDP port for STUN, on the host of -a (all IPv4 and IPv6 addresses when -a names none)',
  },
  {
    name: 'mesh-psk-file',
    type: 'string',
    default: '',
    arg: 'file',
    help: "file holding the region's mesh key (64 hex characters); peers with it skip verification and rate limits",
  },
  {
    name: 'mesh-with',
    type: 'string',
    default: '',
    arg: 'peers',
    help: 'comma-separated peer servers to mesh with: host, host/dialhost (dialled as https://dialhost/derp) or a full URL',
  },
  {
    name: 'verify-client-url',
    type: 'string',
    default: '',
    arg: 'url',
    help: 'admission controller: POST {"NodePublic","Source"}, admit on 200 {"Allow":true} (headscale serves this at /verify)',
  },
  {
    name: 'verify-client-url-fail-open',
    type: 'bool',
    default: true,
    help: 'admit clients when the verify URL cannot be reached (transport errors only)',
  },
  {
    name: 'allow-keys-file',
    type: 'string',
    default: '',
    arg: 'file',
    help: 'admit only node keys listed in this file (nodekey:<hex> per line, # comments); re-read when it changes',
  },
  {
    name: 'rate-config',
    type: 'string',
    default: '',
    arg: 'file',
    help: 'per-client receive rate limits, derper\'s JSON ({"PerClientRateLimitBytesPerSec":…,"PerClientRateBurstBytes":…}); re-read when it changes',
  },
  {
    name: 'accept-connection-limit',
    type: 'float',
    default: Infinity,
    arg: 'per-second',
    help: 'new connections accepted per second (beyond the burst, extra connections are closed)',
  },
  {
    name: 'accept-connection-burst',
    type: 'int',
    default: Number.MAX_SAFE_INTEGER,
    arg: 'n',
    help: 'burst of new connections allowed above -accept-connection-limit',
  },
  {
    name: 'stun-listen',
    type: 'string',
    default: '',
    arg: 'addrs',
    help: "explicit STUN addresses, comma-separated, e.g. 127.0.0.1:3478,[::1]:3478 (headscale's stun_listen_addr); overrides -stun-port",
  },
  {
    name: 'stun-rate-limit',
    type: 'float',
    default: DEFAULT_STUN_RATE_LIMIT.perSecond,
    arg: 'per-second',
    help: 'STUN answers per second per source IP after the burst (the limit keeps the server from amplifying spoofed floods)',
  },
  {
    name: 'stun-rate-burst',
    type: 'int',
    default: DEFAULT_STUN_RATE_LIMIT.burst,
    arg: 'n',
    help: 'STUN answers a source IP may get at once before -stun-rate-limit applies',
  },
  {
    name: 'derp',
    type: 'bool',
    default: true,
    help: "whether to run a DERP server. The only reason to set this false is if you're decommissioning a server but want to keep its bootstrap DNS functionality still running.",
  },
  {
    name: 'home',
    type: 'string',
    default: '',
    arg: 'what',
    help: 'what to serve at the root path. It may be left empty (the default, for a default homepage), "blank" for a blank page, or a URL to redirect to',
  },
  {
    name: 'bootstrap-dns-names',
    type: 'string',
    default: '',
    arg: 'names',
    help: 'optional comma-separated list of hostnames to make available at /bootstrap-dns',
  },
  {
    name: 'unpublished-bootstrap-dns-names',
    type: 'string',
    default: '',
    arg: 'names',
    help: 'optional comma-separated list of hostnames to make available at /bootstrap-dns and not publish in the list. If an entry contains a slash, the second part names a DNS record to poll for its TXT record with a `0` to `100` value for rollout percentage.',
  },
  {
    name: 'verify-clients',
    type: 'bool',
    default: false,
    help: 'verify clients to this DERP server through a local tailscaled instance.',
  },
  {
    name: 'socket',
    type: 'string',
    default: '',
    arg: 'path',
    help: `optional alternate path to tailscaled socket (only relevant when using --verify-clients; default ${DEFAULT_TAILSCALED_SOCKET})`,
  },
  {
    name: 'tcp-keepalive-time',
    type: 'string',
    default: '10m',
    arg: 'duration',
    help: 'TCP keepalive time',
  },
  {
    name: 'tcp-user-timeout',
    type: 'string',
    default: '15s',
    arg: 'duration',
    help: 'TCP user timeout (Node cannot set TCP_USER_TIMEOUT: accepted for derper command lines; -tcp-write-timeout closes clients that stop reading)',
  },
  {
    name: 'tcp-write-timeout',
    type: 'string',
    default: '2s',
    arg: 'duration',
    help: 'TCP write timeout; 0 results in no timeout being set on writes',
  },
  {
    name: 'workers',
    type: 'int',
    default: 1,
    arg: 'n',
    help: `relay processes sharing the listen address, to use more than one core (docs/performance.md); they relay to each other over loopback, STUN and Let's Encrypt run once in the primary, each worker meshes with the -mesh-with peers`,
  },
  {
    name: 'verbose',
    type: 'bool',
    default: false,
    help: 'also log debug lines: each connection accepted and closed, admission decisions, mesh link changes, a STUN drop summary a minute',
  },
  { name: 'version', type: 'bool', default: false, help: 'print the version and exit' },
  {
    name: 'print-systemd-unit',
    type: 'bool',
    default: false,
    help: 'print a systemd unit that runs the relay with these flags, and exit (docs/service.md)',
  },
];

/** Flags naming files or folders: absolute in a printed unit, since a service starts elsewhere. */
const RELAY_PATH_FLAGS = ['c', 'certdir', 'mesh-psk-file', 'allow-keys-file', 'rate-config'];

/** The unit for --print-systemd-unit: these flags, the data dir in the service's state directory. */
function relayUnit(f: ParsedFlags): UnitSpec {
  const given = (name: string) => (f.given.has(name) ? [path.resolve(String(f.values[name]))] : []);
  return {
    description: 'derpdesk DERP relay',
    args: [
      'relay',
      ...flagWords(RELAY_FLAGS, f, { dash: '-', pathFlags: RELAY_PATH_FLAGS, omit: ['print-systemd-unit'] }),
    ],
    // The key file is created when missing, and certificates are made or renewed in -certdir.
    writablePaths: [...given('c').map((c) => path.dirname(c)), ...given('certdir')],
    environment: { DERPDESK_DATA_DIR: SERVICE_STATE_DIR },
    reloads: true,
  };
}

const USAGE = 'Usage: derpdesk relay [flags]\n\nRuns a DERP relay compatible with Tailscale clients and derper.';

export interface RelayPlan {
  addr: string;
  tls: TlsFiles | null;
  httpPort: number;
  keyFile: string;
  /** Set when a self-signed certificate is to be made (or reused) in this directory. */
  selfSigned: { certdir: string; hostname: string } | null;
  /** Set with -certmode letsencrypt (given, or the default on port 443). */
  acme: AcmeConfig | null;
  /** A line to print at start about how the flags were read. */
  notice: string | null;
  hostname: string;
  /** Empty when STUN is off. */
  stun: StunListen[];
  stunRateLimit: StunRateLimit;
  meshPskFile: string;
  meshWith: string[];
  verifyClientUrl: string;
  verifyFailOpen: boolean;
  allowKeysFile: string;
  rateConfigFile: string;
  acceptLimit: { perSecond: number; burst: number };
  verbose: boolean;
  derpEnabled: boolean;
  home: HomePage;
  bootstrapNames: { published: BootstrapName[]; unpublished: BootstrapName[] };
  /** Set by -verify-clients: the tailscaled LocalAPI socket to ask. */
  tailscaledSocket: string;
  tcpKeepAliveMs: number;
  /** Infinity when -tcp-write-timeout is 0. */
  writeTimeoutMs: number;
  /** Set when -tcp-user-timeout was given another value than derper's default: it cannot take effect. */
  userTimeoutIgnored: string | null;
  /** Set by -print-systemd-unit: print this unit instead of running. */
  unit: UnitSpec | null;
  /** -workers: 1 is the single process; more makes this process the primary of that many relay processes. */
  workers: number;
}

function durationFlag(v: Record<string, unknown>, name: string): number {
  const ms = parseGoDuration(String(v[name]));
  if (ms === null) throw new UsageError(`-${name} "${String(v[name])}" is not a duration (e.g. 10m, 15s, 500ms, 0)`);
  return ms;
}

/** derper's site flags: -derp, -home, the bootstrap DNS names, -verify-clients and the TCP knobs. */
function planSite(v: Record<string, unknown>) {
  const asUsage = <T>(f: () => T): T => {
    try {
      return f();
    } catch (err) {
      throw new UsageError(errorMessage(err));
    }
  };
  const writeTimeoutMs = durationFlag(v, 'tcp-write-timeout');
  const userTimeout = String(v['tcp-user-timeout']);
  durationFlag(v, 'tcp-user-timeout');
  return {
    derpEnabled: Boolean(v.derp),
    home: asUsage(() => parseHomePage(String(v.home))),
    bootstrapNames: asUsage(() => ({
      published: parseBootstrapNames(String(v['bootstrap-dns-names']), '-bootstrap-dns-names'),
      unpublished: parseBootstrapNames(
        String(v['unpublished-bootstrap-dns-names']),
        '-unpublished-bootstrap-dns-names',
      ),
    })),
    tailscaledSocket: v['verify-clients'] ? String(v.socket) || DEFAULT_TAILSCALED_SOCKET : '',
    tcpKeepAliveMs: durationFlag(v, 'tcp-keepalive-time'),
    writeTimeoutMs: writeTimeoutMs === 0 ? Infinity : writeTimeoutMs,
    userTimeoutIgnored: parseGoDuration(userTimeout) === 15_000 ? null : userTimeout,
  };
}

/** Turns derper-style flags into what to start, or a UsageError saying what is wrong. */
export function planRelay(argv: string[]): RelayPlan | 'help' {
  const f = parseFlags(RELAY_FLAGS, argv);
  if (f.help) return 'help';
  if (f.rest.length > 0) throw new UsageError(`unexpected argument "${f.rest[0]}"`);
  const v = f.values;
  const dataDir = defaultDataDir();
  let addr = String(v.a);
  if (v.dev) addr = ':3340';
  const listenAt = parseHostPort(addr, '-a');
  const certmode = String(v.certmode);
  if (!['letsencrypt', 'manual', 'self-signed', 'none'].includes(certmode)) {
    throw new UsageError(`unsupported -certmode "${certmode}" (use manual, self-signed or none)`);
  }
  const wantsTls =
    !v.dev && certmode !== 'none' && (listenAt.port === 443 || certmode !== 'letsencrypt' || f.given.has('certmode'));
  let tls: TlsFiles | null = null;
  let selfSigned: RelayPlan['selfSigned'] = null;
  let acme: AcmeConfig | null = null;
  const notice =
    !v.dev && certmode === 'letsencrypt' && !wantsTls
      ? `derpdesk relay: serving plain HTTP on port ${listenAt.port}: derper's default -certmode letsencrypt means TLS only on port 443; give -certmode letsencrypt, manual or self-signed for TLS on this port`
      : null;
  const certdir = String(v.certdir) || path.join(dataDir, 'certs');
  if (wantsTls && certmode === 'letsencrypt') {
    acme = planAcme(v, f.given.has('hostname'), certdir);
  } else if (wantsTls) {
    const host = String(v.hostname);
    if (!/^[A-Za-z0-9.:_-]+$/.test(host)) throw new UsageError(`-hostname "${host}" is not a valid host name`);
    tls = { certFile: path.join(certdir, `${host}.crt`), keyFile: path.join(certdir, `${host}.key`) };
    // derper's rule: manual mode with an IP host name and no certificate files means a self-signed certificate.
    if (certmode === 'self-signed' || (isIP(host) && !existsSync(tls.certFile) && !existsSync(tls.keyFile)))
      selfSigned = { certdir, hostname: host };
  }
  const httpPort = Number(v['http-port']);
  if (httpPort < -1 || httpPort > 65535) throw new UsageError(`-http-port ${httpPort} is out of range (-1 to 65535)`);
  const meshWith = String(v['mesh-with'])
    .split(',')
    .map((m) => m.trim())
    .filter(Boolean);
  if (meshWith.length > 0 && !v['mesh-psk-file']) throw new UsageError('-mesh-with needs -mesh-psk-file');
  const verifyClientUrl = String(v['verify-client-url']);
  if (verifyClientUrl && !/^https?:\/\//.test(verifyClientUrl))
    throw new UsageError(`-verify-client-url "${verifyClientUrl}" is not an http(s) URL`);
  return {
    addr,
    tls,
    selfSigned,
    acme,
    notice,
    hostname: String(v.hostname),
    httpPort,
    keyFile: String(v.c) || path.join(dataDir, 'derper.key'),
    stun: v.stun ? planStun(listenAt.host, Number(v['stun-port']), String(v['stun-listen'])) : [],
    stunRateLimit: planStunRateLimit(Number(v['stun-rate-limit']), Number(v['stun-rate-burst'])),
    meshPskFile: String(v['mesh-psk-file']),
    meshWith,
    verifyClientUrl,
    verifyFailOpen: Boolean(v['verify-client-url-fail-open']),
    allowKeysFile: String(v['allow-keys-file']),
    rateConfigFile: String(v['rate-config']),
    acceptLimit: { perSecond: Number(v['accept-connection-limit']), burst: Number(v['accept-connection-burst']) },
    verbose: Boolean(v.verbose),
    ...planSite(v),
    unit: v['print-systemd-unit'] ? relayUnit(f) : null,
    workers: planWorkers(v),
  };
}

/** The most -workers takes: far past any core count a relay box has, so a typo cannot fork thousands of processes. */
const MAX_WORKERS = 256;

function planWorkers(v: FlagValues): number {
  const n = Number(v.workers);
  if (n < 1 || n > MAX_WORKERS) throw new UsageError(`-workers ${n} is out of range (1 to ${MAX_WORKERS})`);
  return n;
}

/** -certmode letsencrypt: the host name must be given, and be a DNS name a CA can issue for. */
function planAcme(v: FlagValues, hostnameGiven: boolean, certdir: string): AcmeConfig {
  if (!hostnameGiven)
    throw new UsageError(
      '-certmode letsencrypt needs -hostname, the DNS name clients dial and the certificate is for (as derper)',
    );
  const hostname = String(v.hostname);
  const bad = checkAcmeHostname(hostname);
  if (bad) throw new UsageError(bad);
  const directoryUrl = String(v['acme-directory']);
  if (!/^https?:\/\/[^\s/]+/.test(directoryUrl))
    throw new UsageError(`-acme-directory "${directoryUrl}" is not an http(s) URL`);
  return {
    hostname,
    certdir,
    directoryUrl,
    email: String(v['acme-email']) || undefined,
    caFile: String(v['acme-ca-file']) || undefined,
  };
}

/** derper binds STUN on -a's host and -stun-port; --stun-listen names the sockets explicitly. */
function planStun(host: string, port: number, explicit: string): StunListen[] {
  if (explicit) {
    return explicit.split(',').map((a) => {
      const hp = parseHostPort(a, '-stun-listen');
      return { host: hp.host || '0.0.0.0', port: hp.port };
    });
  }
  if (port < 0 || port > 65535) throw new UsageError(`-stun-port ${port} is out of range (0-65535)`);
  return host ? [{ host, port }] : allAddresses(port);
}

function planStunRateLimit(perSecond: number, burst: number): StunRateLimit {
  if (!(perSecond > 0 && perSecond < Infinity))
    throw new UsageError(`-stun-rate-limit ${perSecond} is not a positive rate: give answers per second, e.g. 20`);
  if (burst < 1) throw new UsageError(`-stun-rate-burst ${burst} is below 1: give at least 1`);
  return { ...DEFAULT_STUN_RATE_LIMIT, perSecond, burst };
}

/**
 * With -verbose, a minute's STUN drops as one debug line: the per-packet path only counts, and a flood of
 * rate-limited requests becomes a summary instead of a line per packet.
 */
function summarizeStunDrops(stun: StunServer, log: Logger): void {
  let seen = { rateLimited: 0, portZero: 0 };
  setInterval(() => {
    const now = { rateLimited: stun.stats.droppedRateLimited, portZero: stun.stats.droppedSourcePortZero };
    const rateLimited = now.rateLimited - seen.rateLimited;
    const portZero = now.portZero - seen.portZero;
    seen = now;
    if (rateLimited > 0 || portZero > 0)
      log.debug(`stun: dropped ${rateLimited} rate-limited and ${portZero} source-port-0 requests in the last minute`);
  }, 60_000).unref();
}

/** Re-reads -rate-config when it changes; a broken edit keeps the limits in force and says why. */
function watchRateConfig(file: string, service: RelayService, log: Logger): void {
  watchFile(file, { interval: 1000 }, () => {
    loadRateConfig(file).then(
      (rc) => {
        const applied = service.derp.setRateLimits(rc);
        log.info(`derpdesk relay: rate config applied: ${JSON.stringify(applied)}`);
      },
      (err: unknown) => log.warn(`derpdesk relay: keeping the previous rate limits: ${errorMessage(err)}`),
    );
  }).unref();
}

/** The plan to run, or the exit code when the flags asked for something else (-version, --help, a unit) or were wrong. */
function planOrExit(argv: string[]): RelayPlan | number {
  let plan: RelayPlan | 'help';
  try {
    // derper answers -version before judging the other flags, and prints the bare version for scripts.
    if (parseFlags(RELAY_FLAGS, argv).values.version) {
      process.stdout.write(`${VERSION}\n`);
      return 0;
    }
    plan = planRelay(argv);
  } catch (err) {
    if (err instanceof UsageError || err instanceof Error) {
      process.stderr.write(`derpdesk relay: ${err.message}\nRun "derpdesk relay --help" for the flags.\n`);
      return 2;
    }
    throw err;
  }
  if (plan === 'help') {
    process.stdout.write(formatUsage(USAGE, RELAY_FLAGS));
    return 0;
  }
  if (plan.unit) {
    process.stdout.write(renderUnit(plan.unit));
    return 0;
  }
  return plan;
}

/** Notices about flags that are accepted but change less than a derper user may expect. */
function noteAcceptedFlags(plan: RelayPlan, log: Logger): void {
  if (plan.notice) log.info(plan.notice);
  if (plan.userTimeoutIgnored !== null)
    log.info(
      `derpdesk relay: -tcp-user-timeout ${plan.userTimeoutIgnored} has no effect (Node cannot set TCP_USER_TIMEOUT); -tcp-write-timeout closes clients that stop reading`,
    );
  if (!plan.derpEnabled)
    log.info('derpdesk relay: -derp=false: /derp answers 404; STUN and /bootstrap-dns keep serving');
  if (plan.tailscaledSocket && !existsSync(plan.tailscaledSocket))
    log.warn(
      `derpdesk relay: -verify-clients: no tailscaled socket at ${plan.tailscaledSocket} yet; every client is refused until tailscaled runs there (use -socket PATH, or -verify-client-url with headscale's /verify)`,
    );
}

const asFileError = (what: string) => (e: unknown) =>
  Promise.reject(new KeyFileError(`${what}: ${errorMessage(e)}`, { cause: e }));

interface RelayParts {
  log: Logger;
  stun: StunServer | null;
  allowList: AllowList | undefined;
  bootstrapDns: BootstrapDns;
}

/** Reads every file the plan names, then starts the relay; a file that cannot be used throws a KeyFileError. */
async function startService(
  plan: RelayPlan,
  parts: RelayParts,
  workerOptions: Partial<RelayServiceConfig> = {},
): Promise<{ service: RelayService; createdCert: boolean }> {
  const { log, stun, allowList, bootstrapDns } = parts;
  const meshKey = plan.meshPskFile ? await readMeshKeyFile(plan.meshPskFile) : undefined;
  await allowList?.load().catch(asFileError('cannot read allowlist'));
  const admissionCheck = createAdmissionCheck({
    allowList,
    tailscaledSocket: plan.tailscaledSocket || undefined,
    verifyUrl: plan.verifyClientUrl ? { url: plan.verifyClientUrl, failOpen: plan.verifyFailOpen } : undefined,
    logger: log,
  });
  const createdCert = plan.selfSigned ? await ensureSelfSigned(plan.selfSigned) : false;
  const rateConfig = plan.rateConfigFile
    ? await loadRateConfig(plan.rateConfigFile).catch(asFileError('cannot use -rate-config'))
    : undefined;
  const service = await RelayService.start({
    ...plan,
    rateConfig,
    meshKey,
    meshWith: plan.meshWith,
    admissionCheck,
    logger: log,
    bootstrapDns,
    timing: { writeTimeoutMs: plan.writeTimeoutMs },
    extraVarz: () => (stun ? stunVarz(stun.stats) : []),
    ...workerOptions,
  });
  return { service, createdCert };
}

/** Starts STUN on the plan's sockets; false (the reason printed) when it cannot. */
async function startStun(stun: StunServer, plan: RelayPlan, log: Logger): Promise<boolean> {
  try {
    await stun.start(plan.stun);
  } catch (err) {
    process.stderr.write(`derpdesk relay: ${errorMessage(err)} (use -stun-port, -stun-listen, or -stun=false)\n`);
    return false;
  }
  for (const why of stun.skipped) log.info(`derpdesk relay: ${why}; STUN continues without it`);
  log.info(
    `derpdesk relay: STUN listening on ${stun
      .addresses()
      .map((a) => formatHostPort(a.host, a.port))
      .join(', ')}`,
  );
  return true;
}

/** Makes the self-signed certificate unless it exists; whether it was made now. A failure throws a KeyFileError. */
async function ensureSelfSigned(where: NonNullable<RelayPlan['selfSigned']>): Promise<boolean> {
  const cert = await loadOrCreateSelfSigned(where.certdir, where.hostname).catch(
    asFileError(`cannot create a self-signed certificate in ${where.certdir}`),
  );
  return cert.created;
}

/** STUN in a -workers primary: once for the whole relay, since N sockets cannot share one UDP port usefully. */
function primaryStun(plan: RelayPlan, log: Logger): PrimaryStun | null {
  if (plan.stun.length === 0) return null;
  const stun = new StunServer({ rateLimit: plan.stunRateLimit });
  if (log.debugEnabled) summarizeStunDrops(stun, log);
  return { start: () => startStun(stun, plan, log), varz: () => stunVarz(stun.stats), stop: () => stun.stop() };
}

/** A worker's share of the accept-rate limit, so that N workers together accept what the flags say. */
function workerPlan(plan: RelayPlan, worker: RelayWorker): RelayPlan {
  const n = worker.config.count;
  const { perSecond, burst } = plan.acceptLimit;
  return { ...plan, acceptLimit: { perSecond: perSecond / n, burst: Math.max(1, Math.ceil(burst / n)) } };
}

/** Prints the certificate in use and the DERP map node clients need (with CertName for a self-signed one). */
async function announceCertificate(plan: RelayPlan, service: RelayService, createdCert: boolean, log: Logger) {
  if (plan.tls) {
    const cert = await describeCert(plan.tls.certFile);
    const host = plan.hostname;
    const node = {
      HostName: host,
      ...(cert.selfSigned ? { CertName: cert.certName } : {}),
      ...(isIP(host) === 4 ? { IPv4: host } : isIP(host) === 6 ? { IPv6: host } : {}),
      DERPPort: service.endpoints[0].port,
    };
    process.stdout.write(
      `derpdesk relay: ${createdCert ? 'created self-signed' : cert.selfSigned ? 'using self-signed' : 'using'} certificate ${plan.tls.certFile} (valid until ${cert.notAfter.toISOString().slice(0, 10)})\n` +
        `derpdesk relay: DERP map node${cert.selfSigned ? ' (clients pin the certificate by CertName)' : ''}: ${JSON.stringify(node)}\n`,
    );
  }
  if (plan.acme) {
    const node = { HostName: plan.acme.hostname, DERPPort: service.endpoints[0].port };
    process.stdout.write(`derpdesk relay: DERP map node: ${JSON.stringify(node)}\n`);
    if (service.certificate()?.status !== 'valid')
      log.info(
        `derpdesk relay: TLS handshakes fail until the first certificate for ${plan.acme.hostname} is issued (progress below)`,
      );
  }
}

export async function runRelay(argv: string[]): Promise<number> {
  const plan = planOrExit(argv);
  if (typeof plan === 'number') return plan;
  const consoleLog = createConsoleLogger({ verbose: plan.verbose });
  installLastResort(consoleLog, { name: 'derpdesk relay' });
  if (plan.workers > 1 && cluster.isPrimary) {
    noteAcceptedFlags(plan, consoleLog);
    // Made here once, or every worker would race to create the same files.
    if (plan.selfSigned) {
      try {
        await ensureSelfSigned(plan.selfSigned);
      } catch (err) {
        process.stderr.write(`derpdesk relay: ${errorMessage(err)}\n`);
        return 2;
      }
    }
    const stun = primaryStun(plan, consoleLog);
    const acme = plan.acme && { config: plan.acme, httpChallenge: plan.httpPort >= 0 };
    return runPrimary({ workers: plan.workers, keyFile: plan.keyFile, log: consoleLog, stun, acme });
  }
  // Without a listener SIGHUP would end the process: a `systemctl reload` during start-up must not stop it.
  let onHangup = () => consoleLog.info('derpdesk relay: SIGHUP while starting; the files are being read anyway');
  process.on('SIGHUP', () => onHangup());
  const worker = cluster.isWorker ? await RelayWorker.join(consoleLog) : null;
  const log = worker?.log ?? consoleLog;
  if (!worker) noteAcceptedFlags(plan, log);
  const parts: RelayParts = {
    log,
    stun: plan.stun.length > 0 && !worker ? new StunServer({ rateLimit: plan.stunRateLimit }) : null,
    allowList: plan.allowKeysFile ? new AllowList(plan.allowKeysFile, log) : undefined,
    bootstrapDns: new BootstrapDns({ ...plan.bootstrapNames, logger: log }),
  };
  const { stun, allowList, bootstrapDns } = parts;
  let started: Awaited<ReturnType<typeof startService>>;
  try {
    started = await startService(worker ? workerPlan(plan, worker) : plan, parts, worker?.serviceOptions());
    await worker?.attach(started.service);
  } catch (err) {
    const code = err instanceof KeyFileError || (err instanceof RelayStartError && err.kind === 'file') ? 2 : 1;
    if (worker) await worker.failed(errorMessage(err), code);
    else process.stderr.write(`derpdesk relay: ${errorMessage(err)}\n`);
    return code;
  }
  const { service, createdCert } = started;
  if (stun && !(await startStun(stun, plan, log))) {
    await service.stop(null);
    return 1;
  }
  if (!worker || worker.config.announce) await announceCertificate(plan, service, createdCert, log);
  bootstrapDns.start().catch((e: unknown) => log.warn(`derpdesk relay: bootstrap DNS: ${errorMessage(e)}`));
  if (plan.rateConfigFile) watchRateConfig(plan.rateConfigFile, service, log);
  if (stun && log.debugEnabled) summarizeStunDrops(stun, log);
  if (service.keyFileCreated) log.info(`derpdesk relay: created server key file ${plan.keyFile}`);
  onHangup = reloadOnHangup({ service, allowList, rateConfigFile: plan.rateConfigFile }, log);
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      // A worker hears Ctrl-C from the terminal and the primary's SIGTERM: one stop is enough.
      if (stopping) return;
      stopping = true;
      log.info(`derpdesk relay: ${signal}, telling clients to reconnect and shutting down`);
      bootstrapDns.stop();
      worker?.stop();
      Promise.all([service.stop(), stun?.stop()]).then(
        () => resolve(0),
        () => resolve(1),
      );
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}
