/**
 * What the desktop app tells the user while its window may be closed: the relay stopped without being asked to,
 * its port was busy at start, its certificate expires within 14 days, or it refused a client (once per burst of
 * refusals, so a misconfigured client retrying every second makes one notice, not one a second). Each notice
 * names the page that shows the details. Plain Node: Electron's Notification is behind `Notify`.
 */
import type { RelayState } from '../../shared/api.js';
import { CERT_EXPIRY_WARN_DAYS, type DeniedClient, type RelayCertificate } from '../../shared/relay.js';
import type { ApiEventEmitter } from '../app/events.js';
import type { Logger } from '../util/log.js';
import { errorMessage } from '../../shared/errors.js';

export type NoticePage = 'relay' | 'diagnostics';

export interface RelayNotice {
  kind: 'stopped-unexpectedly' | 'port-busy' | 'certificate-expiring' | 'client-refused';
  title: string;
  body: string;
  /** The page the notice opens when clicked. */
  page: NoticePage;
}

export type Notify = (notice: RelayNotice) => void;

const DAY_MS = 86_400_000;

const CERT_WORDS: Record<RelayCertificate['mode'], string> = {
  manual: 'TLS',
  'self-signed': 'self-signed',
  letsencrypt: "Let's Encrypt",
};

export interface RelayNoticesOptions {
  events: ApiEventEmitter;
  /** The relay's recent refusals, newest last (RelayController.trust().denied). */
  denied: () => DeniedClient[];
  /** The certificate the running relay serves (files or Let's Encrypt), or null (RelayController.certificateInfo). */
  certificate: () => Promise<RelayCertificate | null>;
  notify: Notify;
  logger: Logger;
  now?: () => number;
  /** Refusals closer together than this are one burst (default 10 minutes). */
  refusalQuietMs?: number;
  /** How often a running relay's certificate is looked at again (default 12 hours). */
  certCheckEveryMs?: number;
}

export class RelayNotices {
  private previous: RelayState['status'] = 'stopped';
  private stopRequested = false;
  private lastRefusalAt = -Infinity;
  private seenRefusalsUpTo: number;
  private certTimer: NodeJS.Timeout | null = null;
  private readonly warnedCerts = new Set<string>();
  private readonly now: () => number;
  private readonly offs: Array<() => void> = [];

  constructor(private readonly o: RelayNoticesOptions) {
    this.now = o.now ?? Date.now;
    this.seenRefusalsUpTo = this.now();
    const onState = (s: RelayState) => this.onState(s);
    const onSample = () => this.checkRefusals();
    o.events.on('relay.state', onState);
    o.events.on('stats.sample', onSample);
    this.offs.push(
      () => o.events.off('relay.state', onState),
      () => o.events.off('stats.sample', onSample),
    );
  }

  dispose(): void {
    for (const off of this.offs) off();
    this.stopCertChecks();
  }

  private onState(s: RelayState): void {
    const was = this.previous;
    this.previous = s.status;
    if (s.status === 'stopping') this.stopRequested = true;
    if (s.status === 'starting') this.stopRequested = false;
    if (s.status === 'running') this.startCertChecks();
    else this.stopCertChecks();

    if (s.status === 'failed' && was === 'starting' && /already in use|EADDRINUSE/i.test(s.error)) {
      this.o.notify({
        kind: 'port-busy',
        title: 'derpdesk: the relay could not start',
        body: `${s.error}. Stop the other program or choose another port in the relay settings.`,
        page: 'relay',
      });
    } else if (was === 'running' && (s.status === 'failed' || (s.status === 'stopped' && !this.stopRequested))) {
      this.o.notify({
        kind: 'stopped-unexpectedly',
        title: 'derpdesk: the relay stopped unexpectedly',
        body: s.status === 'failed' ? s.error : 'Clients cannot reach it until it is started again.',
        page: 'relay',
      });
    }
  }

  private checkRefusals(): void {
    const fresh = this.o.denied().filter((d) => d.at > this.seenRefusalsUpTo);
    if (fresh.length === 0) return;
    const first = fresh[0];
    const last = fresh[fresh.length - 1];
    this.seenRefusalsUpTo = last.at;
    const startsBurst = first.at - this.lastRefusalAt > (this.o.refusalQuietMs ?? 10 * 60_000);
    this.lastRefusalAt = last.at;
    if (!startsBurst) return;
    this.o.notify({
      kind: 'client-refused',
      title: 'derpdesk: the relay refused a client',
      body: `${first.key} from ${first.remoteAddress}: ${first.reason}. Further refusals in this burst are on the relay page only.`,
      page: 'relay',
    });
  }

  private startCertChecks(): void {
    if (this.certTimer) return;
    this.certTimer = setInterval(() => this.checkCertificate(), this.o.certCheckEveryMs ?? 12 * 3_600_000);
    this.certTimer.unref();
    this.checkCertificate();
  }

  private stopCertChecks(): void {
    if (this.certTimer) clearInterval(this.certTimer);
    this.certTimer = null;
  }

  private checkCertificate(): void {
    this.certificateNotice().then(
      (notice) => notice && this.o.notify(notice),
      (err: unknown) =>
        this.o.logger.warn(`derpdesk: cannot check the relay certificate's expiry: ${errorMessage(err)}`),
    );
  }

  /** A notice when the served certificate expires within the warning period (once per certificate). */
  private async certificateNotice(): Promise<RelayNotice | null> {
    const cert = await this.o.certificate();
    if (!cert?.notAfter) return null;
    const daysLeft = Math.floor((Date.parse(cert.notAfter) - this.now()) / DAY_MS);
    const key = `${cert.mode} ${(cert.names ?? []).join(',')} ${cert.notAfter}`;
    if (daysLeft >= CERT_EXPIRY_WARN_DAYS || this.warnedCerts.has(key)) return null;
    this.warnedCerts.add(key);
    const which = `The relay's ${CERT_WORDS[cert.mode]} certificate${cert.names?.length ? ` for ${cert.names[0]}` : ''}`;
    const date = cert.notAfter.slice(0, 10);
    const fix =
      cert.mode === 'letsencrypt'
        ? `Let's Encrypt has not renewed it${cert.lastError ? `: ${cert.lastError}` : ' yet'}.`
        : daysLeft < 0
          ? 'Replace it and restart the relay.'
          : 'Renew it and restart the relay.';
    return {
      kind: 'certificate-expiring',
      title: 'derpdesk: the relay certificate expires soon',
      body:
        daysLeft < 0
          ? `${which} expired on ${date}; clients refuse it. ${fix}`
          : `${which} expires in ${daysLeft} day${daysLeft === 1 ? '' : 's'} (${date}). ${fix}`,
      page: 'diagnostics',
    };
  }
}
