// The supervisors' pure decisions: state classification, restart timing and backoff, probe cadence,
// byte totals across restarts.

import { describe, expect, it } from 'vitest';
import {
  backoffDelayMs,
  classify,
  probeIntervalMs,
  restartDue,
  RunningTotal,
  type TunnelObservation,
} from '../../../daemon/vpn/policy.js';
import type { VpnState } from '../../../daemon/vpn/status.js';

const t = { staleAfterMs: 60_000, downAfterMs: 180_000 };
const healthy: TunnelObservation = {
  present: true,
  session: true,
  quietMs: 1_000,
  everUp: true,
  sinceStartMs: 1e6,
};

describe('classify', () => {
  it.each<[string, Partial<TunnelObservation>, VpnState, VpnState]>([
    ['a session with data coming in is up', {}, 'up', 'up'],
    ['up again from down as soon as data comes in', {}, 'down', 'up'],
    ['quiet for staleAfter is stale', { quietMs: 60_000 }, 'up', 'stale'],
    ['quiet just under staleAfter is still up', { quietMs: 59_999 }, 'up', 'up'],
    ['quiet for downAfter is down', { quietMs: 180_000 }, 'stale', 'down'],
    ['no session but recent data is stale, not up', { session: false, quietMs: 1_000 }, 'up', 'stale'],
    ['no interface or process is down at once', { present: false }, 'up', 'down'],
    ['down holds until data comes in again', { session: false, quietMs: 1_000 }, 'down', 'down'],
    [
      'before the first up: connecting for downAfter',
      { session: false, everUp: false, sinceStartMs: 179_000, quietMs: 179_000 },
      'connecting',
      'connecting',
    ],
    [
      'never up within downAfter: down',
      { session: false, everUp: false, sinceStartMs: 180_000, quietMs: 180_000 },
      'connecting',
      'down',
    ],
    ['first session: up', { everUp: false, sinceStartMs: 50, quietMs: 50 }, 'connecting', 'up'],
  ])('%s', (_, patch, previous, expected) => {
    expect(classify({ ...healthy, ...patch }, previous, t)).toBe(expected);
  });
});

describe('restart timing', () => {
  const p = { initialMs: 5_000, maxMs: 300_000 };

  it('backs off by doubling up to the cap, with at most ±20% jitter', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 20].map((n) => backoffDelayMs(n, p, 0.5))).toEqual([
      5_000, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000, 300_000,
    ]);
    expect(backoffDelayMs(1, p, 0)).toBe(4_000);
    expect(backoffDelayMs(1, p, 1)).toBe(6_000);
    expect(backoffDelayMs(10, p, 1)).toBe(360_000);
  });

  const base = { nowMs: 100_000, notBeforeMs: 0, present: true, lastStartMs: 0, downAfterMs: 180_000 };
  it('restarts only a down tunnel, once the backoff allows', () => {
    expect(restartDue({ ...base, state: 'stale', present: false })).toBe(false);
    expect(restartDue({ ...base, state: 'down', present: false })).toBe(true);
    expect(restartDue({ ...base, state: 'down', present: false, notBeforeMs: 100_001 })).toBe(false);
  });

  it('gives a tunnel that is there downAfter since its last start to come up (a slow handshake is not stuck)', () => {
    expect(restartDue({ ...base, state: 'down', lastStartMs: 0, nowMs: 179_999 })).toBe(false);
    expect(restartDue({ ...base, state: 'down', lastStartMs: 0, nowMs: 180_000 })).toBe(true);
  });

  it('probes a quiet tunnel three times within staleAfter', () => {
    expect(probeIntervalMs(60_000)).toBe(20_000);
  });
});

describe('RunningTotal', () => {
  it('keeps counting across restarts of the counter', () => {
    const total = new RunningTotal();
    expect(total.update(100)).toBe(true);
    expect(total.update(100)).toBe(false);
    expect(total.update(250)).toBe(true);
    total.reset(); // a new interface starts from 0
    expect(total.total).toBe(250);
    expect(total.update(40)).toBe(true);
    expect(total.total).toBe(290);
    // A counter that fell without a reset (the process restarted unseen) also keeps the total.
    expect(total.update(10)).toBe(true);
    expect(total.total).toBe(300);
  });
});
