/**
 * The relay's long-term private key. Read in derper's `-c` JSON form ({"PrivateKey":"privkey:<hex>"}) or
 * headscale's bare `privkey:<hex>` file; created (mode 0600) in derper's form when missing.
 */
import { promises as fs } from 'node:fs';
import {
  formatNodePrivate,
  generateKeyPair,
  keyPairFromPrivate,
  parseNodePrivate,
  type NodeKeyPair,
} from '../derp/keys.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { MAX_SMALL_FILE_BYTES, readTextFileBounded } from '../util/read-bounded.js';
import { errorMessage } from '../../shared/errors.js';

export class KeyFileError extends Error {}

export function parseServerKeyFile(text: string, file: string): NodeKeyPair {
  const trimmed = text.trim();
  let keyText: string;
  if (trimmed.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch {
      // JSON.parse's message quotes the text around the error, and this text is a private key: name the file only.
      throw new KeyFileError(`${file}: not valid JSON; expected {"PrivateKey":"privkey:<64 hex>"}`);
    }
    const pk = (parsed as { PrivateKey?: unknown }).PrivateKey;
    if (typeof pk !== 'string')
      throw new KeyFileError(`${file}: no "PrivateKey" string; expected {"PrivateKey":"privkey:<64 hex>"}`);
    keyText = pk;
  } else {
    keyText = trimmed;
  }
  try {
    return keyPairFromPrivate(parseNodePrivate(keyText));
  } catch (err) {
    throw new KeyFileError(`${file}: ${errorMessage(err)}`, { cause: err });
  }
}

export interface LoadedServerKey extends NodeKeyPair {
  created: boolean;
  /** Set when the file is readable by group or others: a private key should not be. */
  looseMode?: number;
}

export async function loadOrCreateServerKey(file: string): Promise<LoadedServerKey> {
  let text: string;
  try {
    text = await readTextFileBounded(file, MAX_SMALL_FILE_BYTES);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code !== 'ENOENT')
      throw new KeyFileError(`cannot read key file ${file}: ${errorMessage(err)}`, { cause: err });
    const pair = generateKeyPair();
    try {
      await writeFileAtomic(file, JSON.stringify({ PrivateKey: formatNodePrivate(pair.privateKey) }) + '\n', {
        mode: 0o600,
      });
    } catch (werr) {
      throw new KeyFileError(`cannot create key file ${file}: ${errorMessage(werr)}`, { cause: werr });
    }
    return { ...pair, created: true };
  }
  const pair = parseServerKeyFile(text, file);
  const st = await fs.stat(file);
  const loose = process.platform !== 'win32' && (st.mode & 0o077) !== 0 ? st.mode & 0o777 : undefined;
  return { ...pair, created: false, looseMode: loose };
}
