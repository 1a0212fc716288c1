/** A P-256 certificate made by openssl, as an operator's manual-mode certificate files would be. */
import { execFileSync } from 'node:child_process';

export function opensslCert(o: { certFile: string; keyFile: string; days: number; cn: string; san?: string }): void {
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      String(o.days),
      '-subj',
      `/CN=${o.cn}`,
      ...(o.san ? ['-addext', `subjectAltName=${o.san}`] : []),
      '-keyout',
      o.keyFile,
      '-out',
      o.certFile,
    ],
    { stdio: 'ignore' },
  );
}
