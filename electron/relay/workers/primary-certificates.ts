/**
 * The primary's side of -certmode letsencrypt with -workers: it runs the one ACME manager (one account, one order at
 * a time, one cache, as derper's single process does) and keeps every worker's copy current: the certificate after
 * each issue or renewal, and each challenge's answer, which every worker must hold before the CA is asked to validate,
 * since the validator's connection may reach any of them.
 */
import type { Worker } from 'node:cluster';
import type { AcmeCertManager } from '../acme/manager.js';
import type { ChallengeAnswer, ChallengeShare } from '../acme/challenge-answers.js';
import type { Logger } from '../../util/log.js';
import { nounFor } from '../../../shared/words.js';
import type { ToWorker, WorkerConfig } from './messages.js';

/** How long the primary waits for a worker to confirm it holds an answer; the CA is asked to validate regardless. */
const HOLD_TIMEOUT_MS = 5_000;

export interface CertificateTargets {
  /** The workers that have their configuration: the ones a challenge or certificate must reach now. */
  configured(): Array<{ index: number; worker: Worker }>;
  send(worker: Worker, m: ToWorker): void;
}

export class PrimaryCertificates implements ChallengeShare {
  private manager: AcmeCertManager | null = null;
  private nextId = 1;
  private readonly waiting = new Map<number, Set<number>>();
  private readonly onHeldAll = new Map<number, () => void>();

  constructor(
    private readonly targets: CertificateTargets,
    private readonly log: Logger,
  ) {}

  /** The manager whose challenges this shares (opened with this as its share, so set afterwards). */
  use(manager: AcmeCertManager): void {
    this.manager = manager;
  }

  /** Once every worker serves: sends each certificate the manager gets to every worker, and starts its orders. */
  start(): void {
    const manager = this.manager;
    if (!manager) return;
    manager.on('certificate', (cert) => {
      for (const { worker } of this.targets.configured())
        this.targets.send(worker, { t: 'certificate', cert, state: manager.state() });
    });
    manager.start();
  }

  stop(): void {
    this.manager?.stop();
  }

  /** What a worker starting now is given: the certificate so far and the challenges pending. */
  forConfig(): WorkerConfig['certificates'] {
    const manager = this.manager;
    if (!manager) return null;
    return { cert: manager.current(), state: manager.state(), answers: manager.pendingAnswers() };
  }

  add(answer: ChallengeAnswer): Promise<void> {
    const targets = this.targets.configured();
    if (targets.length === 0) return Promise.resolve();
    const id = this.nextId++;
    const pending = new Set(targets.map((t) => t.index));
    this.waiting.set(id, pending);
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        const slow = [...pending].map((i) => i + 1).join(', ');
        this.log.warn(
          `acme: ${nounFor(pending.size, 'worker')} ${slow} did not confirm it holds the ${answer.type} answer within ${HOLD_TIMEOUT_MS / 1000} s; asking the CA to validate anyway`,
        );
        this.settle(id);
      }, HOLD_TIMEOUT_MS);
      this.onHeldAll.set(id, () => {
        clearTimeout(timer);
        resolve();
      });
      for (const { worker } of targets) this.targets.send(worker, { t: 'challenge', id, answer });
    });
  }

  remove(answer: ChallengeAnswer): void {
    for (const { worker } of this.targets.configured()) this.targets.send(worker, { t: 'challenge-over', answer });
  }

  /** Worker `index` holds answer `id`. */
  held(index: number, id: number): void {
    const pending = this.waiting.get(id);
    if (!pending) return;
    pending.delete(index);
    if (pending.size === 0) this.settle(id);
  }

  /** A worker that exits holds nothing: the answer waits only for the others. */
  forget(index: number): void {
    for (const [id, pending] of this.waiting) if (pending.delete(index) && pending.size === 0) this.settle(id);
  }

  private settle(id: number): void {
    this.waiting.delete(id);
    const done = this.onHeldAll.get(id);
    this.onHeldAll.delete(id);
    done?.();
  }
}
