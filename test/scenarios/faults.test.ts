// Faults injected into weeks of simulated farm life on the shipped example (a 2,000 L house tank and a 45,000 L farm tank with
// a night refill window), running the real estimator and controller against the simulated tank.

import { describe, expect, it } from 'vitest';
import type { AlarmKind } from '../../daemon/control/types.js';
import { expectSafe, run, SCENARIO_TIMEOUT_MS } from './simulate.js';

describe(
  'each fault is detected and causes no overflow and no dry run',
  { timeout: SCENARIO_TIMEOUT_MS },
  () => {
    const cases: [string, AlarmKind[]][] = [
      ['stuck-ultrasonic@2', ['sensor-disagree', 'no-rise']],
      ['noisy-ultrasonic@2', ['sensor-noisy']],
      ['ultrasonic-dropout@2', ['sensor-stale']],
      ['mains-failure@2', ['no-rise']],
      ['leak@2', ['leak']],
      ['probe-open@2', ['sensor-disagree', 'dry-run']],
      ['power-cut@2.4+5', ['unclean-restart']],
    ];
    for (const [fault, expected] of cases) {
      it(fault, () => {
        const result = run([fault]);
        expectSafe(result);
        for (const t of result.tanks) {
          const raised = Object.keys(t.alarms);
          expect(
            expected.some((a) => raised.includes(a)),
            `${t.id}: expected one of ${expected.join(', ')}, got ${raised.join(', ') || 'none'}`,
          ).toBe(true);
        }
      });
    }

    it('a mains failure that ends lets the tank refill again and clears the alarm', () => {
      const seen = new Set<string>();
      const result = run(['mains-failure@2+36:house'], (s) => {
        if (s.tankId !== 'house') return;
        for (const e of s.decision.events) if (e.type === 'alarm') seen.add(`${e.alarm}:${e.active}`);
      });
      expectSafe(result);
      expect(seen.has('no-rise:true')).toBe(true);
      expect(seen.has('no-rise:false')).toBe(true);
      const house = result.tanks.find((t) => t.id === 'house')!;
      expect(house.refills).toBeGreaterThan(3);
    });
  },
);
