/**
 * Per-source-IP token buckets for the STUN server. A Binding Response is 2.6-3.2x the size of the request, so an
 * unlimited server is a traffic amplifier for anyone who can spoof a source address; real clients (netcheck) send a
 * handful of requests every few seconds per relay, so a few dozen a second per address is plenty even for a NAT
 * with many Tailscale nodes behind it.
 */

export interface StunRateLimit {
  /** Requests answered per second per source IP, after the burst. */
  perSecond: number;
  burst: number;
  /** Source addresses remembered at once; the least recently seen is forgotten first. */
  maxSources: number;
}

export const DEFAULT_STUN_RATE_LIMIT: StunRateLimit = { perSecond: 20, burst: 40, maxSources: 16_384 };

/**
 * How stale a source's place in the eviction order may get: a source is moved to the back at most this often, not
 * on every request (a Map delete and insert per request), so eviction forgets the least recently seen to within it.
 */
const RECENCY_MS = 1000;

interface Bucket {
  tokens: number;
  last: number;
  /** When the source last moved to the back of the eviction order. */
  placed: number;
}

export class SourceLimiter {
  /** Insertion order is (nearly) recency order: a source is re-inserted when seen, so the first key is the stalest. */
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly limit: StunRateLimit) {}

  /** Whether `source` may be answered now; takes a token if so. */
  allow(source: string, now: number): boolean {
    const l = this.limit;
    let b = this.buckets.get(source);
    if (b === undefined) {
      if (this.buckets.size >= l.maxSources) this.buckets.delete(this.buckets.keys().next().value!);
      b = { tokens: l.burst, last: now, placed: now };
      this.buckets.set(source, b);
    } else {
      b.tokens = Math.min(l.burst, b.tokens + ((now - b.last) / 1000) * l.perSecond);
      b.last = now;
      if (now - b.placed >= RECENCY_MS) {
        this.buckets.delete(source);
        this.buckets.set(source, b);
        b.placed = now;
      }
    }
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  get size(): number {
    return this.buckets.size;
  }
}
