/**
 * A worker's side of -certmode letsencrypt with -workers: the primary runs the ACME orders (one account, one cache,
 * one order at a time) and sends each worker the certificate and the answers to pending challenges, so whichever
 * worker a client or the CA's validator reaches serves the same certificate and answers the same challenge.
 */
import { EventEmitter } from 'node:events';
import { ChallengeAnswers, type ChallengeAnswer } from '../acme/challenge-answers.js';
import type { CertificateEvents, CertificatePair, CertificateSource, CertificateState } from '../acme/manager.js';
import type { SharedCertificateState, WorkerConfig } from './messages.js';

export class SharedCertificates extends EventEmitter<CertificateEvents> implements CertificateSource {
  private cert: CertificatePair | null;
  /** What the relay's TLS server was given last: `current()` at its start, then each 'certificate' event. */
  private served: CertificatePair | null = null;
  private started = false;
  private latest: CertificateState;
  private readonly answers = new ChallengeAnswers();

  constructor(initial: NonNullable<WorkerConfig['certificates']>) {
    super();
    this.cert = initial.cert;
    this.latest = initial.state;
    for (const a of initial.answers) this.answers.add(a);
  }

  current(): CertificatePair | null {
    this.served = this.cert;
    return this.cert;
  }

  /**
   * The primary runs the orders, so there is nothing to start; but a certificate may have come between the relay's
   * `current()` and its listening for 'certificate', and is handed on now.
   */
  start(): void {
    this.started = true;
    if (this.cert && this.cert !== this.served) this.serve(this.cert);
  }

  stop(): void {
    this.started = false;
  }

  httpChallenge(token: string): string | undefined {
    return this.answers.httpChallenge(token);
  }

  readonly alpnContext = (servername: string) => this.answers.alpnContext(servername);

  state(): CertificateState {
    return this.latest;
  }

  /** A certificate the primary got: served to new handshakes from now on. */
  replace(update: SharedCertificateState): void {
    this.latest = update.state;
    if (!update.cert) return;
    this.cert = update.cert;
    if (this.started) this.serve(update.cert);
  }

  private serve(cert: CertificatePair): void {
    this.served = cert;
    this.emit('certificate', cert);
  }

  hold(answer: ChallengeAnswer): void {
    this.answers.add(answer);
  }

  release(answer: ChallengeAnswer): void {
    this.answers.remove(answer);
  }
}
