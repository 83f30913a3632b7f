// The one login check of every door (MQTT broker, dashboard): lockout first, then the password against
// the shared password file, then the audit log: failures, lockouts and successes, with who and from where.
// Whichever door an address knocks on, its failures count together.

import type { Logger } from '../log.js';
import { clip as clipText, type AuditEntry } from './audit-log.js';
import type { Credentials } from './credentials.js';
import { LockoutTable, type LockoutPolicy } from './lockout.js';
import type { UserRecord } from './roles.js';

export type LoginDoor = 'mqtt' | 'web';

export interface LoginAttempt {
  user: string | undefined;
  password: string | undefined;
  address: string;
  door: LoginDoor;
  /** MQTT client id, for the audit line. */
  clientId?: string;
}

export type LoginOutcome =
  { ok: true; user: string; record: UserRecord | undefined } | { ok: false; reason: 'locked' | 'refused' };

export interface LoginGuardDeps {
  credentials: Credentials;
  policy: LockoutPolicy;
  audit: (entry: AuditEntry) => void;
  log: Logger;
  now: () => number;
  /** User names that may never log in through a door (the daemon's own gateway user). */
  reserved?: readonly string[];
}

const DOOR_NAME: Record<LoginDoor, string> = { mqtt: 'MQTT login', web: 'dashboard login' };
/** Attacker-controlled names are cut to this length before they reach a log or the audit file. */
export const MAX_NAME_CHARS = 64;

export class LoginGuard {
  private readonly table: LockoutTable;

  constructor(private readonly deps: LoginGuardDeps) {
    this.table = new LockoutTable(deps.policy, deps.now);
  }

  async login(attempt: LoginAttempt): Promise<LoginOutcome> {
    const { credentials } = this.deps;
    const user = clip(attempt.user ?? '(anonymous)');
    const verdict = this.table.check(attempt.address, user);
    if (verdict !== 'allowed') {
      // Not audited one by one: the lockout itself was, and a locked address must not fill the SD card.
      this.deps.log.debug('login refused: locked out', {
        door: attempt.door,
        address: attempt.address,
        verdict,
      });
      return { ok: false, reason: 'locked' };
    }
    await credentials.refresh();
    const ok =
      attempt.user !== undefined &&
      attempt.password !== undefined &&
      !(this.deps.reserved ?? []).includes(attempt.user) &&
      (await credentials.verify(attempt.user, attempt.password));
    if (ok) {
      this.table.succeeded(attempt.address, user);
      this.record(attempt, user, 'login', 'accepted');
      return { ok: true, user: attempt.user!, record: credentials.record(attempt.user!) };
    }
    const started = this.table.failed(attempt.address, user);
    this.record(attempt, user, 'login-failed', 'refused: bad username or password');
    if (started.address || started.user) this.lockoutStarted(attempt, user, started.user);
    return { ok: false, reason: 'refused' };
  }

  private lockoutStarted(attempt: LoginAttempt, user: string, userLocked: boolean): void {
    const { policy, log } = this.deps;
    const minutes = Math.round(policy.lockoutMs / 60_000);
    const what = userLocked ? `user name ${user} (from every address)` : `address ${attempt.address}`;
    log.warn('login locked out after repeated failures', {
      door: attempt.door,
      address: attempt.address,
      user,
      minutes,
    });
    this.record(attempt, user, 'lockout', `locked out for ${minutes} min: ${what}`);
  }

  private record(
    attempt: LoginAttempt,
    user: string,
    kind: 'login' | 'login-failed' | 'lockout',
    result: string,
  ) {
    const from = attempt.clientId ? `${attempt.address} (${clip(attempt.clientId)})` : attempt.address;
    this.deps.audit({ kind, who: user, from, what: DOOR_NAME[attempt.door], result });
  }
}

function clip(text: string): string {
  return clipText(text, MAX_NAME_CHARS);
}
