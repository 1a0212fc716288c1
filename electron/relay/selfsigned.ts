/**
 * Self-signed certificates for relays on a bare IP (or a name without a public CA): an ECDSA P-256 certificate
 * with the right subjectAltName, created once and reused, plus the `sha256-raw:<hex>` CertName that lets Tailscale
 * clients pin it in the DERP map.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { X509Certificate, createHash, webcrypto } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import { writeFileAtomic } from '../util/atomic-file.js';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
const VALID_DAYS = 5 * 365;
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';

export interface SelfSignedCert {
  certFile: string;
  keyFile: string;
  /** `sha256-raw:<hex>` of the leaf certificate's DER: the DERP map's CertName for pinning. */
  certName: string;
  created: boolean;
  notAfter: Date;
}

export function certNameOf(pem: string | Buffer): string {
  return `sha256-raw:${createHash('sha256').update(new X509Certificate(pem).raw).digest('hex')}`;
}

export interface CertSummary {
  certName: string;
  notAfter: Date;
  /** Issuer equals subject: clients must pin it (CertName), a CA will not vouch for it. */
  selfSigned: boolean;
}

export async function describeCert(certFile: string): Promise<CertSummary> {
  const pem = await fs.readFile(certFile);
  const cert = new X509Certificate(pem);
  return { certName: certNameOf(pem), notAfter: new Date(cert.validTo), selfSigned: cert.issuer === cert.subject };
}

/** `<certdir>/<hostname>.crt|.key`, derper's manual-mode layout; generated when absent. */
export async function loadOrCreateSelfSigned(certdir: string, hostname: string): Promise<SelfSignedCert> {
  const certFile = path.join(certdir, `${hostname}.crt`);
  const keyFile = path.join(certdir, `${hostname}.key`);
  try {
    const pem = await fs.readFile(certFile);
    await fs.access(keyFile);
    return {
      certFile,
      keyFile,
      certName: certNameOf(pem),
      created: false,
      notAfter: new Date(new X509Certificate(pem).validTo),
    };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const notAfter = new Date(Date.now() + VALID_DAYS * 86_400_000);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: webcrypto
      .getRandomValues(new Uint8Array(8))
      .reduce((s, b) => s + b.toString(16).padStart(2, '0'), '7f'),
    name: `CN=${hostname}`,
    notBefore: new Date(Date.now() - 3_600_000),
    notAfter,
    signingAlgorithm: ALG,
    keys: keys as unknown as Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[0]['keys'],
    extensions: [
      new x509.SubjectAlternativeNameExtension([
        isIP(hostname) ? { type: 'ip', value: hostname } : { type: 'dns', value: hostname },
      ]),
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([SERVER_AUTH]),
    ],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const keyPem = `-----BEGIN PRIVATE KEY-----\n${pkcs8.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n?$/, '\n')}-----END PRIVATE KEY-----\n`;
  const certPem = cert.toString('pem') + '\n';
  await writeFileAtomic(keyFile, keyPem, { mode: 0o600 });
  await writeFileAtomic(certFile, certPem, { mode: 0o644 });
  return { certFile, keyFile, certName: certNameOf(certPem), created: true, notAfter };
}
