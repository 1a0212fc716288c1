/**
 * `derpdesk host --token-file`: the access token kept in a file, so a bookmarked URL (and a service restarted by
 * systemd) keeps working. The file is made owner-only with a fresh random token when missing; an existing one is
 * used only when nobody else can read it or replace it, since the token controls the relay.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../util/atomic-file.js';
import { errorMessage } from '../../shared/errors.js';

/** A token file that cannot be used as it is; the message says how to fix it. */
export class TokenFileError extends Error {}

/** Enough entropy that guessing is hopeless, in characters that need no escaping in a URL fragment. */
const TOKEN_FORM = /^[A-Za-z0-9_-]{22,256}$/;

export function newToken(): string {
  return randomBytes(24).toString('base64url');
}

/** The token in `file`, made (0600, in a 0700 folder when that is new too) when the file does not exist. */
export async function loadOrCreateToken(file: string): Promise<{ token: string; created: boolean }> {
  const abs = path.resolve(file);
  const st = await fs.stat(abs).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return null;
    throw new TokenFileError(`cannot use the token file: ${errorMessage(err)}`, { cause: err });
  });
  if (!st) {
    const token = newToken();
    try {
      await fs.mkdir(path.dirname(abs), { recursive: true, mode: 0o700 });
      await writeFileAtomic(abs, token + '\n', { mode: 0o600 });
    } catch (err) {
      throw new TokenFileError(`cannot create the token file: ${errorMessage(err)}`, { cause: err });
    }
    return { token, created: true };
  }
  checkOwnership(abs, st);
  const token = (await fs.readFile(abs, 'utf8')).trim();
  if (!TOKEN_FORM.test(token)) {
    throw new TokenFileError(
      `token file ${abs} does not hold a token (22 to 256 letters, digits, "-" or "_"); delete it and a new one is made at the next start`,
    );
  }
  return { token, created: false };
}

/** Refuses a file another user owns or may read: they would hold the keys to the relay. */
function checkOwnership(file: string, st: { isFile(): boolean; uid: number; mode: number }): void {
  if (!st.isFile()) throw new TokenFileError(`token file ${file} is not a regular file; give the path of a file`);
  // Windows has no POSIX owner or mode bits to check; its ACLs are the user profile's.
  if (typeof process.getuid !== 'function') return;
  const uid = process.getuid();
  if (st.uid !== uid) {
    throw new TokenFileError(
      `token file ${file} belongs to user id ${st.uid}, not to this user (id ${uid}); run: chown ${uid} ${file} (or delete it to have a new one made)`,
    );
  }
  if ((st.mode & 0o077) !== 0) {
    throw new TokenFileError(
      `token file ${file} can be read or changed by other users (mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}); run: chmod 600 ${file}`,
    );
  }
}
