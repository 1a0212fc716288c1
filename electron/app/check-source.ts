/**
 * What a diagnostics run or the monitor checks (the monitor reads it again on every map interval): a map file
 * (headscale derp.yaml or Tailscale JSON), a headscale config.yaml (the map headscale would serve), a map URL
 * (fetched with the map fetcher's time and size bounds), pasted text, the editor's map, or one relay by URL. Files
 * go through the caller's path guard.
 */
import type { CheckSource } from '../../shared/api.js';
import type { DerpMap } from '../../shared/derpmap/model.js';
import { headscaleMerged, openMap } from './map-editor.js';
import type { PathGuard } from './path-guard.js';
import { readExistingMapFile } from './path-guard.js';
import { relayTarget } from '../diagnostics/target.js';
import { parseYamlInput } from '../derpmap/yaml-input.js';

export interface LoadedSource {
  map: DerpMap;
  scheme: 'https' | 'http';
}

/** A YAML file with a top-level `derp:` section and no `regions:` is a headscale config, not a map. */
function isHeadscaleConfig(text: string, file: string): boolean {
  if (/\.json$/i.test(file) || text.trimStart().startsWith('{')) return false;
  try {
    const doc = parseYamlInput(text, file);
    return typeof doc === 'object' && doc !== null && 'derp' in doc && !('regions' in doc);
  } catch {
    // Not YAML either: openMap names what is wrong with it.
    return false;
  }
}

export async function loadSource(src: CheckSource, guard: PathGuard): Promise<LoadedSource> {
  switch (src.kind) {
    case 'relay': {
      const t = await relayTarget(src.url, src.stunPort ?? 3478);
      return { map: t.map, scheme: t.scheme };
    }
    case 'map':
      // This app's relay with TLS off comes as a map with scheme http.
      return { map: src.map, scheme: src.scheme ?? 'https' };
    case 'file': {
      const text = await readExistingMapFile(src.path, guard, 'request');
      if (isHeadscaleConfig(text, src.path)) {
        const merged = await headscaleMerged(src.path, guard);
        if (Object.keys(merged.map.Regions).length === 0)
          throw new Error(
            `${src.path}: headscale would serve no DERP regions${merged.problems.length ? ` (${merged.problems.join('; ')})` : ''}`,
          );
        return { map: merged.map, scheme: 'https' };
      }
      return { map: (await openMap(src, guard)).map, scheme: 'https' };
    }
    default:
      return { map: (await openMap(src, guard)).map, scheme: 'https' };
  }
}

/** How the source is named on the status page and in the app. */
export function sourceLabel(src: CheckSource): string {
  switch (src.kind) {
    case 'file':
      return src.path;
    case 'url':
    case 'relay':
      return src.url;
    case 'map':
      return src.label;
    default:
      return 'pasted map';
  }
}
