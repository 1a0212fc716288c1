/**
 * The ACME cache in -certdir: one folder per ACME server (`acme/<host>[_port]/`, so a staging certificate is never
 * served after switching to production), holding the account key and each host name's certificate chain and key.
 * Every file is 0600 and written atomically; the folders are 0700.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../../util/atomic-file.js';
import { readTextFileBounded } from '../../util/read-bounded.js';

export interface CachedCert {
  /** PEM chain, leaf first. */
  chainPem: string;
  keyPem: string;
  leaf: X509Certificate;
}

const SECRET = { mode: 0o600 };

export function cacheDir(certdir: string, directoryUrl: string): string {
  const u = new URL(directoryUrl);
  const label = (u.port ? `${u.hostname}_${u.port}` : u.hostname).replace(/[^A-Za-z0-9._-]/g, '_');
  return path.join(certdir, 'acme', label);
}

/** Keys and chains are a few KiB; the cap keeps a file swapped for something else from being read whole. */
const MAX_CACHE_FILE_BYTES = 256 * 1024;

async function readIfPresent(file: string): Promise<string | null> {
  try {
    return await readTextFileBounded(file, MAX_CACHE_FILE_BYTES);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

export class AcmeStore {
  constructor(readonly dir: string) {}

  private async ensureDir(): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true, mode: 0o700 });
  }

  /** The account key, made on first use: the same key finds the same account again. */
  async accountKey(create: () => Promise<Buffer>): Promise<{ pem: string; created: boolean }> {
    const file = path.join(this.dir, 'account.key');
    const pem = await readIfPresent(file);
    if (pem !== null) {
      createPrivateKey(pem);
      return { pem, created: false };
    }
    await this.ensureDir();
    const made = (await create()).toString();
    await writeFileAtomic(file, made, SECRET);
    return { pem: made, created: true };
  }

  /** The cached certificate for `hostname`, or null when there is none or its key does not belong to it. */
  async loadCert(hostname: string): Promise<CachedCert | null> {
    const chainPem = await readIfPresent(path.join(this.dir, `${hostname}.crt`));
    const keyPem = await readIfPresent(path.join(this.dir, `${hostname}.key`));
    if (chainPem === null || keyPem === null) return null;
    try {
      const leaf = new X509Certificate(chainPem);
      // The key is written before the chain; a crash between the two leaves a pair that does not match.
      if (!leaf.checkPrivateKey(createPrivateKey(keyPem))) return null;
      return { chainPem, keyPem, leaf };
    } catch {
      return null;
    }
  }

  async saveCert(hostname: string, chainPem: string, keyPem: string): Promise<void> {
    await this.ensureDir();
    await writeFileAtomic(path.join(this.dir, `${hostname}.key`), keyPem, SECRET);
    await writeFileAtomic(path.join(this.dir, `${hostname}.crt`), chainPem, SECRET);
  }
}
