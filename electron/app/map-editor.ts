/**
 * The map editor's file side: open a map from a file, a URL or pasted text; show the diff a save would make;
 * save atomically with a backup, refusing to overwrite a file that changed on disk or a map with errors.
 */
import path from 'node:path';
import type { HeadscaleMerged, MapSaveRequest, MapSaveResult, MapSourceSpec, OpenedMap } from '../../shared/api.js';
import type { DerpMap } from '../../shared/derpmap/model.js';
import { validateMap } from '../../shared/derpmap/validate.js';
import { fetchMap } from '../derpmap/fetch.js';
import { parseHeadscaleConfig } from '../derpmap/headscale-config.js';
import { embeddedRegion, mergeMaps, type MapSource } from '../derpmap/merge.js';
import { parseMap, serializeMap, type MapFormat } from '../derpmap/formats.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { unifiedDiff } from '../util/line-diff.js';
import { MAX_MAP_BYTES } from '../../shared/limits.js';
import type { PathOrigin } from './file-access.js';
import { openedFileProblem, renderedMapProblem } from './map-content.js';
import { readExistingMapFile, readGuardedText, refuseAllPaths, type PathGuard } from './path-guard.js';

export async function openMap(src: MapSourceSpec, guard: PathGuard = refuseAllPaths, origin: PathOrigin = 'request'): Promise<OpenedMap> {
  if (src.kind === 'url') {
    const loaded = await fetchMap(src.url);
    return { map: loaded.map, format: loaded.format, text: loaded.source ?? serializeMap(loaded.map, loaded.format), issues: validateMap(loaded.map) };
  }
  const text = src.kind === 'file' ? await readExistingMapFile(src.path, guard, origin) : src.text;
  const loaded = parseMap(text, src.kind === 'file' ? src.path : (src.name ?? ''));
  const notAMap = src.kind === 'file' ? openedFileProblem(loaded.map, src.path) : null;
  if (notAMap) throw new Error(notAMap);
  return { map: loaded.map, format: loaded.format, text, ...(src.kind === 'file' ? { path: src.path } : {}), issues: validateMap(loaded.map) };
}

/** The new text: YAML edits the text that was opened (comments survive), JSON is written canonically. */
function render(req: { map: DerpMap; format: MapFormat; baseText: string }): string {
  const sameFormatYaml = req.format === 'yaml' && req.baseText.trim() !== '' && !req.baseText.trimStart().startsWith('{');
  return serializeMap(req.map, req.format, sameFormatYaml ? req.baseText : undefined);
}

export function mapDiff(req: MapSaveRequest): string {
  return unifiedDiff(req.baseText, render(req), req.path);
}

export async function saveMap(req: MapSaveRequest, guard: PathGuard = refuseAllPaths): Promise<MapSaveResult> {
  const real = await guard(req.path, 'write', 'request').catch((err: Error) => err);
  if (real instanceof Error) return { ok: false, error: real.message };
  const errors = validateMap(req.map).filter((i) => i.severity === 'error');
  if (errors.length > 0) return { ok: false, error: `the map has ${errors.length} error${errors.length === 1 ? '' : 's'}; fix them before saving`, issues: errors };
  let onDisk: string | null = null;
  try {
    onDisk = (await readGuardedText(real, guard, 'request', MAX_MAP_BYTES)).text;
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
  if (onDisk !== null && onDisk !== req.baseText) {
    return { ok: false, error: `${req.path} changed on disk since it was opened; reopen it (your edits would overwrite someone else's)` };
  }
  const text = render(req);
  const problem = renderedMapProblem(text, req.map, req.path);
  if (problem) return { ok: false, error: problem };
  await writeFileAtomic(real, text, { backup: onDisk !== null });
  return { ok: true, text, backup: onDisk !== null ? `${real}.bak` : null };
}

export function exportMap(map: DerpMap, format: MapFormat): string {
  return serializeMap(map, format);
}

/** What headscale would serve: urls, then paths (relative to the config file), then the embedded region. */
export async function headscaleMerged(configPath: string, guard: PathGuard = refuseAllPaths): Promise<HeadscaleMerged> {
  const text = await readExistingMapFile(configPath, guard, 'request');
  const cfg = parseHeadscaleConfig(text, configPath);
  const sources: MapSource[] = [];
  const problems: string[] = [];
  const fetched = await Promise.allSettled((cfg.derp.urls ?? []).map((u) => fetchMap(u)));
  fetched.forEach((r, i) => {
    const u = cfg.derp.urls![i];
    if (r.status === 'fulfilled') sources.push({ origin: u, map: r.value.map });
    else problems.push(`${u}: ${(r.reason as Error).message}`);
  });
  for (const p of cfg.derp.paths ?? []) {
    const file = path.resolve(path.dirname(configPath), p);
    try {
      sources.push({ origin: p, map: (await openMap({ kind: 'file', path: file }, guard, 'reference')).map });
    } catch (err) {
      problems.push(`${p}: ${(err as Error).message}`);
    }
  }
  const merged = mergeMaps(sources, embeddedRegion(cfg));
  return { ...merged, problems };
}
