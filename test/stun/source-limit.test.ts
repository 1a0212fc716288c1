/** The STUN per-source limiter: rate, burst, and a memory bound that holds under a stream of new sources. */
import { describe, expect, it } from 'vitest';
import { SourceLimiter } from '../../electron/stun/source-limit.js';

describe('SourceLimiter', () => {
  it('allows the burst, then the rate, per source', () => {
    const l = new SourceLimiter({ perSecond: 10, burst: 5, maxSources: 100 });
    const allowed = (src: string, now: number, n: number) =>
      Array.from({ length: n }, () => l.allow(src, now)).filter(Boolean).length;
    expect(allowed('192.0.2.1', 0, 20)).toBe(5);
    expect(allowed('192.0.2.2', 0, 20)).toBe(5);
    expect(allowed('192.0.2.1', 1000, 20)).toBe(5);
    expect(allowed('192.0.2.1', 1500, 20)).toBe(5);
  });

  it('never remembers more than maxSources addresses, forgetting the stalest first', () => {
    const l = new SourceLimiter({ perSecond: 1, burst: 1, maxSources: 3 });
    l.allow('a', 0);
    l.allow('b', 0);
    l.allow('c', 0);
    expect(l.allow('a', 1)).toBe(false);
    for (let i = 0; i < 1000; i++) l.allow(`x${i}`, 2);
    expect(l.size).toBe(3);
  });

  it('forgets the source seen least recently, counting a source seen again after a second as fresh', () => {
    const l = new SourceLimiter({ perSecond: 0.001, burst: 1, maxSources: 2 });
    l.allow('a', 0);
    l.allow('b', 0);
    l.allow('a', 1500);
    l.allow('c', 1600);
    // b was forgotten (a fresh burst); a was not (still out of tokens).
    expect(l.allow('a', 1700)).toBe(false);
    expect(l.allow('b', 1700)).toBe(true);
  });
});
