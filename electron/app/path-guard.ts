/**
 * What the services put between a path they were given and the file system: the FileAccess policy, then a refusal
 * of derpdesk's own state and secret files (which the data directory, an allowed folder, also holds), then a
 * bounded, UTF-8-checked read. Every handler that touches a named file goes through here.
 */
import { errorMessage } from '../../shared/errors.js';
import { MAX_MAP_BYTES } from '../../shared/limits.js';
import { FileReadError, readTextFileBounded } from '../util/read-bounded.js';
import { FileAccessError, refuseAppFiles, type FileAccess, type FileIntent, type PathOrigin } from './file-access.js';

/** The real path to use for `file`, or a FileAccessError. */
export type PathGuard = (file: string, intent: FileIntent, origin: PathOrigin) => Promise<string>;

/** For code paths that were not handed a guard: they may not touch files at all. */
export const refuseAllPaths: PathGuard = async (file) => {
  throw new FileAccessError(`${file}: this operation may not open files`);
};

/** `appFiles` is asked on every check: the settings name secret files (keys) that change when the settings do. */
export function createPathGuard(files: FileAccess, appFiles: () => Promise<string[]>): PathGuard {
  return async (file, intent, origin) => {
    const real = await files.check(file, intent, origin);
    await refuseAppFiles(real, await appFiles());
    return real;
  };
}

/**
 * The text of a guarded file. A missing file gives null (callers decide whether that is an error); every other
 * failure is an Error whose message says which file and why.
 */
export async function readGuardedText(
  file: string,
  guard: PathGuard,
  origin: PathOrigin,
  maxBytes: number,
): Promise<{ real: string; text: string | null }> {
  const real = await guard(file, 'read', origin);
  try {
    return { real, text: await readTextFileBounded(real, maxBytes, { noFollow: true }) };
  } catch (err) {
    if (err instanceof FileReadError) throw err;
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT') return { real, text: null };
    throw new Error(`cannot read ${file}: ${errorMessage(err)}`, { cause: err });
  }
}

/** A map or headscale config the caller names: it must exist, be allowed, and fit the map size cap. */
export async function readExistingMapFile(file: string, guard: PathGuard, origin: PathOrigin): Promise<string> {
  const { text } = await readGuardedText(file, guard, origin, MAX_MAP_BYTES);
  if (text === null) throw missingFile(file);
  return text;
}

/** Worded as `derpdesk check`, the map command and the diagnostics say it (electron/diagnostics/errors.ts). */
export const missingFile = (file: string) => new Error(`cannot read ${file}: no such file or directory`);
