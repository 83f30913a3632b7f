import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../../../daemon/web/rate-limit.js';

describe('API rate limit', () => {
  it('allows a burst, then the steady rate, per address', () => {
    let now = 0;
    const r = new RateLimiter({ burst: 3, perSecond: 2 }, () => now);
    expect([1, 2, 3, 4].map(() => r.take('a'))).toEqual([true, true, true, false]);
    expect(r.take('b')).toBe(true);
    now += 500;
    expect([r.take('a'), r.take('a')]).toEqual([true, false]);
    now += 10_000;
    expect([1, 2, 3, 4].map(() => r.take('a'))).toEqual([true, true, true, false]);
  });
});
