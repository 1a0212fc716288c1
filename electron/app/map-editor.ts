/**
 * The map editor's file side: open a map from a file, a URL or pasted text; show the diff a save would make;
 * save atomically with a backup, refusing to overwrite a file that changed on disk (or, for Save as, one that exists
 * unless asked to replace it) or a map with errors.
 */
import path from 'node:path';
import type { HeadscaleMerged, MapSaveRequest, MapSaveResult, MapSourceSpec, OpenedMap } from '../../shared/api.js';
import type { DerpMap } from '../../shared/derpmap/model.js';
import { fetchMap, fetchMapText } from '../derpmap/fetch.js';
import { embeddedRegion, mergeMaps, type MapSource } from '../derpmap/merge.js';
import { checkMapSize, type MapFormat } from '../derpmap/formats.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { MAX_MAP_BYTES } from '../../shared/limits.js';
import type { PathOrigin } from './file-access.js';
import { openedFileProblem } from './map-content.js';
import { mapWork } from './map-work.js';
import { readExistingMapFile, readGuardedText, refuseAllPaths, type PathGuard } from './path-guard.js';
import { errorMessage } from '../../shared/errors.js';

export async function openMap(
  src: MapSourceSpec,
  guard: PathGuard = refuseAllPaths,
  origin: PathOrigin = 'request',
): Promise<OpenedMap> {
  if (src.kind === 'url') {
    const fetched = await fetchMapText(src.url);
    const parsed = await mapWork().run('open', fetched.text, fetched.name, true);
    return {
      map: parsed.map,
      format: parsed.format,
      text: parsed.canonicalJson ?? fetched.text,
      issues: parsed.issues,
    };
  }
  const text = src.kind === 'file' ? await readExistingMapFile(src.path, guard, origin) : src.text;
  // Checked here too so that an oversized text is refused before it is copied to the worker.
  checkMapSize(text, src.kind === 'file' ? src.path : 'the map');
  const loaded = await mapWork().run('open', text, src.kind === 'file' ? src.path : (src.name ?? ''));
  const notAMap = src.kind === 'file' ? openedFileProblem(loaded.map, src.path) : null;
  if (notAMap) throw new Error(notAMap);
  return {
    map: loaded.map,
    format: loaded.format,
    text,
    ...(src.kind === 'file' ? { path: src.path } : {}),
    issues: loaded.issues,
  };
}

export async function mapDiff(req: MapSaveRequest): Promise<string> {
  checkMapSize(req.baseText, 'the opened text');
  return mapWork().run('diff', req);
}

export async function saveMap(req: MapSaveRequest, guard: PathGuard = refuseAllPaths): Promise<MapSaveResult> {
  const real = await guard(req.path, 'write', 'request').catch((err: Error) => err);
  if (real instanceof Error) return { ok: false, error: real.message };
  const errors = (await mapWork().run('validate', req.map)).filter((i) => i.severity === 'error');
  if (errors.length > 0)
    return {
      ok: false,
      error: `the map has ${errors.length} error${errors.length === 1 ? '' : 's'}; fix them before saving`,
      issues: errors,
    };
  let onDisk: string | null;
  try {
    onDisk = (await readGuardedText(real, guard, 'request', MAX_MAP_BYTES)).text;
  } catch (err) {
    return { ok: false, error: errorMessage(err) };
  }
  const problem = onDisk === null ? null : overwriteProblem(req, onDisk);
  if (problem) return { ok: false, error: problem };
  const rendered = await mapWork().run('renderForSave', req);
  if (!rendered.ok) return { ok: false, error: rendered.error };
  await writeFileAtomic(real, rendered.text, { backup: onDisk !== null });
  return { ok: true, text: rendered.text, backup: onDisk !== null ? `${real}.bak` : null };
}

/** Why writing over the file's current text `onDisk` would lose someone's work, or null when it may be replaced. */
function overwriteProblem(req: MapSaveRequest, onDisk: string): string | null {
  if (onDisk === req.baseText || req.replace) return null;
  if (req.baseText === '')
    return `${req.path} already exists; tick "Replace an existing file" to overwrite it (a .bak copy is kept), or choose another name`;
  return `${req.path} changed on disk since it was opened; reopen it (your edits would overwrite someone else's)`;
}

export function exportMap(map: DerpMap, format: MapFormat): Promise<string> {
  return mapWork().run('export', map, format);
}

/** What headscale would serve: urls, then paths (relative to the config file), then the embedded region. */
export async function headscaleMerged(configPath: string, guard: PathGuard = refuseAllPaths): Promise<HeadscaleMerged> {
  const text = await readExistingMapFile(configPath, guard, 'request');
  const cfg = await mapWork().run('headscaleConfig', text, configPath);
  const sources: MapSource[] = [];
  const problems: string[] = [];
  const fetched = await Promise.allSettled((cfg.derp.urls ?? []).map((u) => fetchMap(u)));
  fetched.forEach((r, i) => {
    const u = cfg.derp.urls![i];
    if (r.status === 'fulfilled') sources.push({ origin: u, map: r.value.map });
    else problems.push(`${u}: ${errorMessage(r.reason)}`);
  });
  for (const p of cfg.derp.paths ?? []) {
    const file = path.resolve(path.dirname(configPath), p);
    try {
      sources.push({ origin: p, map: (await openMap({ kind: 'file', path: file }, guard, 'reference')).map });
    } catch (err) {
      problems.push(`${p}: ${errorMessage(err)}`);
    }
  }
  const merged = mergeMaps(sources, embeddedRegion(cfg));
  return { ...merged, problems };
}
