/**
 * Crash-safe file writes: a temp file beside the target, fsync, rename over the target, fsync the directory.
 * A reader never sees a half-written file; with `backup`, the previous version is kept as `<file>.bak`.
 * A symlinked target is written through (the link stays a link), and an existing file keeps its mode and owner:
 * an operator's `derp.yaml -> /etc/headscale/derp.yaml` or a 0640 root:headscale file must survive a save.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs, constants as fsc, type Stats } from 'node:fs';
import path from 'node:path';

export interface AtomicWriteOptions {
  /** Mode of a file that does not exist yet; an existing file keeps its own. */
  mode?: number;
  backup?: boolean;
}

/** Links followed before giving up, as the kernel's ELOOP limit does. */
const MAX_LINKS = 40;

/**
 * Where a write to `file` must land: the real path when it exists; for a new file (or a dangling link), the
 * real path of its directory joined with the name the link points to.
 */
export async function resolveWriteTarget(file: string): Promise<string> {
  let p = path.resolve(file);
  for (let i = 0; i < MAX_LINKS; i++) {
    try {
      return await fs.realpath(p);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const st = await fs.lstat(p).catch(() => null);
    if (!st?.isSymbolicLink()) return path.join(await fs.realpath(path.dirname(p)), path.basename(p));
    p = path.resolve(path.dirname(p), await fs.readlink(p));
  }
  throw Object.assign(new Error(`${file}: too many levels of symbolic links`), { code: 'ELOOP' });
}

/** Writes `data` to `file` atomically; returns the real path written (different from `file` through a symlink). */
export async function writeFileAtomic(
  file: string,
  data: string | Uint8Array,
  opts: AtomicWriteOptions = {},
): Promise<string> {
  await fs.mkdir(path.dirname(path.resolve(file)), { recursive: true });
  const target = await resolveWriteTarget(file);
  const dir = path.dirname(target);
  const existing = await fs
    .stat(target)
    .catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? null : Promise.reject(err)));
  const tmp = path.join(dir, `.${path.basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await fs.open(tmp, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL, opts.mode ?? 0o644);
  try {
    if (existing) await keepModeAndOwner(handle, existing);
    await handle.writeFile(data);
    await handle.sync();
  } catch (err) {
    await handle.close();
    await fs.rm(tmp, { force: true });
    throw err;
  }
  await handle.close();
  try {
    if (opts.backup && existing) {
      // A .bak that is a symlink would have the copy written through it to wherever it points: replace it instead.
      await fs.rm(`${target}.bak`, { force: true });
      await fs.copyFile(target, `${target}.bak`, fsc.COPYFILE_EXCL);
    }
    await fs.rename(tmp, target);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
  await syncDir(dir);
  return target;
}

async function keepModeAndOwner(handle: fs.FileHandle, existing: Stats): Promise<void> {
  await handle.chmod(existing.mode & 0o7777);
  if (process.platform === 'win32') return;
  try {
    await handle.chown(existing.uid, existing.gid);
  } catch (err) {
    // Only root may give a file away; anyone else's save leaves it owned by them, as any editor's save does.
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') throw err;
  }
}

async function syncDir(dir: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(dir, fsc.O_RDONLY);
    await handle.sync();
  } catch {
    // Some platforms (Windows) cannot open or fsync directories; the rename itself is still atomic there.
  } finally {
    await handle?.close();
  }
}
