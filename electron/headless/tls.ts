/**
 * The certificate `derpdesk host` serves HTTPS with when it is reachable from other machines: the operator's own
 * (`--tls-cert`, `--tls-key`) or a self-signed one made once and kept in the data directory. Either way its
 * SHA-256 fingerprint is printed, so the user can compare it with what the browser shows before trusting it.
 */
import { X509Certificate } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { createSecureContext } from 'node:tls';
import { loadOrCreateSelfSigned } from '../relay/selfsigned.js';
import { errorMessage } from '../../shared/errors.js';

export interface HostTls {
  cert: Buffer;
  key: Buffer;
  certFile: string;
  /** SHA-256 of the certificate's DER as browsers show it: upper-case hex pairs joined by colons. */
  fingerprint: string;
  /** True when the self-signed certificate was generated on this start. */
  created: boolean;
}

export type TlsSource = { certFile: string; keyFile: string } | { dataDir: string; name: string };

/** The directory under the data dir holding the host's self-signed certificate, apart from the relay's. */
export const HOST_CERT_DIR = 'host-tls';

export async function loadHostTls(source: TlsSource): Promise<HostTls> {
  let certFile: string;
  let keyFile: string;
  let created = false;
  if ('certFile' in source) {
    ({ certFile, keyFile } = source);
  } else {
    const dir = path.join(source.dataDir, HOST_CERT_DIR);
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    ({ certFile, keyFile, created } = await loadOrCreateSelfSigned(dir, source.name));
  }
  const [cert, key] = await Promise.all([
    fs
      .readFile(certFile)
      .catch((err: unknown) =>
        Promise.reject(new Error(`cannot read the TLS certificate ${certFile}: ${errorMessage(err)}`, { cause: err })),
      ),
    fs
      .readFile(keyFile)
      .catch((err: unknown) =>
        Promise.reject(new Error(`cannot read the TLS key ${keyFile}: ${errorMessage(err)}`, { cause: err })),
      ),
  ]);
  let fingerprint: string;
  try {
    fingerprint = new X509Certificate(cert).fingerprint256;
    createSecureContext({ cert, key });
  } catch (err) {
    throw new Error(
      `the TLS certificate ${certFile} and key ${keyFile} are unusable (${errorMessage(err)}); give a PEM certificate and its matching PEM private key`,
      { cause: err },
    );
  }
  return { cert, key, certFile, fingerprint, created };
}
