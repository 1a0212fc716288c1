/**
 * Reads a text file named by an API caller without trusting it: a FIFO, a device such as /dev/zero or a
 * multi-GiB file must be refused before it fills memory, and bytes that are not UTF-8 must not be silently
 * replaced (a later save would write the replacement characters back over the user's file).
 */
import { promises as fs, constants as fsc } from 'node:fs';

export class FileReadError extends Error {}

/** Key, mesh key and rate-limit files hold a few hundred bytes: the cap keeps a mistyped path (a log, a device)
 * from being read whole. */
export const MAX_SMALL_FILE_BYTES = 64 * 1024;

const CHUNK = 64 * 1024;
const utf8 = new TextDecoder('utf-8', { fatal: true });

export function formatBytes(n: number): string {
  return n >= 1024 * 1024 ? `${(n / (1024 * 1024)).toFixed(n % (1024 * 1024) === 0 ? 0 : 1)} MiB` : `${n} bytes`;
}

/**
 * The file's text, or a FileReadError saying why not. Errors from opening the file (ENOENT, EACCES) are thrown
 * as they are, so callers can tell a missing file from a refused one.
 */
export async function readTextFileBounded(
  file: string,
  maxBytes: number,
  opts: { noFollow?: boolean } = {},
): Promise<string> {
  // O_NONBLOCK: opening a FIFO that has no writer would otherwise hang here, before fstat could refuse it.
  // noFollow: for a path already resolved and checked, a link put there since is refused (ELOOP), not followed.
  const handle = await fs.open(
    file,
    fsc.O_RDONLY | (fsc.O_NONBLOCK ?? 0) | (opts.noFollow ? (fsc.O_NOFOLLOW ?? 0) : 0),
  );
  try {
    const st = await handle.stat();
    if (!st.isFile())
      throw new FileReadError(
        `${file} is not a regular file (a directory, device or pipe); give the path of a text file`,
      );
    if (st.size > maxBytes)
      throw new FileReadError(
        `${file} is ${formatBytes(st.size)}; derpdesk reads files of at most ${formatBytes(maxBytes)}`,
      );
    // The size can change between fstat and the reads (a file still being written): count while reading too.
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      // Unzeroed: only the bytes read into it are kept.
      const chunk = Buffer.allocUnsafe(CHUNK);
      const { bytesRead } = await handle.read(chunk, 0, CHUNK, null);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > maxBytes)
        throw new FileReadError(
          `${file} grew past ${formatBytes(maxBytes)} while it was read; derpdesk reads files of at most that size`,
        );
      chunks.push(chunk.subarray(0, bytesRead));
    }
    try {
      return utf8.decode(Buffer.concat(chunks, total));
    } catch (err) {
      throw new FileReadError(
        `${file} is not valid UTF-8 text; save it as UTF-8 and open it again (derpdesk does not rewrite bytes it cannot read)`,
        { cause: err },
      );
    }
  } finally {
    await handle.close();
  }
}
