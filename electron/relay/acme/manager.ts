/**
 * Certificates from an ACME CA (Let's Encrypt by default) for the relay's host name, as derper's -certmode
 * letsencrypt gets them: answered by HTTP-01 on the plain-HTTP port or TLS-ALPN-01 on the TLS port, cached in
 * -certdir and reused across restarts, renewed at two thirds of their lifetime, and retried with a bounded
 * back-off after a failure. The relay swaps each new certificate in for new handshakes; connected clients stay.
 */
import type AcmeClient from 'acme-client';
import { EventEmitter } from 'node:events';
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import type tls from 'node:tls';
import type { Logger } from '../../util/log.js';
import { readTextFileBounded } from '../../util/read-bounded.js';
import { HOSTNAME } from '../../../shared/address.js';
import { errorMessage } from '../../../shared/errors.js';
import { loadAcme, probeDirectory, type AcmeLib } from './acme-http.js';
import { describeAcmeError, type AcmeStage } from './acme-errors.js';
import { AcmeStore, cacheDir, type CachedCert } from './store.js';
import { ChallengeAnswers, type ChallengeAnswer, type ChallengeShare } from './challenge-answers.js';

export const LETSENCRYPT_DIRECTORY = 'https://acme-v02.api.letsencrypt.org/directory';

export type ChallengeType = 'http-01' | 'tls-alpn-01';

export interface AcmeConfig {
  hostname: string;
  certdir: string;
  directoryUrl: string;
  email?: string;
  /** Extra trust anchor (PEM file) for the directory's HTTPS: a test or private ACME server. */
  caFile?: string;
  /** Back-off after a failed attempt: the first wait, doubled each time up to `maxMs` (1 min and 1 h by default). */
  retry?: { firstMs: number; maxMs: number };
}

/** What the app and the log show about the certificate. Times are ISO 8601. */
export interface CertificateState {
  hostname: string;
  directoryUrl: string;
  status: 'obtaining' | 'valid' | 'failed';
  issuer?: string;
  names?: string[];
  serial?: string;
  notBefore?: string;
  notAfter?: string;
  /** The challenge that proved the last certificate issued in this run. */
  challenge?: ChallengeType;
  lastError?: string;
  /** When the manager tries next: the renewal time, or the retry after a failure. */
  nextAttempt?: string;
}

/** Thrown before anything is bound: a host name or file that cannot work. */
export class AcmeConfigError extends Error {}

/** A CA bundle is a few hundred KiB at most. */
const MAX_PEM_BYTES = 1024 * 1024;
const DEFAULT_RETRY = { firstMs: 60_000, maxMs: 3_600_000 };
/** setTimeout's limit (about 24.8 days); longer waits are taken in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export function checkAcmeHostname(hostname: string): string | null {
  if (!hostname) return 'a certificate from an ACME CA needs the DNS name clients dial (-hostname)';
  if (isIP(hostname))
    return `${hostname} is an IP address, and ACME CAs such as Let's Encrypt issue certificates for DNS names only: use -certmode self-signed (clients pin it by CertName), or give the relay a DNS name`;
  if (!HOSTNAME.test(hostname) || hostname.endsWith('.')) return `"${hostname}" is not a valid DNS name`;
  return null;
}

export interface CertificatePair {
  chainPem: string;
  keyPem: string;
}

export interface CertificateEvents {
  certificate: [CertificatePair];
}

/**
 * What the relay's listeners need from ACME: the certificate to serve (and each new one), the answers to pending
 * challenges, and the state to show. The manager below runs the orders; a `-workers` worker holds a copy that the
 * primary, which runs them, keeps current (workers/certificates.ts).
 */
export interface CertificateSource extends EventEmitter<CertificateEvents> {
  current(): CertificatePair | null;
  start(): void;
  stop(): void;
  httpChallenge(token: string): string | undefined;
  readonly alpnContext: (servername: string) => tls.SecureContext | undefined;
  state(): CertificateState;
}

export class AcmeCertManager extends EventEmitter<CertificateEvents> implements CertificateSource {
  private cert: CachedCert | null = null;
  private lastChallenge: ChallengeType | undefined;
  private lastError: string | undefined;
  private nextAt: number | undefined;
  private failures = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly answers = new ChallengeAnswers();
  private readonly retry: { firstMs: number; maxMs: number };
  private readonly hostname: string;

  private constructor(
    private readonly acme: AcmeLib,
    private readonly cfg: AcmeConfig,
    private readonly store: AcmeStore,
    /** Challenge types to offer, most preferred first; a failure moves the next one to the front. */
    private challenges: ChallengeType[],
    private readonly log: Logger,
    private readonly share: ChallengeShare | undefined,
  ) {
    super();
    this.retry = cfg.retry ?? DEFAULT_RETRY;
    this.hostname = cfg.hostname.toLowerCase();
  }

  /** Checks the settings and reads the cache; throws AcmeConfigError with what to fix. */
  static async open(
    cfg: AcmeConfig,
    opts: { httpChallenge: boolean; logger: Logger; share?: ChallengeShare },
  ): Promise<AcmeCertManager> {
    const bad = checkAcmeHostname(cfg.hostname);
    if (bad) throw new AcmeConfigError(bad);
    try {
      new URL(cfg.directoryUrl);
    } catch {
      throw new AcmeConfigError(`the ACME directory "${cfg.directoryUrl}" is not a URL (-acme-directory)`);
    }
    const caPem = cfg.caFile ? await readCaFile(cfg.caFile) : null;
    const lib = await loadAcme(cfg.directoryUrl, caPem);
    const store = new AcmeStore(cacheDir(cfg.certdir, cfg.directoryUrl));
    const challenges: ChallengeType[] = opts.httpChallenge ? ['http-01', 'tls-alpn-01'] : ['tls-alpn-01'];
    const m = new AcmeCertManager(lib, cfg, store, challenges, opts.logger, opts.share);
    m.cert = await store.loadCert(m.hostname).catch((err: unknown) => {
      throw new AcmeConfigError(`cannot read the certificate cache in ${store.dir}: ${errorMessage(err)}`);
    });
    if (m.cert && Date.parse(m.cert.leaf.validTo) <= Date.now()) m.cert = null;
    return m;
  }

  /** The certificate to serve now (chain and key PEM), or null until the first one is issued. */
  current(): CertificatePair | null {
    return this.cert && { chainPem: this.cert.chainPem, keyPem: this.cert.keyPem };
  }

  /** Begins issuing (or schedules renewal of the cached certificate). */
  start(): void {
    if (this.cert) {
      this.log.info(`acme: using the cached certificate for ${this.hostname}: ${this.summary(this.cert.leaf)}`);
      this.schedule(this.renewalTime(this.cert.leaf));
    } else {
      this.schedule(Date.now());
    }
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** The key authorization for an HTTP-01 token, while its challenge is pending. */
  httpChallenge(token: string): string | undefined {
    return this.answers.httpChallenge(token);
  }

  /** The acmeIdentifier certificate for a TLS-ALPN-01 validator asking for `servername`. */
  readonly alpnContext = (servername: string): tls.SecureContext | undefined => this.answers.alpnContext(servername);

  /** The challenges pending now, for a process that starts serving the relay's ports meanwhile. */
  pendingAnswers(): ChallengeAnswer[] {
    return this.answers.pending();
  }

  state(): CertificateState {
    const leaf = this.cert?.leaf;
    return {
      hostname: this.hostname,
      directoryUrl: this.cfg.directoryUrl,
      // A certificate that ran out while renewals failed is no longer "valid", though it is still what is served.
      status: leaf && Date.parse(leaf.validTo) > Date.now() ? 'valid' : this.lastError ? 'failed' : 'obtaining',
      ...(leaf ? describeLeaf(leaf) : {}),
      ...(this.lastChallenge ? { challenge: this.lastChallenge } : {}),
      ...(this.lastError ? { lastError: this.lastError } : {}),
      ...(this.nextAt !== undefined ? { nextAttempt: new Date(this.nextAt).toISOString() } : {}),
    };
  }

  private renewalTime(leaf: X509Certificate): number {
    const from = Date.parse(leaf.validFrom);
    return from + ((Date.parse(leaf.validTo) - from) * 2) / 3;
  }

  private schedule(at: number): void {
    clearTimeout(this.timer);
    if (this.stopped) return;
    this.nextAt = at;
    const wait = Math.max(0, at - Date.now());
    this.timer = setTimeout(
      () => {
        if (Date.now() < at) this.schedule(at);
        else this.attempt().catch((err: unknown) => this.log.warn(`acme: attempt failed: ${errorMessage(err)}`));
      },
      Math.min(wait, MAX_TIMER_MS),
    );
    this.timer.unref();
  }

  private async attempt(): Promise<void> {
    const what = this.cert ? 'renewing the certificate' : 'requesting a certificate';
    this.log.info(
      `acme: ${what} for ${this.hostname} from ${this.cfg.directoryUrl} (challenges: ${this.challenges.join(', ')})`,
    );
    const stage: { at: AcmeStage } = { at: 'directory' };
    try {
      const issued = await this.issue(stage);
      if (this.stopped) return;
      this.cert = issued;
      this.failures = 0;
      this.lastError = undefined;
      this.emit('certificate', { chainPem: issued.chainPem, keyPem: issued.keyPem });
      this.log.info(
        `acme: got a certificate for ${this.hostname} by ${this.lastChallenge}: ${this.summary(issued.leaf)}`,
      );
      this.schedule(this.renewalTime(issued.leaf));
    } catch (err) {
      if (this.stopped) return;
      this.failures++;
      const unreachable = stage.at === 'challenge' ? null : await probeDirectory(this.cfg.directoryUrl);
      if (this.stopped) return;
      this.lastError = describeAcmeError(
        err,
        stage.at,
        { hostname: this.hostname, directoryUrl: this.cfg.directoryUrl, challenge: this.lastChallenge },
        unreachable,
      );
      // Offer the other challenge first next time: the port the first one needs may be closed to the CA.
      this.challenges = [...this.challenges.slice(1), this.challenges[0]];
      const wait = Math.min(this.retry.firstMs * 2 ** (this.failures - 1), this.retry.maxMs);
      const keeping = this.cert
        ? ` (still serving the current one until ${describeLeaf(this.cert.leaf).notAfter})`
        : '';
      this.log.warn(
        `acme: cannot get a certificate for ${this.hostname}: ${this.lastError}; next attempt in ${formatWait(wait)}${keeping}`,
      );
      this.schedule(Date.now() + wait);
    }
  }

  /** One order, step by step with acme-client, so a failure is known to be the CA, the challenge or the finalize. */
  private async issue(stage: { at: AcmeStage }): Promise<CachedCert> {
    const account = await this.store.accountKey(() => this.acme.crypto.createPrivateEcdsaKey());
    if (account.created) this.log.info(`acme: created an account key in ${this.store.dir}`);
    const client = new this.acme.Client({
      directoryUrl: this.cfg.directoryUrl,
      accountKey: account.pem,
      backoffAttempts: 10,
      backoffMin: 500,
      backoffMax: 10_000,
    });
    await this.findOrCreateAccount(client, account.created);
    const order = await client.createOrder({ identifiers: [{ type: 'dns', value: this.hostname }] });
    for (const authz of await client.getAuthorizations(order)) {
      if (authz.status !== 'valid') await this.prove(client, authz, stage);
    }
    stage.at = 'finalize';
    const [keyPem, csr] = await this.acme.crypto.createCsr(
      { commonName: this.hostname, altNames: [this.hostname] },
      // ECDSA P-256, as Caddy and certmagic default to: a full TLS handshake signs with it, ~10x cheaper than RSA-2048.
      await this.acme.crypto.createPrivateEcdsaKey('P-256'),
    );
    const chainPem = await client.getCertificate(await client.finalizeOrder(order, csr));
    const leaf = new X509Certificate(chainPem);
    await this.store.saveCert(this.hostname, chainPem, keyPem.toString());
    return { chainPem, keyPem: keyPem.toString(), leaf };
  }

  /**
   * A known key looks its account up (a registration repeated for an existing account becomes an update, which
   * some CAs refuse when it changes nothing); a new key, or one whose registration never finished, registers.
   */
  private async findOrCreateAccount(client: AcmeClient.Client, newKey: boolean): Promise<void> {
    if (!newKey) {
      const found = await client.createAccount({ onlyReturnExisting: true }).then(
        () => true,
        () => false,
      );
      if (found) return;
    }
    await client.createAccount({
      termsOfServiceAgreed: true,
      ...(this.cfg.email ? { contact: [`mailto:${this.cfg.email}`] } : {}),
    });
  }

  /** Answers the preferred challenge the CA offers for `authz` and waits for the CA to check it. */
  private async prove(
    client: AcmeClient.Client,
    authz: AcmeClient.Authorization,
    stage: { at: AcmeStage },
  ): Promise<void> {
    const challenge = this.challenges
      .map((type) => authz.challenges.find((c) => c.type === type))
      .find((c) => c !== undefined);
    if (!challenge)
      throw new Error(
        `the CA offers none of the challenges this relay answers (${this.challenges.join(', ')}) for ${authz.identifier.value}`,
      );
    const keyAuthorization = await client.getChallengeKeyAuthorization(challenge);
    stage.at = 'challenge';
    this.lastChallenge = challenge.type as ChallengeType;
    let answer: ChallengeAnswer;
    if (challenge.type === 'http-01') {
      answer = { type: 'http-01', token: challenge.token, keyAuthorization };
    } else {
      const [key, cert] = await this.acme.crypto.createAlpnCertificate(authz, keyAuthorization);
      const name = authz.identifier.value.toLowerCase();
      answer = { type: 'tls-alpn-01', name, keyPem: key.toString(), certPem: cert.toString() };
    }
    this.answers.add(answer);
    try {
      // The CA may validate as soon as it is told: every process it can reach must hold the answer first.
      await this.share?.add(answer);
      await client.completeChallenge(challenge);
      await client.waitForValidStatus(challenge);
    } finally {
      this.answers.remove(answer);
      this.share?.remove(answer);
    }
  }

  private summary(leaf: X509Certificate): string {
    const d = describeLeaf(leaf);
    const renew = new Date(this.renewalTime(leaf)).toISOString();
    return `issuer "${d.issuer}", serial ${d.serial}, valid until ${d.notAfter}, renewal at ${renew}`;
  }
}

/** A PEM CA certificate (or bundle) for the directory's HTTPS, read with a size cap and checked to parse. */
async function readCaFile(file: string): Promise<string> {
  try {
    const pem = await readTextFileBounded(file, MAX_PEM_BYTES);
    new X509Certificate(pem);
    return pem;
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? errorMessage(err);
    throw new AcmeConfigError(
      `cannot use the ACME CA file ${file} (${why}): give a PEM CA certificate (-acme-ca-file)`,
    );
  }
}

function describeLeaf(
  leaf: X509Certificate,
): Required<Pick<CertificateState, 'issuer' | 'names' | 'serial' | 'notBefore' | 'notAfter'>> {
  const cn = /(?:^|\n)CN=([^\n]*)/.exec(leaf.issuer)?.[1];
  return {
    issuer: cn ?? leaf.issuer.replace(/\n/g, ', '),
    names: (leaf.subjectAltName ?? '')
      .split(', ')
      .filter((n) => n.startsWith('DNS:'))
      .map((n) => n.slice(4)),
    serial: leaf.serialNumber.toLowerCase(),
    notBefore: new Date(leaf.validFrom).toISOString(),
    notAfter: new Date(leaf.validTo).toISOString(),
  };
}

function formatWait(ms: number): string {
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 60_000) return `${Math.round(ms / 1000)} s`;
  return `${Math.round(ms / 60_000)} min`;
}
