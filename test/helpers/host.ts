/** `derpdesk host` for tests: the app's services in a temp dir, a stand-in renderer, the host on loopback port 0. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FileAccess } from '../../electron/app/file-access.js';
import { createAppServices, type AppServices } from '../../electron/app/services.js';
import { startHost, type HostOptions, type RunningHost } from '../../electron/headless/host.js';
import { silentLogger } from '../../electron/util/log.js';

export interface TestHost {
  /** The temp dir: `web/` (the static files), `data/` (the data dir), and whatever the test adds. */
  dir: string;
  web: string;
  services: AppServices;
  host: RunningHost;
  close(): Promise<void>;
}

export async function startTestHost(
  name: string,
  opts: { files?: (dir: string) => FileAccess; host?: Partial<HostOptions> } = {},
): Promise<TestHost> {
  const dir = mkdtempSync(path.join(os.tmpdir(), `derpdesk-${name}-`));
  const web = path.join(dir, 'web');
  mkdirSync(path.join(web, 'assets'), { recursive: true });
  writeFileSync(path.join(web, 'index.html'), '<!doctype html><title>derpdesk</title>');
  writeFileSync(path.join(web, 'assets', 'app.js'), 'export {};');
  const services = createAppServices({
    dataDir: path.join(dir, 'data'),
    logger: silentLogger,
    files: opts.files?.(dir),
  });
  const host = await startHost({ services, staticDir: web, host: '127.0.0.1', port: 0, ...opts.host });
  return {
    dir,
    web,
    services,
    host,
    close: async () => {
      await host.close();
      await services.dispose();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
