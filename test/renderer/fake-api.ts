/** An in-memory DerpdeskApi for component tests: records calls, answers from a table, emits events on demand. */
import type { ApiEvents, CallName, DerpdeskApi, EventName, PeerInfo, StatsSample } from '../../shared/api.js';

export class FakeApi implements DerpdeskApi {
  calls: Array<{ name: CallName; args: unknown[] }> = [];
  private listeners = new Map<EventName, Set<(p: never) => void>>();

  constructor(public answers: Partial<Record<CallName, (...args: unknown[]) => unknown>>) {}

  call<K extends CallName>(name: K, ...args: unknown[]): Promise<never> {
    this.calls.push({ name, args });
    const f = this.answers[name];
    if (!f) return Promise.reject(new Error(`no answer for ${name}`));
    return Promise.resolve(f(...args) as never);
  }

  on<E extends EventName>(event: E, listener: (payload: ApiEvents[E]) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as (p: never) => void);
    return () => set!.delete(listener as (p: never) => void);
  }

  emit<E extends EventName>(event: E, payload: ApiEvents[E]): void {
    for (const l of this.listeners.get(event) ?? []) l(payload as never);
  }

  /** How many listeners are subscribed (to check that unsubscribing works). */
  listenerCount(event?: EventName): number {
    if (event) return this.listeners.get(event)?.size ?? 0;
    let n = 0;
    for (const s of this.listeners.values()) n += s.size;
    return n;
  }

  /** Names of the calls made so far. */
  names(): CallName[] {
    return this.calls.map((c) => c.name);
  }
}

/** A promise with its resolve exposed, to answer a call later than an event. */
export function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** One second of stats. */
export const sample = (t: number, over: Partial<StatsSample> = {}): StatsSample => ({
  t,
  bytesInPerSec: 0,
  bytesOutPerSec: 0,
  packetsInPerSec: 0,
  packetsOutPerSec: 0,
  dropsPerSec: 0,
  clients: 0,
  stunPerSec: 0,
  ...over,
});

/** A plausible peer with the given connection id. */
export const peer = (id: number, over: Partial<PeerInfo> = {}): PeerInfo => ({
  id,
  key: `nodekey:${id.toString(16).padStart(64, '0')}`,
  remoteAddress: `10.0.${(id >> 8) & 255}.${id & 255}`,
  remotePort: 40000 + (id % 1000),
  connectedAt: 1_000_000 + id,
  preferred: id % 2 === 0,
  isMeshPeer: false,
  isProber: false,
  notIdeal: false,
  transport: 'tcp',
  bytesIn: id * 10,
  packetsIn: id,
  bytesOut: id * 20,
  packetsOut: id,
  drops: 0,
  dropsBy: { unknownDest: 0, queueFull: 0, writeTimeout: 0 },
  rateLimitWaits: 0,
  inactiveDuplicate: false,
  ...over,
});
