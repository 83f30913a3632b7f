import { describe, expect, it } from 'vitest';
import { applyCommand } from '../../../daemon/control/commands.js';
import { decide, initialState, rulesFor } from '../../../daemon/control/controller.js';
import { reading } from '../../helpers/control.js';
import { tank } from '../../helpers/config.js';

const rules = rulesFor(tank({ control: { manualMaxMinutes: 60 } }));
const now = 5_000_000;

describe('operator commands', () => {
  it('refuses a manual open with the high-high probe wet, and says so', () => {
    const out = applyCommand(
      rules,
      initialState(),
      { action: 'valve', open: true },
      reading(rules, { pct: 50, highHighWet: true }),
      now,
      'alice',
    );
    expect(out).toEqual({ accepted: false, reason: 'refused: the high-high probe is wet' });
  });

  it('refuses a manual open at or above the high threshold, on unusable data, during a lockout', () => {
    const high = applyCommand(
      rules,
      initialState(),
      { action: 'valve', open: true },
      reading(rules, { pct: 85 }),
      now,
      'a',
    );
    expect(high).toMatchObject({
      accepted: false,
      reason: expect.stringMatching(/at or above the high threshold/),
    });
    const stale = applyCommand(
      rules,
      initialState(),
      { action: 'valve', open: true },
      reading(rules, { quality: 'stale' }),
      now,
      'a',
    );
    expect(stale).toMatchObject({ accepted: false, reason: expect.stringMatching(/not usable \(stale/) });
    const locked = { ...initialState(), lockout: { reason: 'no-rise' as const, untilMs: now + 1 } };
    expect(
      applyCommand(rules, locked, { action: 'valve', open: true }, reading(rules, { pct: 50 }), now, 'a'),
    ).toMatchObject({
      accepted: false,
      reason: expect.stringMatching(/locked out \(no-rise\)/),
    });
  });

  it('accepts a manual open that the controller then acts on, bounded by manualMaxMinutes', () => {
    const out = applyCommand(
      rules,
      initialState(),
      { action: 'valve', open: true, minutes: 600 },
      reading(rules, { pct: 50 }),
      now,
      'alice',
    );
    if (!out.accepted) throw new Error(out.reason);
    expect(out.state.mode).toBe('manual');
    expect(out.state.manual).toEqual({ valveOpen: true, untilMs: now + 60 * 60_000, by: 'alice' });
    const d = decide(rules, out.state, { nowMs: now, level: reading(rules, { pct: 50 }) });
    expect(d.outputs.valveOpen).toBe(true);
  });

  it('keeps the other output of a manual override when one is changed', () => {
    const a = applyCommand(
      rules,
      initialState(),
      { action: 'pump', on: false },
      reading(rules, { pct: 50 }),
      now,
      'alice',
    );
    if (!a.accepted) throw new Error(a.reason);
    const b = applyCommand(
      rules,
      a.state,
      { action: 'valve', open: true },
      reading(rules, { pct: 50 }),
      now,
      'alice',
    );
    if (!b.accepted) throw new Error(b.reason);
    expect(b.state.manual).toMatchObject({ valveOpen: true, pumpOn: false });
  });

  it('refuses a pump start with the bottom probe dry unless the level sensor shows water above it', () => {
    const start = (spec: Parameters<typeof reading>[1]) =>
      applyCommand(rules, initialState(), { action: 'pump', on: true }, reading(rules, spec), now, 'a');
    expect(start({ pct: 14, dryRunDry: true })).toMatchObject({
      accepted: false,
      reason: expect.stringMatching(/bottom probe is dry and the level sensor does not show water/),
    });
    expect(start({ quality: 'stale', dryRunDry: true })).toMatchObject({ accepted: false });
    // An admin who sees water may bypass the probe: the level sensor then protects the pump, and says so.
    const bypass = start({ pct: 50, dryRunDry: true });
    expect(bypass).toMatchObject({ accepted: true, message: expect.stringMatching(/bottom probe bypassed/) });
    expect(bypass.accepted && bypass.state.probeFault).toMatchObject({ electrode: 'bottom', by: 'a' });
  });

  it('validates thresholds', () => {
    const bad = applyCommand(
      rules,
      initialState(),
      { action: 'thresholds', lowPct: 60, highPct: 50 },
      reading(rules, { pct: 50 }),
      now,
      'a',
    );
    expect(bad.accepted).toBe(false);
    const below = applyCommand(
      rules,
      initialState(),
      { action: 'thresholds', lowPct: 2, highPct: 50 },
      reading(rules, { pct: 50 }),
      now,
      'a',
    );
    expect(below).toMatchObject({
      accepted: false,
      reason: expect.stringMatching(/criticalPct \(5%\) must not exceed lowPct \(2%\)/),
    });
    const good = applyCommand(
      rules,
      initialState(),
      { action: 'thresholds', lowPct: 20, highPct: 70 },
      reading(rules, { pct: 50 }),
      now,
      'a',
    );
    expect(good).toMatchObject({
      accepted: true,
      message: expect.stringMatching(/^thresholds 15\/80% -> 20\/70%/),
    });
  });

  it('reset-alarms clears lockouts', () => {
    const locked = {
      ...initialState(),
      lockout: { reason: 'fill-timeout' as const, untilMs: now + 1e9 },
      noRiseTrips: 3,
    };
    const out = applyCommand(
      rules,
      locked,
      { action: 'reset-alarms' },
      reading(rules, { pct: 10 }),
      now,
      'a',
    );
    if (!out.accepted) throw new Error(out.reason);
    expect(out.state.lockout).toBeUndefined();
    expect(
      decide(rules, out.state, { nowMs: now, level: reading(rules, { pct: 10 }) }).outputs.valveOpen,
    ).toBe(true);
  });
});
