import { describe, expect, it } from 'vitest';
import { LockoutTable, USER_FACTOR } from '../../../daemon/security/lockout.js';

describe('login lockout', () => {
  it('locks an address out after 5 failures, for the lockout time, even with the right password', () => {
    let now = 0;
    const t = new LockoutTable({ maxFailures: 5, lockoutMs: 60_000 }, () => now);
    for (let i = 1; i <= 4; i++) expect(t.failed('10.0.0.9', 'alice').address).toBe(false);
    expect(t.check('10.0.0.9', 'alice')).toBe('allowed');
    expect(t.failed('10.0.0.9', 'alice').address).toBe(true);
    expect(t.check('10.0.0.9', 'alice')).toBe('address-locked');
    expect(t.check('10.0.0.9', 'vic')).toBe('address-locked');
    expect(t.check('10.0.0.8', 'vic')).toBe('allowed');
    now = 59_999;
    expect(t.check('10.0.0.9', 'alice')).toBe('address-locked');
    now = 60_000;
    expect(t.check('10.0.0.9', 'alice')).toBe('allowed');
  });

  it('a success resets only the failures of the user who succeeded', () => {
    const t = new LockoutTable({ maxFailures: 3, lockoutMs: 1000 }, () => 0);
    t.failed('a', 'alice');
    t.failed('a', 'alice');
    t.succeeded('a', 'alice');
    expect(t.failed('a', 'alice').address).toBe(false);
    expect(t.failed('a', 'alice').address).toBe(false);
    expect(t.failed('a', 'alice').address).toBe(true);
  });

  it('good logins as one user do not launder guesses at another (4 wrong admin + 1 good viewer, repeated)', () => {
    const t = new LockoutTable({ maxFailures: 5, lockoutMs: 60_000 }, () => 0);
    let locked = false;
    let guesses = 0;
    for (let round = 0; round < 3 && !locked; round++) {
      for (let i = 0; i < 4 && !locked; i++) {
        guesses++;
        locked = t.failed('10.0.0.66', 'alice').address;
      }
      if (!locked) t.succeeded('10.0.0.66', 'vic');
    }
    expect(locked).toBe(true);
    expect(guesses).toBe(5);
    expect(t.check('10.0.0.66', 'vic')).toBe('address-locked');
  });

  it('locks a user name guessed at from many addresses, from every address', () => {
    const t = new LockoutTable({ maxFailures: 5, lockoutMs: 60_000 }, () => 0);
    const limit = 5 * USER_FACTOR;
    for (let i = 1; i < limit; i++) expect(t.failed(`10.0.1.${i}`, 'alice').user).toBe(false);
    expect(t.failed('10.0.1.250', 'alice').user).toBe(true);
    expect(t.check('10.0.2.1', 'alice')).toBe('user-locked');
    expect(t.check('10.0.2.1', 'vic')).toBe('allowed');
  });

  it('stays bounded whatever an attacker sends', () => {
    const t = new LockoutTable({ maxFailures: 5, lockoutMs: 1 }, () => 10);
    for (let i = 0; i < 50_000; i++) t.failed(`a${i % 20_000}`, `u${i}`);
    const sizes = t as unknown as { addresses: Map<string, unknown>; users: Map<string, unknown> };
    expect(sizes.addresses.size + sizes.users.size).toBeLessThanOrEqual(10_001);
  });
});
