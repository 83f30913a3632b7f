import { describe, expect, it } from 'vitest';
import { LockoutTable } from '../../../daemon/security/lockout.js';

describe('login lockout', () => {
  it('locks an address out after 5 consecutive failures, for the lockout time, even with the right password', () => {
    let now = 0;
    const t = new LockoutTable({ maxFailures: 5, lockoutMs: 60_000 }, () => now);
    for (let i = 1; i <= 4; i++) expect(t.failed('10.0.0.9')).toBe(false);
    expect(t.check('10.0.0.9')).toBe('allowed');
    expect(t.failed('10.0.0.9')).toBe(true);
    expect(t.check('10.0.0.9')).toBe('locked');
    expect(t.check('10.0.0.8')).toBe('allowed');
    now = 59_999;
    expect(t.check('10.0.0.9')).toBe('locked');
    now = 60_000;
    expect(t.check('10.0.0.9')).toBe('allowed');
  });

  it('a success resets the count', () => {
    const t = new LockoutTable({ maxFailures: 3, lockoutMs: 1000 }, () => 0);
    t.failed('a');
    t.failed('a');
    t.succeeded('a');
    expect(t.failed('a')).toBe(false);
    expect(t.failed('a')).toBe(false);
    expect(t.failed('a')).toBe(true);
  });
});
