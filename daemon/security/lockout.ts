// Brute-force lockout, shared by every door (the MQTT broker, the dashboard's login). Failures are
// counted per client address and, within it, per user name:
//   - an address is locked once its failures (all user names together) reach `maxFailures`; a success
//     resets only the failures of the user who succeeded, so good logins as one user cannot launder
//     guesses at another (4 wrong admin passwords + 1 good viewer login, repeated, still locks);
//   - a user name is locked, from every address, once it has `maxFailures * USER_FACTOR` failures in a
//     row (guessing from many addresses); a larger threshold, since anyone can knock on a name.
// Locks last `lockoutMs`, even for the right password. Time is injected.

export interface LockoutPolicy {
  maxFailures: number;
  lockoutMs: number;
}

export type LoginVerdict = 'allowed' | 'address-locked' | 'user-locked';

/** What a failure started, if anything: the caller audits and logs it. */
export type LockStarted = { address: boolean; user: boolean };

/** A user name is locked after this many times the per-address allowance (from any addresses). */
export const USER_FACTOR = 2;
/** Bounds on what an attacker can make the tables hold. */
const MAX_ADDRESSES = 10_000;
const MAX_USERS_PER_ADDRESS = 32;

interface AddressRecord {
  byUser: Map<string, number>;
  total: number;
  lockedUntilMs?: number;
}

interface UserRecord {
  count: number;
  lockedUntilMs?: number;
}

export class LockoutTable {
  private readonly addresses = new Map<string, AddressRecord>();
  private readonly users = new Map<string, UserRecord>();

  constructor(
    private readonly policy: LockoutPolicy,
    private readonly now: () => number,
  ) {}

  /** Before checking a password: may this address try this user name now? */
  check(address: string, user: string): LoginVerdict {
    const now = this.now();
    const a = this.addresses.get(address);
    if (a?.lockedUntilMs !== undefined) {
      if (now < a.lockedUntilMs) return 'address-locked';
      this.addresses.delete(address);
    }
    const u = this.users.get(user);
    if (u?.lockedUntilMs !== undefined) {
      if (now < u.lockedUntilMs) return 'user-locked';
      this.users.delete(user);
    }
    return 'allowed';
  }

  /** Records a failed login; says which lock (if any) it started. */
  failed(address: string, user: string): LockStarted {
    const now = this.now();
    const a = this.addresses.get(address) ?? { byUser: new Map<string, number>(), total: 0 };
    if (a.byUser.size < MAX_USERS_PER_ADDRESS || a.byUser.has(user))
      a.byUser.set(user, (a.byUser.get(user) ?? 0) + 1);
    a.total++;
    this.addresses.set(address, a);
    const u = this.users.get(user) ?? { count: 0 };
    u.count++;
    this.users.set(user, u);

    const started = { address: false, user: false };
    if (a.total >= this.policy.maxFailures && a.lockedUntilMs === undefined) {
      a.lockedUntilMs = now + this.policy.lockoutMs;
      started.address = true;
    }
    if (u.count >= this.policy.maxFailures * USER_FACTOR && u.lockedUntilMs === undefined) {
      u.lockedUntilMs = now + this.policy.lockoutMs;
      started.user = true;
    }
    this.prune();
    return started;
  }

  /** A good login: forgets this user's failures (at this address and overall), nobody else's. */
  succeeded(address: string, user: string): void {
    const a = this.addresses.get(address);
    if (a && a.lockedUntilMs === undefined) {
      a.total -= a.byUser.get(user) ?? 0;
      a.byUser.delete(user);
      if (a.total <= 0) this.addresses.delete(address);
    }
    const u = this.users.get(user);
    if (u && u.lockedUntilMs === undefined) this.users.delete(user);
  }

  /** Forget expired and unlocked entries so the tables cannot grow without bound. */
  private prune(): void {
    if (this.addresses.size + this.users.size <= MAX_ADDRESSES) return;
    const now = this.now();
    for (const [k, a] of this.addresses)
      if (a.lockedUntilMs === undefined || a.lockedUntilMs < now) this.addresses.delete(k);
    for (const [k, u] of this.users)
      if (u.lockedUntilMs === undefined || u.lockedUntilMs < now) this.users.delete(k);
  }
}
