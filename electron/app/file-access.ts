/**
 * Which files the API may read and write. The services are reached by the desktop window and, in `derpdesk host`,
 * by anyone holding the access token; a path in a request is therefore untrusted, and every one goes through a
 * FileAccess before it is opened. Paths are resolved first (`..`, then symlinks, down to the real file or the
 * real directory a new file would land in), so a link inside an allowed folder cannot reach outside it.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { ChooseFileRequest } from '../../shared/api.js';
import { isAbsolutePath } from '../../shared/settings.js';
import { resolveWriteTarget } from '../util/atomic-file.js';

export type FileIntent = 'read' | 'write';

/**
 * Where a path came from: a call's argument, a field of the saved settings (typed by the user), or a file named
 * inside another file the policy already allowed (a headscale config's derp.paths).
 */
export type PathOrigin = 'request' | 'settings' | 'reference';

export class FileAccessError extends Error {}

export interface FileAccess {
  /** The real path to open for `file`, or a FileAccessError saying why it may not be used and what to do. */
  check(file: string, intent: FileIntent, origin: PathOrigin): Promise<string>;
  /** Whether `choose` can show a native file dialog (the desktop app) or not (`derpdesk host`). */
  readonly canChoose: boolean;
  /** Lets the user pick a file; the pick is then allowed for this session. Null when the user cancels. */
  choose(req: ChooseFileRequest): Promise<string | null>;
}

/** `..` removed, then symlinks resolved as far as the path exists; the rest (files and folders still to be made) appended. */
export async function resolveReal(file: string): Promise<string> {
  if (file.includes('\0')) throw new FileAccessError('a path cannot contain a NUL character');
  if (!isAbsolutePath(file)) throw new FileAccessError(`"${file}" is not a full path; give one starting with /`);
  const p = path.resolve(file);
  try {
    return await resolveWriteTarget(p);
  } catch (err) {
    const parent = path.dirname(p);
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || parent === p) throw err;
    return path.join(await resolveReal(parent), path.basename(p));
  }
}

export function isInside(real: string, folder: string): boolean {
  return real === folder || real.startsWith(folder.endsWith(path.sep) ? folder : folder + path.sep);
}

/** The folders `derpdesk host` uses without --files-root: its data directory and the usual DERP config folders. */
export function defaultHostRoots(dataDir: string): string[] {
  return [dataDir, ...['/etc/headscale', '/etc/derp'].filter((d) => existsSync(d))];
}

/** `derpdesk host`: any path inside a fixed set of folders, whatever its origin; there is no dialog to grant more. */
export class RootsPolicy implements FileAccess {
  readonly canChoose = false;
  readonly roots: string[];

  constructor(roots: string[]) {
    if (roots.length === 0) throw new Error('RootsPolicy needs at least one folder');
    this.roots = roots.map((r) => path.resolve(r));
  }

  async check(file: string): Promise<string> {
    const real = await resolveReal(file);
    const realRoots = await Promise.all(this.roots.map(resolveReal));
    if (realRoots.some((root) => isInside(real, root))) return real;
    const shown = real === path.resolve(file) ? file : `${file} (a link to ${real})`;
    throw new FileAccessError(
      `${shown} is outside the folders derpdesk host may use (${this.roots.join(', ')}); start it with --files-root DIR to allow another`,
    );
  }

  async choose(): Promise<string | null> {
    throw new FileAccessError(
      `derpdesk host has no file dialog; type the full path of a file inside ${this.roots.join(', ')}`,
    );
  }
}

/** Shows the native dialog; the desktop app passes Electron's, tests a fake. */
export type ShowFileDialog = (req: ChooseFileRequest) => Promise<string | null>;

/**
 * The desktop app: the user's own choices. A path is allowed when the user picked it in a file dialog this session,
 * typed it into the settings, or it is named by a file they picked (read only); and anything in the data directory.
 */
export class GrantsPolicy implements FileAccess {
  readonly canChoose = true;
  private readonly granted = new Set<string>();

  constructor(
    private readonly dataDir: string,
    private readonly showDialog: ShowFileDialog,
  ) {}

  async check(file: string, intent: FileIntent, origin: PathOrigin): Promise<string> {
    const real = await resolveReal(file);
    if (origin === 'settings' || (origin === 'reference' && intent === 'read')) return real;
    if (this.granted.has(real) || isInside(real, await resolveReal(path.resolve(this.dataDir)))) return real;
    throw new FileAccessError(
      `${file} was not chosen in a file dialog; use Browse… to pick it (derpdesk opens and saves only files you pick)`,
    );
  }

  async choose(req: ChooseFileRequest): Promise<string | null> {
    const picked = await this.showDialog(req);
    if (picked === null) return null;
    this.granted.add(await resolveReal(picked));
    return picked;
  }
}

/** Refuses `real` when it is one of the files derpdesk keeps its own state or secrets in. */
export async function refuseAppFiles(real: string, appFiles: string[]): Promise<void> {
  const reals = await Promise.all(appFiles.map(resolveReal));
  if (reals.some((f) => isInside(real, f)))
    throw new FileAccessError(
      `${real} is one of derpdesk's own files (settings, keys, tokens, certificates or history); the editors do not open or write it`,
    );
}

/**
 * What the data directory holds that no editor may read or overwrite: settings, the relay key, certificates, history,
 * the host's token.
 */
export function dataDirAppFiles(dataDir: string): string[] {
  return [
    'settings.json',
    'settings.json.bak',
    'derper.key',
    'certs',
    'diagnostics-history.json',
    'monitor-history.json',
    'monitor-session.json',
    'desktop-settings.json',
    'host-token',
  ].map((f) => path.join(dataDir, f));
}
