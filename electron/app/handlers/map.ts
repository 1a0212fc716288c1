/**
 * The map editor's calls: open, diff, save and export a DERP map; the map a headscale config serves, and its derp
 * section's editing.
 */
import type { HandlersOf } from '../../../shared/api.js';
import { exportMap, headscaleMerged, mapDiff, openMap, saveMap } from '../map-editor.js';
import { headscaleDerpDiff, openHeadscaleDerp, saveHeadscaleDerp } from '../map-headscale.js';
import type { PathGuard } from '../path-guard.js';

export type MapHandlers = HandlersOf<'map'>;

export function mapHandlers(deps: { guard: PathGuard }): MapHandlers {
  const { guard } = deps;
  return {
    'map.open': async (src) => openMap(src, guard),
    // The path is only the diff's header here: nothing is read or written, so it needs no file check.
    'map.diff': async (req) => mapDiff(req),
    'map.save': async (req) => saveMap(req, guard),
    'map.export': async (map, format) => exportMap(map, format),
    'map.headscale': async ({ configPath }) => headscaleMerged(configPath, guard),
    'map.headscaleDerp': async ({ configPath }) => openHeadscaleDerp(configPath, guard),
    'map.headscaleDerpDiff': async (req) => headscaleDerpDiff(req, guard),
    'map.headscaleDerpSave': async (req) => saveHeadscaleDerp(req, guard),
  };
}
