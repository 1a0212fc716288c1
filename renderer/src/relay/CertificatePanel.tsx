import type { RelayCertificate } from '../../../shared/relay.js';
import { CopyButton } from '../components/CopyButton.js';
import { counted } from '../format.js';
import { useRelayStore } from './store.js';

const MODE_TEXT: Record<RelayCertificate['mode'], string> = {
  manual: 'certificate files',
  'self-signed': 'self-signed (clients pin it by CertName)',
  letsencrypt: "Let's Encrypt",
};

function headline(c: RelayCertificate): { text: string; tone: 'ok' | 'warning' | 'error' } {
  const until = c.notAfter ? new Date(c.notAfter).toISOString().slice(0, 10) : '';
  // Set with notAfter; "–" if a host ever leaves it out.
  const days = counted(c.daysLeft ?? Number.NaN, 'day');
  switch (c.status) {
    case 'valid':
      return { text: `Valid until ${until} (${days})`, tone: 'ok' };
    case 'expiring':
      return {
        text: `Expires ${until}, in ${days}: ${c.mode === 'letsencrypt' ? 'renewal has not succeeded yet' : 'renew it and restart the relay'}`,
        tone: 'warning',
      };
    case 'expired':
      return { text: `Expired on ${until}: clients refuse it`, tone: 'error' };
    case 'obtaining':
      return { text: "Getting the first certificate from Let's Encrypt…", tone: 'warning' };
    case 'failed':
      return { text: "Let's Encrypt could not issue or renew the certificate", tone: 'error' };
  }
}

/** The certificate the running relay serves: who vouches for it, for which names, until when, and its pin. */
export function CertificatePanel() {
  const c = useRelayStore((s) => s.certificate);
  if (!c) return null;
  const head = headline(c);
  return (
    <section className="card" aria-label="TLS certificate" data-testid="relay-certificate">
      <h2>TLS certificate</h2>
      <p
        className={head.tone === 'ok' ? 'status status-running' : head.tone}
        role={head.tone === 'ok' ? undefined : 'alert'}
      >
        {head.text}
      </p>
      <dl className="facts">
        <dt>Source</dt>
        <dd>{MODE_TEXT[c.mode]}</dd>
        {c.issuer && (
          <>
            <dt>Issuer</dt>
            <dd>{c.issuer}</dd>
          </>
        )}
        {c.names && c.names.length > 0 && (
          <>
            <dt>Names</dt>
            <dd>{c.names.join(', ')}</dd>
          </>
        )}
        {c.certName && (
          <>
            <dt>CertName</dt>
            <dd className="key">
              <code>{c.certName}</code> <CopyButton text={c.certName} label="Copy CertName" />
            </dd>
          </>
        )}
        {c.lastError && (
          <>
            <dt>Last error</dt>
            <dd className="error">{c.lastError}</dd>
          </>
        )}
        {c.nextAttempt && (
          <>
            <dt>Next attempt</dt>
            <dd>{new Date(c.nextAttempt).toLocaleString()}</dd>
          </>
        )}
      </dl>
    </section>
  );
}
