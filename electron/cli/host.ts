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
import { parseHostPort } from '../util/hostport.js';
import { installLastResort } from '../util/last-resort.js';
import { createConsoleLogger } from '../util/log.js';
import { defaultDataDir } from '../util/paths.js';
import { UsageError, formatUsage, parseFlags, type FlagSpec } from './flags.js';
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
    name: 'verbose',
    type: 'bool',
    default: false,
    help: "also log debug lines (the relay's connections, admission decisions, mesh links)",
  },
];

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

export async function runHost(argv: string[]): Promise<number> {
  let listen: { host: string; port: number };
  let dataDir: string;
  let filesRoots: string[];
  let hostNames: string[];
  let remote: boolean;
  let allowRemote: boolean;
  let tlsFiles: { certFile: string; keyFile: string } | null = null;
  let verbose: boolean;
  try {
    const f = parseFlags(HOST_FLAGS, argv);
    if (f.help) {
      process.stdout.write(formatUsage(USAGE, HOST_FLAGS));
      return 0;
    }
    if (f.rest.length > 0) throw new UsageError(`unexpected argument "${f.rest[0]}"`);
    listen = parseHostPort(String(f.values.listen), '--listen');
    if (!listen.host) listen.host = '0.0.0.0';
    remote = !isLoopbackAddress(listen.host);
    allowRemote = Boolean(f.values['allow-remote']);
    if (remote && !allowRemote) {
      throw new UsageError(
        `--listen ${f.values.listen} is not a loopback address; add --allow-remote if you mean it (anyone who can reach it and has the token controls the relay)`,
      );
    }
    hostNames = parseHostNames(f.values['host-name'] as string[]);
    const cert = String(f.values['tls-cert']);
    const key = String(f.values['tls-key']);
    if (Boolean(cert) !== Boolean(key))
      throw new UsageError('--tls-cert and --tls-key go together: give both, or neither for a self-signed certificate');
    if (cert) tlsFiles = { certFile: path.resolve(cert), keyFile: path.resolve(key) };
    dataDir = String(f.values['data-dir']) || defaultDataDir();
    verbose = Boolean(f.values.verbose);
    const extraRoots = (f.values['files-root'] as string[]).map((r) => path.resolve(r));
    const missing = extraRoots.find((r) => !existsSync(r));
    if (missing) throw new UsageError(`--files-root ${missing}: no such folder`);
    filesRoots = extraRoots.length > 0 ? [dataDir, ...extraRoots] : defaultHostRoots(dataDir);
  } catch (err) {
    process.stderr.write(`derpdesk host: ${errorMessage(err)}\nRun "derpdesk host --help" for the flags.\n`);
    return 2;
  }
  const log = createConsoleLogger({ verbose });
  installLastResort(log, { name: 'derpdesk host' });
  let tls: HostTls | undefined;
  try {
    if (tlsFiles) tls = await loadHostTls(tlsFiles);
    else if (allowRemote) tls = await loadHostTls({ dataDir, name: certName(listen.host, hostNames) });
  } catch (err) {
    process.stderr.write(`derpdesk host: ${errorMessage(err)}\n`);
    return 1;
  }
  if (remote) {
    process.stderr.write(
      `derpdesk host: WARNING: serving the GUI on ${listen.host}, reachable from other machines; keep the token secret, or prefer an SSH tunnel to a loopback address\n`,
    );
  }
  const services = createAppServices({
    dataDir,
    logger: log,
    startStun: startStunRunner,
    files: new RootsPolicy(filesRoots),
  });
  let host;
  try {
    host = await startHost({
      services,
      staticDir: path.resolve(import.meta.dirname, 'renderer'),
      host: listen.host,
      port: listen.port,
      hostNames,
      tls: tls && { cert: tls.cert, key: tls.key },
    });
  } catch (err) {
    process.stderr.write(`derpdesk host: ${errorMessage(err)}\n`);
    await services.dispose();
    return 1;
  }
  if (tls) {
    const origin = tlsFiles
      ? `from ${tls.certFile}`
      : `self-signed, ${tls.created ? 'created' : 'kept'} in ${tls.certFile}`;
    process.stdout.write(
      `derpdesk host: TLS certificate (${origin}) SHA-256 fingerprint:\n  ${tls.fingerprint}\nderpdesk host: compare it with the one your browser shows before you accept the certificate\n`,
    );
  }
  process.stdout.write(`derpdesk host: open ${host.url}\n`);
  return new Promise<number>((resolve) => {
    const stop = () => {
      Promise.all([host.close(), services.dispose()]).then(
        () => resolve(0),
        (err: unknown) => {
          log.warn(`derpdesk host: stopping failed: ${errorMessage(err)}`);
          resolve(1);
        },
      );
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
