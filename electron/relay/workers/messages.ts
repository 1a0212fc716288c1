/**
 * What the -workers primary and its relay workers say to each other over the cluster IPC channel. The server's
 * private key travels only here: never in argv or the environment, where other users and logs could see it.
 */

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
  | { t: 'varz'; id: number; texts: string[] };

export type ToPrimary =
  | { t: 'hello' }
  | { t: 'up'; url: string; linkKey: string }
  /** Every link to the peers of the last `peers` message is up (`links` of them). */
  | { t: 'linked'; links: number }
  | { t: 'failed'; message: string; exitCode: number }
  | { t: 'varz?'; id: number }
  | { t: 'varz-part'; id: number; text: string };

/** Cluster's own messages come as 'internalMessage'; anything else without our shape is ignored, not trusted. */
export function isMessage<T extends { t: string }>(m: unknown): m is T {
  return typeof m === 'object' && m !== null && typeof (m as { t?: unknown }).t === 'string';
}
