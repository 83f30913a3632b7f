// One rule checker for the refill thresholds, whichever door they come through (config file or command),
// and what a config edit does to thresholds set earlier by command.

import { describe, expect, it } from 'vitest';
import { applyCommand } from '../../../daemon/control/commands.js';
import { initialState, rulesFor } from '../../../daemon/control/controller.js';
import { reconcileThresholds, thresholdProblems } from '../../../daemon/control/thresholds.js';
import { reading } from '../../helpers/control.js';
import { configProblems, exampleConfig, rawTank, tank } from '../../helpers/config.js';

const farm = exampleConfig().tanks.find((t) => t.id === 'farm')!;
const house = exampleConfig().tanks.find((t) => t.id === 'house')!;

function command(t: typeof farm, lowPct: number, highPct: number) {
  const rules = rulesFor(t);
  return applyCommand(
    rules,
    initialState(),
    { action: 'thresholds', lowPct, highPct },
    reading(rules, { pct: 50 }),
    0,
    'alice',
  );
}

/** The same values written into the tank's config, checked by `config check`'s validation. */
function configRefuses(t: Record<string, unknown>, control: Record<string, unknown>): string[] {
  const raw = { ...t, control: { ...(t.control as object), ...control } };
  return configProblems({ gateway: { id: 'gw', timezone: 'UTC' }, tanks: [raw] });
}

describe('thresholds: the command is checked by the config rules', () => {
  const cases: [string, typeof farm, number, number, RegExp][] = [
    ['low not below high', house, 60, 50, /lowPct \(60%\) must be below highPct \(50%\)/],
    ['high at the brim', house, 20, 100, /below 100%/],
    ['low under the critical level', farm, 8, 70, /criticalPct \(10%\) must not exceed lowPct \(8%\)/],
    [
      'window top-up level above high (no hysteresis band left in windows)',
      farm,
      20,
      50,
      /windowTopUpBelowPct \(60%\) must be below highPct \(50%\)/,
    ],
    [
      'high above the high-high probe',
      house,
      20,
      95,
      /highPct \(95%\) must be below the high-high electrode \(92\.31%\)/,
    ],
    ['low at the pump stop level', house, 8, 70, /lowPct \(8%\) must be above the pump's stop level \(8%\)/],
  ];
  for (const [what, t, low, high, message] of cases) {
    it(`refuses ${what}, as config check would`, () => {
      expect(command(t, low, high)).toMatchObject({
        accepted: false,
        reason: expect.stringMatching(message),
      });
      const raw =
        t.id === 'farm'
          ? {
              ...rawTank(),
              id: 'farm',
              control: {
                criticalPct: 10,
                windowTopUpBelowPct: 60,
                refillWindows: [{ from: '22:00', to: '06:00' }],
              },
            }
          : rawTank();
      expect(configRefuses(raw, { lowPct: low, highPct: high }).join('\n')).toMatch(message);
    });
  }

  it('accepts values within every rule and says where they come from', () => {
    const out = command(house, 20, 70);
    expect(out.accepted).toBe(true);
    if (out.accepted)
      expect(out.state.thresholds).toEqual({
        lowPct: 20,
        highPct: 70,
        by: 'alice',
        configLowPct: 15,
        configHighPct: 80,
      });
  });

  it('names both values in conflict, the one to change first', () => {
    expect(thresholdProblems({ lowPct: 0.15, highPct: 80, criticalPct: 5 })[0]!.keys).toEqual([
      'criticalPct',
      'lowPct',
    ]);
  });
});

describe('thresholds set by command vs a config edit', () => {
  const byCommand = { lowPct: 20, highPct: 70, by: 'alice', configLowPct: 15, configHighPct: 80 };

  it('stay in force across a restart while the config thresholds are as they were', () => {
    const { state, note } = reconcileThresholds(rulesFor(tank()), {
      ...initialState(),
      thresholds: byCommand,
    });
    expect(state.thresholds).toEqual(byCommand);
    expect(note).toBeUndefined();
  });

  it("give way when the config's thresholds were edited since (the newer word wins), and say so", () => {
    const edited = rulesFor(tank({ control: { lowPct: 25, highPct: 75 } }));
    const { state, note } = reconcileThresholds(edited, { ...initialState(), thresholds: byCommand });
    expect(state.thresholds).toBeUndefined();
    expect(note).toMatch(
      /thresholds 20\/70% set by alice dropped: the config's thresholds were edited since \(15\/80% -> 25\/75%\)/,
    );
  });

  it('give way when they break a rule of the current config (e.g. a probe moved lower)', () => {
    const moved = rulesFor(
      tank({
        probes: { electrodes: [{ id: 'top', heightMm: 850, pin: 22, role: 'high-high' }] },
        control: { highPct: 60 },
      }),
    );
    const { state, note } = reconcileThresholds(moved, {
      ...initialState(),
      thresholds: { ...byCommand, configHighPct: 60 },
    });
    expect(state.thresholds).toBeUndefined();
    expect(note).toMatch(
      /break a rule of the current config: highPct \(70%\) must be below the high-high electrode/,
    );
  });
});
