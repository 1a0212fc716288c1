/**
 * What the -workers primary and its relay workers say to each other over the cluster IPC channel. The server's
 * private key and the ACME certificate's key travel only here: never in argv or the environment, where other users
 * and logs could see them.
 */
import type { ChallengeAnswer } from '../acme/challenge-answers.js';
import type { CertificatePair, CertificateState } from '../acme/manager.js';

/** With -certmode letsencrypt the primary runs the ACME orders; each worker serves what it is sent. */
export interface SharedCertificateState {
  cert: CertificatePair | null;
  state: CertificateState;
}

/** What the primary tells a worker once it asks (`hello`): who it is and the secrets every worker shares. */
export interface WorkerConfig {
  /** 0-based; worker 0's first start prints the certificate and DERP map node, as the single process does. */
  index: number;
  count: number;
  announce: boolean;
  /** The relay's server private key, hex: every worker is the same relay to clients. */
  serverPrivateKey: string;
  /** Fresh for each run: authenticates the workers' links to each other. */
  meshKey: string;
  /** -certmode letsencrypt: the certificate so far and the challenges pending now; null in other modes. */
  certificates: (SharedCertificateState & { answers: ChallengeAnswer[] }) | null;
}

/** A worker the others link to: its private loopback listener and the key its own links dial with. */
export interface WorkerPeer {
  index: number;
  pid: number;
  url: string;
  /** `nodekey:<hex>` of the worker's link identity (not the server key, which all workers share). */
  linkKey: string;
}

export type ToWorker =
  | { t: 'config'; config: WorkerConfig }
  | { t: 'peers'; peers: WorkerPeer[] }
  /** Send your own /debug/varz text for collection `id`. */
  | { t: 'varz-part?'; id: number }
  /** Every worker's text (and the primary's STUN counters) for the collection this worker asked for. */
  | { t: 'varz'; id: number; texts: string[] }
  /** A new certificate to serve from now on (issued or renewed by the primary). */
  | ({ t: 'certificate' } & SharedCertificateState)
  /** Hold this answer and say so (`challenge-held`): the primary asks the CA to validate once every worker has. */
  | { t: 'challenge'; id: number; answer: ChallengeAnswer }
  | { t: 'challenge-over'; answer: ChallengeAnswer };

export type ToPrimary =
  | { t: 'hello' }
  | { t: 'up'; url: string; linkKey: string }
  /** Every link to the peers of the last `peers` message is up (`links` of them). */
  | { t: 'linked'; links: number }
  | { t: 'failed'; message: string; exitCode: number }
  | { t: 'varz?'; id: number }
  | { t: 'varz-part'; id: number; text: string }
  | { t: 'challenge-held'; id: number };

/** Cluster's own messages come as 'internalMessage'; anything else without our shape is ignored, not trusted. */
export function isMessage<T extends { t: string }>(m: unknown): m is T {
  return typeof m === 'object' && m !== null && typeof (m as { t?: unknown }).t === 'string';
}
