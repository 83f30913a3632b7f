// Brute-force lockout: after `maxFailures` consecutive failed logins from one client address, refuse it
// for `lockoutMs` (even with the right password). A success resets the count. Time is injected.

export interface LockoutPolicy {
  maxFailures: number;
  lockoutMs: number;
}

export type LoginVerdict = 'locked' | 'allowed';

export class LockoutTable {
  private readonly failures = new Map<string, { count: number; lockedUntilMs?: number }>();

  constructor(
    private readonly policy: LockoutPolicy,
    private readonly now: () => number,
  ) {}

  /** Before checking a password: is this client locked out now? */
  check(client: string): LoginVerdict {
    const f = this.failures.get(client);
    if (f?.lockedUntilMs === undefined) return 'allowed';
    if (this.now() < f.lockedUntilMs) return 'locked';
    this.failures.delete(client);
    return 'allowed';
  }

  /** Records a failure; returns true when this failure starts a lockout. */
  failed(client: string): boolean {
    const f = this.failures.get(client) ?? { count: 0 };
    f.count++;
    this.failures.set(client, f);
    if (f.count >= this.policy.maxFailures && f.lockedUntilMs === undefined) {
      f.lockedUntilMs = this.now() + this.policy.lockoutMs;
      return true;
    }
    return false;
  }

  succeeded(client: string): void {
    this.failures.delete(client);
  }

  /** Forget stale entries so the table cannot grow without bound. */
  prune(maxEntries = 10_000): void {
    if (this.failures.size <= maxEntries) return;
    const now = this.now();
    for (const [k, f] of this.failures)
      if (f.lockedUntilMs === undefined || f.lockedUntilMs < now) this.failures.delete(k);
  }
}
