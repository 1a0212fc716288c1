/**
 * What the dashboard shows about the certificate the running relay serves: read from the served file (manual and
 * self-signed TLS) or from the ACME manager's state (Let's Encrypt), with the expiry judged the same way for both.
 */
import { X509Certificate } from 'node:crypto';
import type { CertificateState } from '../relay/acme/manager.js';
import { certNameOf } from '../relay/selfsigned.js';
import { readTextFileBounded } from '../util/read-bounded.js';
import { CERT_EXPIRY_WARN_DAYS, type RelayCertificate } from '../../shared/relay.js';

const DAY_MS = 86_400_000;
/** A certificate chain file is a few KiB; a CA bundle by mistake a few hundred. */
const MAX_CERT_FILE_BYTES = 1 << 20;

function expiry(notAfter: Date, now: number): Pick<RelayCertificate, 'status' | 'daysLeft' | 'notAfter'> {
  const daysLeft = Math.floor((notAfter.getTime() - now) / DAY_MS);
  const status = notAfter.getTime() <= now ? 'expired' : daysLeft < CERT_EXPIRY_WARN_DAYS ? 'expiring' : 'valid';
  return { status, daysLeft, notAfter: notAfter.toISOString() };
}

/** "CN=Pebble Intermediate CA 3a6cd5\nO=..." -> the common name, or the whole name when it has none. */
function commonName(dn: string): string {
  return /(?:^|\n)CN=([^\n]+)/.exec(dn)?.[1] ?? dn.replace(/\n/g, ', ');
}

/** "DNS:derp.example.com, IP Address:203.0.113.7" -> ["derp.example.com", "203.0.113.7"]. */
function altNames(cert: X509Certificate): string[] {
  return (cert.subjectAltName ?? '')
    .split(', ')
    .map((n) => n.replace(/^(DNS|IP Address):/, ''))
    .filter(Boolean);
}

export async function describeServedFile(
  file: string,
  mode: 'manual' | 'self-signed',
  now = Date.now(),
): Promise<RelayCertificate> {
  const pem = await readTextFileBounded(file, MAX_CERT_FILE_BYTES);
  const cert = new X509Certificate(pem);
  const selfSigned = cert.issuer === cert.subject;
  return {
    mode,
    ...expiry(new Date(cert.validTo), now),
    issuer: selfSigned ? 'self-signed' : commonName(cert.issuer),
    names: altNames(cert),
    ...(selfSigned ? { certName: certNameOf(pem) } : {}),
  };
}

export function describeAcme(state: CertificateState, now = Date.now()): RelayCertificate {
  const issued = state.notAfter ? expiry(new Date(state.notAfter), now) : null;
  return {
    mode: 'letsencrypt',
    ...(issued ?? {}),
    // While a certificate is in hand its expiry decides; a failed renewal shows through lastError until then.
    status: issued ? (state.status === 'failed' && issued.status !== 'valid' ? 'failed' : issued.status) : state.status,
    ...(state.issuer ? { issuer: state.issuer } : {}),
    ...(state.names ? { names: state.names } : {}),
    ...(state.lastError ? { lastError: state.lastError } : {}),
    ...(state.nextAttempt ? { nextAttempt: state.nextAttempt } : {}),
  };
}
