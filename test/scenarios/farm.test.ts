// Weeks of simulated farm life on the shipped example (a 2,000 L house tank and a 45,000 L farm tank with
// a night refill window), running the real estimator and controller against the simulated tank.

import { describe, expect, it } from 'vitest';
import { exampleConfig } from '../helpers/config.js';
import { DAYS, expectSafe, run, SCENARIO_TIMEOUT_MS, WEEKS } from './simulate.js';

describe(`normal farm use over ${WEEKS} weeks`, { timeout: SCENARIO_TIMEOUT_MS }, () => {
  it('keeps every tank between its thresholds: no overflow, no dry run, no alarm, regular refills', () => {
    const result = run();
    expectSafe(result);
    for (const t of result.tanks) {
      expect(t.alarms, `${t.id} alarms`).toEqual({});
      expect(t.minLevelPct, `${t.id} min`).toBeGreaterThan(12);
      expect(t.maxLevelPct, `${t.id} max`).toBeLessThan(85);
      expect(t.refills, `${t.id} refills`).toBeGreaterThanOrEqual(DAYS / 3);
      expect(t.inflowLitres).toBeGreaterThan(0);
      // Every fill is one opening, give or take a fill paused by the end of a refill window.
      expect(t.valveCycles).toBeLessThanOrEqual(t.refills + DAYS / 7);
    }
  });

  it('is deterministic for a seed', () => {
    const a = run([], undefined, 3);
    const b = run([], undefined, 3);
    expect({ ...a, wallMs: 0 }).toEqual({ ...b, wallMs: 0 });
  });
});

describe('echo spikes', { timeout: SCENARIO_TIMEOUT_MS }, () => {
  it('5% echo spikes cause no valve chatter', () => {
    const config = exampleConfig();
    for (const t of config.tanks) t.sim.spikeProbability = 0.05;
    const opens: Record<string, number[]> = {};
    const closes: Record<string, number[]> = {};
    const result = run(
      [],
      (s) => {
        for (const e of s.decision.events) {
          if (e.type !== 'valve') continue;
          (e.open ? (opens[s.tankId] ??= []) : (closes[s.tankId] ??= [])).push(s.elapsedMs);
        }
      },
      11,
      config,
    );
    expectSafe(result);
    for (const t of result.tanks) {
      expect(t.alarms, `${t.id}`).toEqual({});
      expect(t.valveCycles).toBeLessThanOrEqual(t.refills + DAYS / 7);
      // No opening follows a closing within half an hour: the valve never flutters.
      for (const open of opens[t.id] ?? []) {
        const lastClose = (closes[t.id] ?? []).filter((c) => c < open).pop();
        if (lastClose !== undefined) expect(open - lastClose).toBeGreaterThan(30 * 60_000);
      }
    }
  });
});

describe('power cut', { timeout: SCENARIO_TIMEOUT_MS }, () => {
  it('a power cut in the middle of a fill resumes the fill after the restart', () => {
    // Find when the house tank first fills, then cut the power 20 minutes into that fill.
    let fillStart: number | undefined;
    run([], (s) => {
      if (
        s.tankId === 'house' &&
        fillStart === undefined &&
        s.decision.events.some((e) => e.type === 'valve' && e.open)
      ) {
        fillStart = s.elapsedMs;
      }
    });
    expect(fillStart).toBeDefined();
    const cutAtDays = (fillStart! + 20 * 60_000) / 86_400_000;
    const cutHours = 2;
    const afterCut: { elapsedMs: number; open: boolean; level: number }[] = [];
    const result = run([`power-cut@${cutAtDays}+${cutHours}`], (s) => {
      if (s.tankId !== 'house') return;
      const sinceCutEnd = s.elapsedMs - (cutAtDays * 86_400_000 + cutHours * 3_600_000);
      if (sinceCutEnd >= 0 && sinceCutEnd < 6 * 3_600_000)
        afterCut.push({
          elapsedMs: s.elapsedMs,
          open: s.decision.outputs.valveOpen,
          level: s.model.levelPct,
        });
    });
    expectSafe(result);
    // The valve reopens within a few minutes of power returning (after its minimum closed time)...
    const reopened = afterCut.find((x) => x.open);
    expect(reopened).toBeDefined();
    expect(reopened!.elapsedMs - afterCut[0]!.elapsedMs).toBeLessThan(5 * 60_000);
    // ...and the fill completes to the high threshold, not beyond the brim.
    const peak = Math.max(...afterCut.map((x) => x.level));
    expect(peak).toBeGreaterThan(78);
    expect(peak).toBeLessThan(85);
    const house = result.tanks.find((t) => t.id === 'house')!;
    expect(house.alarms['unclean-restart']).toBe(1);
  });
});
