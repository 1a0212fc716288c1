/**
 * Turns what acme-client and axios throw into one line an operator can act on: which step failed (reaching the CA,
 * proving the name, fetching the certificate), the CA's own words, and what to check.
 */
import { errorMessage } from '../../../shared/errors.js';

export type AcmeStage = 'directory' | 'challenge' | 'finalize';

const UNTRUSTED = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

interface Context {
  hostname: string;
  directoryUrl: string;
  challenge?: string;
}

/** `code`: why the directory could not be fetched just after the failure (see probeDirectory), if it could not. */
export function describeAcmeError(err: unknown, stage: AcmeStage, ctx: Context, code: string | null): string {
  if (code && UNTRUSTED.has(code))
    return `the ACME server ${ctx.directoryUrl} presented a TLS certificate this machine does not trust (${code}); for a test or private CA, give its CA certificate with -acme-ca-file`;
  if (code)
    return `cannot reach the ACME server ${ctx.directoryUrl} (${code}): check -acme-directory and this machine's connection to it`;
  const detail = errorMessage(err) || 'no reason given';
  if (stage === 'challenge') {
    const port =
      ctx.challenge === 'http-01'
        ? 'the -http-port listener (port 80 for a public CA)'
        : "the relay's TLS port (443 for a public CA)";
    return `the ACME server could not verify ${ctx.challenge ?? 'the'} challenge for ${ctx.hostname}: ${detail}; check that ${ctx.hostname} resolves to this machine and that ${port} is reachable from the internet`;
  }
  return `the ACME server ${ctx.directoryUrl} refused: ${detail}`;
}
