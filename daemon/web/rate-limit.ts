// A token bucket per client address for the dashboard's API: a page makes a few requests a minute, so a
// client making hundreds a second (a bug, a script) is slowed down before it can take the event loop
// away from the tank's control and its MQTT commands. Pure, time injected.

export interface RatePolicy {
  /** Requests allowed at once. */
  burst: number;
  /** Requests per second afterwards. */
  perSecond: number;
}

/** Past this many addresses the table forgets the ones with full buckets. */
const MAX_ADDRESSES = 1000;

export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; atMs: number }>();

  constructor(
    private readonly policy: RatePolicy,
    private readonly now: () => number,
  ) {}

  /** Takes a token for `address`; false when its bucket is empty. */
  take(address: string): boolean {
    const now = this.now();
    const { burst, perSecond } = this.policy;
    const b = this.buckets.get(address) ?? { tokens: burst, atMs: now };
    b.tokens = Math.min(burst, b.tokens + ((now - b.atMs) / 1000) * perSecond);
    b.atMs = now;
    const ok = b.tokens >= 1;
    if (ok) b.tokens -= 1;
    this.buckets.set(address, b);
    if (this.buckets.size > MAX_ADDRESSES) this.prune(now);
    return ok;
  }

  private prune(now: number): void {
    const { burst, perSecond } = this.policy;
    for (const [k, b] of this.buckets)
      if (b.tokens + ((now - b.atMs) / 1000) * perSecond >= burst) this.buckets.delete(k);
  }
}
