/**
 * `derpdesk relay` on SIGHUP (systemctl reload): re-reads the allowlist, the rate-limit config and the TLS
 * certificate files, each on its own, so one broken file keeps its previous version in force and does not stop the
 * others from loading. Connections already up are untouched; new TLS handshakes get the new certificate.
 */
import type { AllowList } from '../relay/admission.js';
import { loadRateConfig } from '../relay/rate-config.js';
import type { RelayService } from '../relay/service.js';
import type { Logger } from '../util/log.js';
import { errorMessage } from '../../shared/errors.js';
import { countOf } from '../../shared/words.js';

export interface Reloadable {
  service: RelayService;
  allowList?: AllowList;
  /** Empty when the relay runs without -rate-config. */
  rateConfigFile: string;
}

/** A SIGHUP listener; a reload still running when the next signal arrives is followed by one more. */
export function reloadOnHangup(r: Reloadable, log: Logger): () => void {
  let running: Promise<void> | null = null;
  let again = false;
  const run = (): void => {
    running = reloadAll(r, log).finally(() => {
      running = null;
      if (again) {
        again = false;
        run();
      }
    });
  };
  return () => {
    if (running) again = true;
    else run();
  };
}

async function reloadAll(r: Reloadable, log: Logger): Promise<void> {
  const steps: Array<[string, () => Promise<string>]> = [];
  if (r.allowList) {
    const list = r.allowList;
    steps.push(['allowlist', async () => `${countOf((await list.load()).keys.size, 'key')} from ${list.file}`]);
  }
  if (r.rateConfigFile) {
    const file = r.rateConfigFile;
    steps.push(['rate config', async () => JSON.stringify(r.service.derp.setRateLimits(await loadRateConfig(file)))]);
  }
  if (r.service.tlsFiles) steps.push(['TLS certificate', () => r.service.reloadTls()]);
  if (steps.length === 0) {
    log.info('derpdesk relay: SIGHUP: nothing to reload (no -allow-keys-file, -rate-config or TLS certificate)');
    return;
  }
  const done: string[] = [];
  for (const [what, reload] of steps) {
    try {
      log.info(`derpdesk relay: SIGHUP: reloaded ${what}: ${await reload()}`);
      done.push(what);
    } catch (err) {
      log.warn(`derpdesk relay: SIGHUP: keeping the previous ${what}: ${errorMessage(err)}`);
    }
  }
  log.info(`derpdesk relay: SIGHUP: reloaded ${done.length > 0 ? done.join(', ') : 'nothing'}`);
}
