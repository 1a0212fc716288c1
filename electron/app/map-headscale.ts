/**
 * Editing the derp section of a headscale config.yaml: open it (only the section leaves the host: the rest of the
 * file holds secrets such as OIDC client secrets), show the diff of the section, and save it atomically with a
 * backup, refusing a file that changed since it was opened or a section with problems.
 */
import { createHash } from 'node:crypto';
import type { HeadscaleDerpOpened, HeadscaleDerpRequest, HeadscaleDerpSaveResult } from '../../shared/api.js';
import { validateHeadscaleDerp } from '../../shared/derpmap/headscale.js';
import { MAX_MAP_BYTES } from '../../shared/limits.js';
import { errorMessage } from '../../shared/errors.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { mapWork } from './map-work.js';
import { missingFile, readExistingMapFile, readGuardedText, refuseAllPaths, type PathGuard } from './path-guard.js';

const versionOf = (text: string) => createHash('sha256').update(text).digest('hex');

export async function openHeadscaleDerp(
  configPath: string,
  guard: PathGuard = refuseAllPaths,
): Promise<HeadscaleDerpOpened> {
  const text = await readExistingMapFile(configPath, guard, 'request');
  const { derp } = await mapWork().run('headscaleConfig', text, configPath);
  return { path: configPath, derp, version: versionOf(text), problems: validateHeadscaleDerp(derp) };
}

/** The current text, if it is still the version the editor opened. */
async function currentText(req: HeadscaleDerpRequest, guard: PathGuard): Promise<string> {
  const { text } = await readGuardedText(req.configPath, guard, 'request', MAX_MAP_BYTES);
  if (text === null) throw missingFile(req.configPath);
  if (versionOf(text) !== req.version)
    throw new Error(
      `${req.configPath} changed on disk since it was opened; open it again (your edit would overwrite someone else's)`,
    );
  return text;
}

export async function headscaleDerpDiff(req: HeadscaleDerpRequest, guard: PathGuard = refuseAllPaths): Promise<string> {
  const text = await currentText(req, guard);
  const r = await mapWork().run('headscaleDerpRender', text, req.derp, req.configPath);
  if (!r.ok) throw new Error(r.error);
  return r.diff;
}

export async function saveHeadscaleDerp(
  req: HeadscaleDerpRequest,
  guard: PathGuard = refuseAllPaths,
): Promise<HeadscaleDerpSaveResult> {
  const problems = validateHeadscaleDerp(req.derp);
  const n = Object.keys(problems).length;
  if (n > 0)
    return {
      ok: false,
      error: `the derp section has ${n} problem${n === 1 ? '' : 's'}; fix them before saving`,
      problems,
    };
  try {
    const real = await guard(req.configPath, 'write', 'request');
    const text = await currentText(req, guard);
    const r = await mapWork().run('headscaleDerpRender', text, req.derp, req.configPath);
    if (!r.ok) return { ok: false, error: r.error };
    await writeFileAtomic(real, r.text, { backup: true });
    return { ok: true, version: versionOf(r.text), backup: `${real}.bak` };
  } catch (err) {
    return { ok: false, error: errorMessage(err) };
  }
}
