/** `derpdesk host`: the desktop app's services and GUI, served to a browser. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { RootsPolicy, defaultHostRoots } from '../app/file-access.js';
import { createAppServices } from '../app/services.js';
import { startStunRunner } from '../app/stun-runner.js';
import { isLoopbackHost, startHost } from '../headless/host.js';
import { parseHostPort } from '../util/hostport.js';
import { consoleLogger } from '../util/log.js';
import { defaultDataDir } from '../util/paths.js';
import { UsageError, formatUsage, parseFlags, type FlagSpec } from './flags.js';

export const HOST_FLAGS: FlagSpec[] = [
  { name: 'listen', type: 'string', default: '127.0.0.1:7080', arg: 'addr', help: 'address for the web GUI and its API' },
  { name: 'data-dir', type: 'string', default: '', arg: 'dir', help: `where settings and the relay key live (default ${defaultDataDir()})` },
  { name: 'files-root', type: 'list', default: [], arg: 'dir', help: 'a folder whose files the GUI may open and save (maps, headscale config, allowlist); default: the data dir, /etc/headscale and /etc/derp' },
  { name: 'allow-remote', type: 'bool', default: false, help: 'allow --listen on a non-loopback address (the access token is then all that protects the GUI: put TLS in front)' },
];

const USAGE = 'Usage: derpdesk host [flags]\n\nRuns derpdesk without a display and serves its GUI to a browser.';

export async function runHost(argv: string[]): Promise<number> {
  let listen: { host: string; port: number };
  let dataDir: string;
  let filesRoots: string[];
  try {
    const f = parseFlags(HOST_FLAGS, argv);
    if (f.help) {
      process.stdout.write(formatUsage(USAGE, HOST_FLAGS));
      return 0;
    }
    if (f.rest.length > 0) throw new UsageError(`unexpected argument "${f.rest[0]}"`);
    listen = parseHostPort(String(f.values.listen), '--listen');
    if (!listen.host) listen.host = '0.0.0.0';
    if (!isLoopbackHost(listen.host) && !f.values['allow-remote']) {
      throw new UsageError(`--listen ${f.values.listen} is not a loopback address; add --allow-remote if you mean it (anyone who can reach it and has the token controls the relay)`);
    }
    dataDir = String(f.values['data-dir']) || defaultDataDir();
    const extraRoots = (f.values['files-root'] as string[]).map((r) => path.resolve(r));
    const missing = extraRoots.find((r) => !existsSync(r));
    if (missing) throw new UsageError(`--files-root ${missing}: no such folder`);
    filesRoots = extraRoots.length > 0 ? [dataDir, ...extraRoots] : defaultHostRoots(dataDir);
  } catch (err) {
    process.stderr.write(`derpdesk host: ${(err as Error).message}\nRun "derpdesk host --help" for the flags.\n`);
    return 2;
  }
  if (!isLoopbackHost(listen.host)) {
    process.stderr.write(`derpdesk host: WARNING: serving the GUI on ${listen.host}, reachable from other machines; keep the token secret and prefer an SSH tunnel or a TLS proxy\n`);
  }
  const services = createAppServices({ dataDir, logger: consoleLogger, startStun: startStunRunner, files: new RootsPolicy(filesRoots) });
  let host;
  try {
    host = await startHost({ services, staticDir: path.resolve(import.meta.dirname, 'renderer'), host: listen.host, port: listen.port });
  } catch (err) {
    process.stderr.write(`derpdesk host: ${(err as Error).message}\n`);
    await services.dispose();
    return 1;
  }
  process.stdout.write(`derpdesk host: open ${host.url}\n`);
  return new Promise<number>((resolve) => {
    const stop = () => {
      void Promise.all([host.close(), services.dispose()]).then(() => resolve(0));
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
