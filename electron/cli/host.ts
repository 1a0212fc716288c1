/** `derpdesk host`: the desktop app's services and GUI, served to a browser. */
import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { RootsPolicy, defaultHostRoots } from '../app/file-access.js';
import { createAppServices } from '../app/services.js';
import { startStunRunner } from '../app/stun-runner.js';
import { startHost } from '../headless/host.js';
import { isLoopbackAddress } from '../headless/loopback.js';
import { isDnsName } from '../headless/request-guard.js';
import { loadHostTls, type HostTls } from '../headless/tls.js';
import { TokenFileError, loadOrCreateToken } from '../headless/token-file.js';
import { parseHostPort } from '../util/hostport.js';
import { installLastResort } from '../util/last-resort.js';
import { createConsoleLogger, type Logger } from '../util/log.js';
import { defaultDataDir } from '../util/paths.js';
import { UsageError, formatUsage, parseFlags, type FlagSpec, type ParsedFlags } from './flags.js';
import { SERVICE_STATE_DIR, flagWords, renderUnit, type UnitSpec } from './systemd-unit.js';
import { errorMessage } from '../../shared/errors.js';

export const HOST_FLAGS: FlagSpec[] = [
  {
    name: 'listen',
    type: 'string',
    default: '127.0.0.1:7080',
    arg: 'addr',
    help: 'address for the web GUI and its API',
  },
  {
    name: 'data-dir',
    type: 'string',
    default: '',
    arg: 'dir',
    help: `where settings and the relay key live (default ${defaultDataDir()})`,
  },
  {
    name: 'files-root',
    type: 'list',
    default: [],
    arg: 'dir',
    help: 'a folder whose files the GUI may open and save (maps, headscale config, allowlist); default: the data dir, /etc/headscale and /etc/derp',
  },
  {
    name: 'allow-remote',
    type: 'bool',
    default: false,
    help: 'allow --listen on a non-loopback address, and serve the GUI over HTTPS only (self-signed unless --tls-cert/--tls-key)',
  },
  {
    name: 'host-name',
    type: 'list',
    default: [],
    arg: 'names',
    help: 'a DNS name or public IP browsers use to reach this host (repeatable, or comma-separated); other Host headers are refused',
  },
  {
    name: 'tls-cert',
    type: 'string',
    default: '',
    arg: 'file',
    help: 'PEM certificate to serve HTTPS with, instead of a self-signed one (with --tls-key)',
  },
  { name: 'tls-key', type: 'string', default: '', arg: 'file', help: 'PEM private key of --tls-cert' },
  {
    name: 'token-file',
    type: 'string',
    default: '',
    arg: 'file',
    help: 'keep the access token in this file (made 0600 with a random token when missing), so the URL stays the same across restarts; without it, each start makes a new token',
  },
  {
    name: 'verbose',
    type: 'bool',
    default: false,
    help: "also log debug lines (the relay's connections, admission decisions, mesh links)",
  },
  {
    name: 'print-systemd-unit',
    type: 'bool',
    default: false,
    help: 'print a systemd unit that runs the host with these flags (and a --data-dir and --token-file of its own unless given), and exit (docs/service.md)',
  },
];

/** Flags naming files or folders: absolute in a printed unit, since a service starts elsewhere. */
const HOST_PATH_FLAGS = ['data-dir', 'files-root', 'tls-cert', 'tls-key', 'token-file'];

const USAGE = 'Usage: derpdesk host [flags]\n\nRuns derpdesk without a display and serves its GUI to a browser.';

function parseHostNames(values: string[]): string[] {
  const names = values
    .flatMap((v) => v.split(','))
    .map((n) => n.trim().toLowerCase())
    .filter(Boolean);
  for (const n of names) {
    if (!isIP(n) && !isDnsName(n))
      throw new UsageError(`--host-name "${n}" is not a DNS name or IP address (no scheme, port or path)`);
  }
  return names;
}

/** The name the self-signed certificate is made for: what browsers will be pointed at. */
function certName(listenHost: string, hostNames: string[]): string {
  if (hostNames.length > 0) return hostNames[0];
  if (listenHost !== '0.0.0.0' && listenHost !== '::') return listenHost;
  const h = os.hostname().toLowerCase();
  return isDnsName(h) ? h : 'localhost';
}

interface HostPlan {
  listen: { host: string; port: number };
  dataDir: string;
  filesRoots: string[];
  hostNames: string[];
  remote: boolean;
  allowRemote: boolean;
  tlsFiles: { certFile: string; keyFile: string } | null;
  tokenFile: string;
  verbose: boolean;
  /** Set by --print-systemd-unit: print this unit instead of running. */
  unit: UnitSpec | null;
}

/** Turns the flags into what to start, or a UsageError saying what is wrong. */
function planHost(argv: string[]): HostPlan | 'help' {
  const f = parseFlags(HOST_FLAGS, argv);
  if (f.help) return 'help';
  if (f.rest.length > 0) throw new UsageError(`unexpected argument "${f.rest[0]}"`);
  const listen = parseHostPort(String(f.values.listen), '--listen');
  if (!listen.host) listen.host = '0.0.0.0';
  const remote = !isLoopbackAddress(listen.host);
  const allowRemote = Boolean(f.values['allow-remote']);
  if (remote && !allowRemote) {
    throw new UsageError(
      `--listen ${f.values.listen} is not a loopback address; add --allow-remote if you mean it (anyone who can reach it and has the token controls the relay)`,
    );
  }
  const hostNames = parseHostNames(f.values['host-name'] as string[]);
  const cert = String(f.values['tls-cert']);
  const key = String(f.values['tls-key']);
  if (Boolean(cert) !== Boolean(key))
    throw new UsageError('--tls-cert and --tls-key go together: give both, or neither for a self-signed certificate');
  const dataDir = path.resolve(String(f.values['data-dir']) || defaultDataDir());
  const extraRoots = (f.values['files-root'] as string[]).map((r) => path.resolve(r));
  const missing = extraRoots.find((r) => !existsSync(r));
  if (missing) throw new UsageError(`--files-root ${missing}: no such folder`);
  const tokenFile = String(f.values['token-file']);
  return {
    listen,
    dataDir,
    filesRoots: extraRoots.length > 0 ? [dataDir, ...extraRoots] : defaultHostRoots(dataDir),
    hostNames,
    remote,
    allowRemote,
    tlsFiles: cert ? { certFile: path.resolve(cert), keyFile: path.resolve(key) } : null,
    tokenFile: tokenFile && path.resolve(tokenFile),
    verbose: Boolean(f.values.verbose),
    unit: f.values['print-systemd-unit'] ? hostUnit(f, extraRoots) : null,
  };
}

/**
 * The unit for --print-systemd-unit. A service needs a token that survives restarts (nobody reads a new one from
 * the journal each time) and a data dir of its own, so both are filled in when not given.
 */
function hostUnit(f: ParsedFlags, extraRoots: string[]): UnitSpec {
  const dataDir = f.given.has('data-dir') ? path.resolve(String(f.values['data-dir'])) : SERVICE_STATE_DIR;
  const tokenFile = f.given.has('token-file')
    ? path.resolve(String(f.values['token-file']))
    : path.join(dataDir, 'host-token');
  const filled = [
    ...(f.given.has('data-dir') ? [] : [`--data-dir=${dataDir}`]),
    ...(f.given.has('token-file') ? [] : [`--token-file=${tokenFile}`]),
  ];
  const omit = ['print-systemd-unit'];
  const roots = extraRoots.length > 0 ? extraRoots : defaultHostRoots(dataDir).filter((r) => r !== dataDir);
  return {
    description: 'derpdesk host: the derpdesk GUI served to a browser',
    args: ['host', ...flagWords(HOST_FLAGS, f, { dash: '--', pathFlags: HOST_PATH_FLAGS, omit }), ...filled],
    // The GUI saves maps and the allowlist in the files roots; settings, keys and the token live in the data dir.
    writablePaths: [dataDir, path.dirname(tokenFile), ...roots],
    reloads: false,
  };
}

export async function runHost(argv: string[]): Promise<number> {
  let plan: HostPlan | 'help';
  try {
    plan = planHost(argv);
  } catch (err) {
    process.stderr.write(`derpdesk host: ${errorMessage(err)}\nRun "derpdesk host --help" for the flags.\n`);
    return 2;
  }
  if (plan === 'help') {
    process.stdout.write(formatUsage(USAGE, HOST_FLAGS));
    return 0;
  }
  if (plan.unit) {
    process.stdout.write(renderUnit(plan.unit));
    return 0;
  }
  const log = createConsoleLogger({ verbose: plan.verbose });
  installLastResort(log, { name: 'derpdesk host' });
  let tls: HostTls | undefined;
  let token: string | undefined;
  try {
    if (plan.tlsFiles) tls = await loadHostTls(plan.tlsFiles);
    else if (plan.allowRemote)
      tls = await loadHostTls({ dataDir: plan.dataDir, name: certName(plan.listen.host, plan.hostNames) });
    if (plan.tokenFile) {
      const kept = await loadOrCreateToken(plan.tokenFile);
      token = kept.token;
      log.info(`derpdesk host: access token ${kept.created ? 'made and saved in' : 'read from'} ${plan.tokenFile}`);
    }
  } catch (err) {
    process.stderr.write(`derpdesk host: ${errorMessage(err)}\n`);
    return err instanceof TokenFileError ? 2 : 1;
  }
  if (plan.remote) {
    process.stderr.write(
      `derpdesk host: WARNING: serving the GUI on ${plan.listen.host}, reachable from other machines; keep the token secret, or prefer an SSH tunnel to a loopback address\n`,
    );
  }
  return serve(plan, log, tls, token);
}

/** Runs the services and the host until SIGINT or SIGTERM; the relay starts too when the settings say so. */
async function serve(plan: HostPlan, log: Logger, tls: HostTls | undefined, token: string | undefined) {
  const services = createAppServices({
    dataDir: plan.dataDir,
    logger: log,
    startStun: startStunRunner,
    files: new RootsPolicy(plan.filesRoots),
  });
  let host;
  try {
    host = await startHost({
      services,
      staticDir: path.resolve(import.meta.dirname, 'renderer'),
      host: plan.listen.host,
      port: plan.listen.port,
      hostNames: plan.hostNames,
      token,
      tls: tls && { cert: tls.cert, key: tls.key },
    });
  } catch (err) {
    process.stderr.write(`derpdesk host: ${errorMessage(err)}\n`);
    await services.dispose();
    return 1;
  }
  if (tls) {
    const origin = plan.tlsFiles
      ? `from ${tls.certFile}`
      : `self-signed, ${tls.created ? 'created' : 'kept'} in ${tls.certFile}`;
    process.stdout.write(
      `derpdesk host: TLS certificate (${origin}) SHA-256 fingerprint:\n  ${tls.fingerprint}\nderpdesk host: compare it with the one your browser shows before you accept the certificate\n`,
    );
  }
  const running = host;
  const stopped = new Promise<number>((resolve) => {
    const stop = (signal: string) => {
      log.info(`derpdesk host: ${signal}, telling relay clients to reconnect and shutting down`);
      Promise.all([running.close(), services.dispose()]).then(
        () => resolve(0),
        (err: unknown) => {
          log.warn(`derpdesk host: stopping failed: ${errorMessage(err)}`);
          resolve(1);
        },
      );
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  process.stdout.write(`derpdesk host: open ${host.url}\n`);
  // The GUI is up first: a relay that cannot start is reported there and in the log, and the host keeps serving.
  await services.startRelayOnLaunch();
  return stopped;
}
