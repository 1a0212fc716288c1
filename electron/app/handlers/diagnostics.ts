/** Diagnostics runs: start (in the background, with progress events), cancel, history, and export. */
import type { CheckRequest, HandlersOf } from '../../../shared/api.js';
import type { DiagnosticsService } from '../diagnostics-service.js';
import { withReadableCode } from '../../diagnostics/errors.js';
import { loadSource } from '../check-source.js';
import type { PathGuard } from '../path-guard.js';

export type DiagnosticsHandlers = HandlersOf<'diagnostics'>;

export function diagnosticsHandlers(deps: { diagnostics: DiagnosticsService; guard: PathGuard }): DiagnosticsHandlers {
  const { diagnostics, guard } = deps;
  return {
    'diagnostics.run': async (req) => {
      try {
        return await diagnostics.run(await withFileOpened(req, guard));
      } catch (err) {
        throw withReadableCode(err);
      }
    },
    'diagnostics.cancel': async (id) => diagnostics.cancel(id),
    'diagnostics.history': async () => diagnostics.list(),
    'diagnostics.get': async (id) => diagnostics.get(id),
    'diagnostics.export': async (id, format) => diagnostics.export(id, format),
  };
}

/**
 * A run of a file checks the map read through the guard (a headscale config.yaml: the map headscale would serve);
 * the run is labelled with the path.
 */
async function withFileOpened(req: CheckRequest, guard: PathGuard): Promise<CheckRequest> {
  if (req.source.kind !== 'file') return req;
  const loaded = await loadSource(req.source, guard);
  return { ...req, source: { kind: 'map', map: loaded.map, label: req.source.path } };
}
