/** A token bucket: `rate` tokens per second, holding at most `burst`. Time is read lazily, no timers. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    public rate: number,
    public burst: number,
    now = performance.now(),
  ) {
    this.tokens = burst;
    this.last = now;
  }

  private refill(now: number): void {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
  }

  /** Takes one token if there is one. */
  tryTake(now = performance.now()): boolean {
    this.refill(now);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Takes `n` tokens, going into debt if needed; returns how many ms until the debt is paid (0 if none). */
  take(n: number, now = performance.now()): number {
    this.refill(now);
    this.tokens -= n;
    return this.tokens >= 0 ? 0 : (-this.tokens / this.rate) * 1000;
  }
}
