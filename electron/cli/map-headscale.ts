/**
 * `derpdesk map validate config.yaml`: a headscale config is checked as headscale would use it: its derp section
 * field by field, each map file its `paths` names (relative to the config's folder), and whether the embedded
 * relay's region replaces a region of those files.
 */
import path from 'node:path';
import { validateHeadscaleDerp } from '../../shared/derpmap/headscale.js';
import { validateMap } from '../../shared/derpmap/validate.js';
import { errorMessage } from '../../shared/errors.js';
import { parseHeadscaleConfig } from '../derpmap/headscale-config.js';
import type { LoadedMap } from '../derpmap/formats.js';

/** Whether a YAML file's top level is a headscale config rather than a DERP map. */
export function isHeadscaleConfig(plain: unknown): boolean {
  if (typeof plain !== 'object' || plain === null || Array.isArray(plain)) return false;
  const keys = Object.keys(plain).map((k) => k.toLowerCase());
  return !keys.includes('regions') && (keys.includes('derp') || keys.includes('server_url'));
}

interface Tally {
  errors: number;
  warnings: number;
}

/** Prints every finding and a summary line; returns the exit code (1 when anything is an error). */
export async function validateHeadscaleFile(
  file: string,
  text: string,
  load: (file: string) => Promise<LoadedMap>,
  out: (line: string) => void,
): Promise<number> {
  const { derp } = parseHeadscaleConfig(text, file);
  const tally: Tally = { errors: 0, warnings: 0 };
  for (const [field, message] of Object.entries(validateHeadscaleDerp(derp))) {
    tally.errors++;
    out(`error   derp.${field}: ${message}`);
  }
  const paths = Array.isArray(derp.paths) ? derp.paths.filter((p) => typeof p === 'string') : [];
  const regionFiles = new Map<string, string>();
  for (const p of paths) {
    const mapFile = path.resolve(path.dirname(file), p);
    try {
      const { map } = await load(mapFile);
      for (const i of validateMap(map)) {
        tally[i.severity === 'error' ? 'errors' : 'warnings']++;
        out(`${i.severity === 'error' ? 'error  ' : 'warning'} ${p}: ${i.path}: ${i.message}`);
      }
      for (const id of Object.keys(map.Regions)) regionFiles.set(id, p);
    } catch (err) {
      tally.errors++;
      out(`error   derp.paths: ${p}: ${errorMessage(err)}`);
    }
  }
  const embedded = derp.server?.enabled === true ? String(derp.server.region_id ?? 999) : null;
  if (embedded && regionFiles.has(embedded) && derp.server?.automatically_add_embedded_derp_region !== false) {
    tally.warnings++;
    out(
      `warning derp.server.region_id: region ${embedded} of ${regionFiles.get(embedded)} is replaced by the embedded DERP server's region (headscale's own region wins)`,
    );
  }
  const urls = Array.isArray(derp.urls) ? derp.urls.length : 0;
  if (urls > 0) out(`note    derp.urls: ${urls} URL${urls === 1 ? '' : 's'} not fetched; derpdesk check tests them`);
  out(
    `${file}: headscale config, ${paths.length} map file${paths.length === 1 ? '' : 's'}, ${tally.errors} error${tally.errors === 1 ? '' : 's'}, ${tally.warnings} warning${tally.warnings === 1 ? '' : 's'}`,
  );
  return tally.errors > 0 ? 1 : 0;
}
