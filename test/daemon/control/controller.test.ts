import { describe, expect, it } from 'vitest';
import { ALARM_CLEAR_DELAY_MS } from '../../../daemon/control/controller.js';
import { ControllerHarness, HOUR, MIN } from '../../helpers/control.js';
import { tank } from '../../helpers/config.js';

describe('refill hysteresis (source paper: open below 15%, close above 80%)', () => {
  it('opens below the low threshold, holds in between, closes at the high threshold', () => {
    const c = new ControllerHarness(tank());
    expect(c.tick({ pct: 50 }).outputs.valveOpen).toBe(false);
    expect(c.last.status.statusText).toBe('Water is ready to use');

    expect(c.tick({ pct: 14.9 }).outputs.valveOpen).toBe(true);
    expect(c.last.status.statusText).toBe('Water is refilling');
    expect(c.tick({ pct: 50 }, MIN).outputs.valveOpen).toBe(true);
    expect(c.tick({ pct: 79.9 }, MIN).outputs.valveOpen).toBe(true);

    expect(c.tick({ pct: 80 }, MIN).outputs.valveOpen).toBe(false);
    expect(c.last.status.statusText).toBe('Water is ready to use');
    expect(c.tick({ pct: 50 }, 10 * MIN).outputs.valveOpen).toBe(false);
    expect(c.tick({ pct: 15 }, 10 * MIN).outputs.valveOpen).toBe(false);
  });

  it('reports a completed fill with the litres it added', () => {
    const c = new ControllerHarness(tank());
    c.tick({ pct: 10 });
    c.run(60 * MIN, (t) => ({ pct: 10 + (t / (60 * MIN)) * 69 }), MIN);
    c.tick({ pct: 80.5 }, MIN);
    const done = c.events('fill-completed');
    expect(done).toHaveLength(1);
    expect(done[0]).toMatchObject({ type: 'fill-completed' });
    const litres = (done[0] as { litres: number }).litres;
    expect(litres).toBeGreaterThan(0.69 * c.rules.capacityLitres);
  });

  it('uses thresholds changed at run time', () => {
    const c = new ControllerHarness(tank());
    c.state = {
      ...c.state,
      thresholds: { lowPct: 40, highPct: 60, by: 'alice', configLowPct: 15, configHighPct: 80 },
    };
    expect(c.tick({ pct: 39 }).outputs.valveOpen).toBe(true);
    expect(c.tick({ pct: 60 }, MIN).outputs.valveOpen).toBe(false);
    expect(c.last.status.highPct).toBe(60);
  });
});

describe('safety vetoes close the valve at once', () => {
  it('closes on a wet high-high probe even inside the minimum open time, and says so', () => {
    const c = new ControllerHarness(tank({ control: { minValveOpenS: 600 } }));
    c.tick({ pct: 10 });
    expect(c.last.outputs.valveOpen).toBe(true);
    const d = c.tick({ pct: 12, highHighWet: true }, 2000);
    expect(d.outputs.valveOpen).toBe(false);
    expect(d.events).toContainEqual(expect.objectContaining({ type: 'valve', open: false, safety: true }));
    expect(d.status.statusText).toMatch(/^Fault: High-high probe wet while the level sensor reads 12%/);
    expect(d.status.alarms).toContain('high-high');
  });

  it('closes and stops the pump when the level reading goes stale (no dry-run probe evidence)', () => {
    const c = new ControllerHarness(tank({ probes: undefined }));
    c.tick({ pct: 10 });
    c.run(2 * MIN, { pct: 20 });
    expect(c.last.outputs).toEqual({ valveOpen: true, pumpOn: true });
    const d = c.tick({ quality: 'stale' });
    expect(d.outputs).toEqual({ valveOpen: false, pumpOn: false });
    expect(d.status.statusText).toMatch(/^Fault: Level sensor not responding/);
  });

  it('keeps the pump on a stale level only while the dry-run probe says there is water', () => {
    const c = new ControllerHarness(tank());
    c.run(2 * MIN, { pct: 50 });
    expect(c.last.outputs.pumpOn).toBe(true);
    expect(c.tick({ quality: 'stale' }).outputs.pumpOn).toBe(true);
    expect(c.tick({ quality: 'stale', dryRunDry: true }).outputs.pumpOn).toBe(false);
  });

  it('closes when the probes say there is more water than the ultrasonic (overfill risk)', () => {
    const c = new ControllerHarness(tank());
    c.tick({ pct: 10 });
    const d = c.tick(
      { pct: 10, quality: 'disagree', disagreement: { electrode: 'middle', kind: 'probe-wetter' } },
      MIN,
    );
    expect(d.outputs.valveOpen).toBe(false);
    expect(d.status.alarms).toContain('sensor-disagree');
  });

  it('keeps refilling when the probes say less water than the ultrasonic (the fill stops earlier, not later)', () => {
    const c = new ControllerHarness(tank());
    const d = c.tick({
      pct: 10,
      quality: 'disagree',
      disagreement: { electrode: 'middle', kind: 'probe-drier' },
    });
    expect(d.outputs.valveOpen).toBe(true);
    expect(d.status.alarms).toContain('sensor-disagree');
  });

  it('never opens at or above the high threshold, not even by hand', () => {
    const c = new ControllerHarness(tank());
    c.state = {
      ...c.state,
      mode: 'manual',
      manual: { valveOpen: true, untilMs: c.nowMs + HOUR, by: 'admin' },
    };
    expect(c.tick({ pct: 80 }).outputs.valveOpen).toBe(false);
    expect(c.tick({ pct: 79 }).outputs.valveOpen).toBe(true);
  });
});

describe('anti-chatter', () => {
  it('waits for the minimum closed time before reopening', () => {
    const c = new ControllerHarness(tank({ control: { minValveClosedS: 300 } }));
    c.tick({ pct: 10 });
    c.tick({ pct: 80 }, MIN);
    expect(c.last.outputs.valveOpen).toBe(false);
    expect(c.tick({ pct: 10 }, MIN).outputs.valveOpen).toBe(false);
    expect(c.last.status.holding).toMatch(/minimum closed time/);
    expect(c.tick({ pct: 10 }, 4 * MIN).outputs.valveOpen).toBe(true);
  });

  it('bounds valve openings per rolling hour and raises short-cycling', () => {
    const c = new ControllerHarness(
      tank({ control: { maxValveOpeningsPerHour: 3, minValveClosedS: 60, minValveOpenS: 0 } }),
    );
    // A flapping level reading keeps forcing the valve shut while the level stays low.
    for (let i = 0; i < 20; i++) {
      c.tick({ pct: 10 }, 61_000);
      c.tick({ quality: 'stale' }, 1000);
    }
    const openings = c.events('valve').filter((e) => 'open' in e && e.open);
    expect(openings).toHaveLength(3);
    expect(c.decisions.some((d) => d.decision.status.alarms.includes('short-cycling'))).toBe(true);
    // An hour after the first openings the valve may open again.
    const before = c.decisions.length;
    c.run(HOUR, { pct: 10 }, MIN);
    expect(c.decisions.slice(before).some((d) => d.decision.outputs.valveOpen)).toBe(true);
  });

  it('lets a routine close wait for the minimum open time', () => {
    const c = new ControllerHarness(
      tank({ control: { minValveOpenS: 300, refillWindows: [{ from: '12:00', to: '12:02' }] } }),
    );
    c.minuteOfDay = 12 * 60;
    expect(c.tick({ pct: 10 }, 0).outputs.valveOpen).toBe(true);
    // The window closes two minutes later; the valve stays until its five minutes are up.
    expect(c.tick({ pct: 11 }, 3 * MIN).outputs.valveOpen).toBe(true);
    expect(c.last.status.holding).toMatch(/minimum open time/);
    expect(c.tick({ pct: 12 }, 3 * MIN).outputs.valveOpen).toBe(false);
  });
});

describe('refill windows', () => {
  const windowed = (extra: Record<string, unknown> = {}) =>
    tank({ control: { refillWindows: [{ from: '22:00', to: '06:00' }], criticalPct: 5, ...extra } });

  it('waits for the window, then fills; a fill left unfinished resumes in the next window', () => {
    const c = new ControllerHarness(windowed());
    c.minuteOfDay = 12 * 60;
    expect(c.tick({ pct: 10 }).outputs.valveOpen).toBe(false);
    expect(c.last.status.statusText).toBe('Water is ready to use');
    c.minuteOfDay = 22 * 60;
    expect(c.tick({ pct: 10 }).outputs.valveOpen).toBe(true);
    c.minuteOfDay = 6 * 60;
    expect(c.tick({ pct: 50 }, MIN).outputs.valveOpen).toBe(false);
    c.minuteOfDay = 22 * 60;
    expect(c.tick({ pct: 50 }, MIN).outputs.valveOpen).toBe(true);
  });

  it('refills below the critical level outside the window, until back at the low threshold', () => {
    const c = new ControllerHarness(windowed());
    c.minuteOfDay = 12 * 60;
    expect(c.tick({ pct: 4 }).outputs.valveOpen).toBe(true);
    expect(c.tick({ pct: 8 }, MIN).outputs.valveOpen).toBe(true);
    expect(c.tick({ pct: 15 }, MIN).outputs.valveOpen).toBe(false);
  });

  it('tops up inside a window below windowTopUpBelowPct', () => {
    const c = new ControllerHarness(windowed({ windowTopUpBelowPct: 60 }));
    c.minuteOfDay = 12 * 60;
    expect(c.tick({ pct: 55 }).outputs.valveOpen).toBe(false);
    c.minuteOfDay = 23 * 60;
    expect(c.tick({ pct: 55 }).outputs.valveOpen).toBe(true);
  });

  it('without a synchronized clock: critical-only refills only below critical', () => {
    const c = new ControllerHarness(windowed());
    c.minuteOfDay = undefined;
    expect(c.tick({ pct: 10 }).outputs.valveOpen).toBe(false);
    expect(c.last.status.alarms).toContain('clock-unsynced');
    expect(c.tick({ pct: 4 }).outputs.valveOpen).toBe(true);
  });

  it('without a synchronized clock: ignore-windows refills by thresholds', () => {
    const c = new ControllerHarness(windowed({ whenClockUnsynced: 'ignore-windows' }));
    c.minuteOfDay = undefined;
    expect(c.tick({ pct: 10 }).outputs.valveOpen).toBe(true);
  });
});

describe('fill guards', () => {
  it('trips no-rise when the level does not rise, retries with doubling backoff', () => {
    const c = new ControllerHarness(
      tank({ control: { noRiseMinutes: 15, noRiseRetryMinutes: 30, minValveClosedS: 0 } }),
    );
    c.tick({ pct: 10 });
    expect(c.last.outputs.valveOpen).toBe(true);
    c.run(15 * MIN, { pct: 10.2 }, MIN);
    expect(c.last.outputs.valveOpen).toBe(false);
    expect(c.last.status.statusText).toMatch(
      /^Fault: Valve open 15 min in all but the level rose only 0\.2%/,
    );
    expect(c.state.lockout?.reason).toBe('no-rise');

    c.run(29 * MIN, { pct: 10 }, MIN);
    expect(c.last.outputs.valveOpen).toBe(false);
    c.run(2 * MIN, { pct: 10 }, MIN);
    expect(c.last.outputs.valveOpen).toBe(true);
    c.run(16 * MIN, { pct: 10 }, MIN);
    expect(c.last.outputs.valveOpen).toBe(false);
    // Second trip: an hour of backoff.
    c.run(45 * MIN, { pct: 10 }, MIN);
    expect(c.last.outputs.valveOpen).toBe(false);
    c.run(20 * MIN, { pct: 10 }, MIN);
    expect(c.last.outputs.valveOpen).toBe(true);
  });

  it('a rising level keeps the valve open past the no-rise check', () => {
    const c = new ControllerHarness(tank());
    c.tick({ pct: 10 });
    const d = c.run(40 * MIN, (t) => ({ pct: 10 + t / MIN / 5 }), MIN);
    expect(d.outputs.valveOpen).toBe(true);
    expect(d.status.alarms).not.toContain('no-rise');
  });

  it('trips the fill-time guard and locks refill out until the lockout ends or an admin resets', () => {
    const c = new ControllerHarness(
      tank({ control: { maxFillMinutes: 60, fillLockoutMinutes: 120, noRiseMinPct: 0.5 } }),
    );
    c.tick({ pct: 10 });
    // Rising just enough to pass the no-rise check, never reaching the high threshold (stuck-ish sensor).
    c.run(61 * MIN, (t) => ({ pct: 10 + (t / MIN) * 0.05 }), MIN);
    expect(c.last.outputs.valveOpen).toBe(false);
    expect(c.last.status.alarms).toContain('fill-timeout');
    expect(c.state.lockout?.reason).toBe('fill-timeout');
    c.run(100 * MIN, { pct: 12 }, MIN);
    expect(c.last.outputs.valveOpen).toBe(false);
    c.run(25 * MIN, { pct: 12 }, MIN);
    expect(c.last.outputs.valveOpen).toBe(true);
  });

  it('counts fill time across pauses (window, restart) within one refill cycle', () => {
    const c = new ControllerHarness(
      tank({
        control: {
          maxFillMinutes: 60,
          noRiseMinPct: 0.1,
          refillWindows: [{ from: '00:00', to: '00:40' }],
          criticalPct: 1,
        },
      }),
    );
    c.minuteOfDay = 0;
    c.run(40 * MIN, (t) => ({ pct: 10 + t / MIN / 10 }), MIN);
    expect(c.state.valveOpen).toBe(false); // window over
    c.minuteOfDay = 0;
    c.run(25 * MIN, (t) => ({ pct: 14 + t / MIN / 10 }), MIN);
    expect(c.state.lockout?.reason).toBe('fill-timeout');
  });
});

describe('pump dry-run protection', () => {
  it('stops the pump at once when the bottom probe goes dry, even inside its minimum on time', () => {
    const c = new ControllerHarness(tank({ pump: { pin: 24, minOnS: 600 } }));
    c.tick({ pct: 50 });
    expect(c.last.outputs.pumpOn).toBe(true);
    const d = c.tick({ pct: 50, dryRunDry: true });
    expect(d.outputs.pumpOn).toBe(false);
    expect(d.events).toContainEqual(expect.objectContaining({ type: 'pump', on: false, safety: true }));
    expect(d.status.alarms).toContain('dry-run');
  });

  it('stops below stopBelowPct and restarts only above restartAbovePct', () => {
    const c = new ControllerHarness(
      tank({ pump: { pin: 24, stopBelowPct: 8, restartAbovePct: 12, minOffS: 0 } }),
    );
    c.tick({ pct: 50 });
    expect(c.tick({ pct: 7.9 }).outputs.pumpOn).toBe(false);
    expect(c.tick({ pct: 10 }).outputs.pumpOn).toBe(false);
    expect(c.tick({ pct: 12.1 }).outputs.pumpOn).toBe(true);
  });

  it('waits for the pump minimum off time before restarting', () => {
    const c = new ControllerHarness(
      tank({ pump: { pin: 24, minOffS: 120, stopBelowPct: 8, restartAbovePct: 9 } }),
    );
    c.tick({ pct: 50 });
    c.tick({ pct: 7 });
    expect(c.tick({ pct: 50 }, MIN).outputs.pumpOn).toBe(false);
    expect(c.tick({ pct: 50 }, 61_000).outputs.pumpOn).toBe(true);
  });
});

describe('manual override', () => {
  it('follows the admin until it expires, then returns to automatic control', () => {
    const c = new ControllerHarness(tank({ control: { manualMaxMinutes: 30 } }));
    c.tick({ pct: 50 });
    c.state = {
      ...c.state,
      mode: 'manual',
      manual: { valveOpen: true, untilMs: c.nowMs + 30 * MIN, by: 'alice' },
    };
    expect(c.tick({ pct: 50 }).outputs.valveOpen).toBe(true);
    expect(c.last.status.mode).toBe('manual');
    c.run(29 * MIN, (t) => ({ pct: 50 + t / MIN / 5 }), MIN);
    expect(c.last.outputs.valveOpen).toBe(true);
    c.run(2 * MIN, { pct: 56 }, MIN);
    expect(c.last.status.mode).toBe('auto');
    expect(c.last.outputs.valveOpen).toBe(false);
    expect(c.events('mode')).toContainEqual(
      expect.objectContaining({ mode: 'auto', reason: 'manual override expired' }),
    );
  });

  it('a manual close acts at once, inside the minimum open time', () => {
    const c = new ControllerHarness(tank({ control: { minValveOpenS: 600 } }));
    c.tick({ pct: 10 });
    c.state = {
      ...c.state,
      mode: 'manual',
      manual: { valveOpen: false, untilMs: c.nowMs + HOUR, by: 'alice' },
    };
    expect(c.tick({ pct: 10 }).outputs.valveOpen).toBe(false);
  });

  it('a manual pump start still obeys dry-run protection', () => {
    const c = new ControllerHarness(tank());
    c.state = { ...c.state, mode: 'manual', manual: { pumpOn: true, untilMs: c.nowMs + HOUR, by: 'alice' } };
    expect(c.tick({ pct: 50, dryRunDry: true }).outputs.pumpOn).toBe(false);
  });
});

describe('leaks', () => {
  const quiet = { leakQuietHours: { from: '01:00', to: '04:00' }, leakLitresPerHour: 20 };

  it('detects outflow in quiet hours with the valve closed', () => {
    const c = new ControllerHarness(tank({ control: quiet }));
    c.minuteOfDay = 60;
    const perMin = 30 / 60; // 30 L/h
    c.run(90 * MIN, (t) => ({ pct: 50, displayLitres: 1000 - (t / MIN) * perMin }), MIN);
    expect(c.last.status.alarms).toContain('leak');
    expect(c.events('alarm')).toContainEqual(expect.objectContaining({ alarm: 'leak', active: true }));
  });

  it('does not call normal quiet-hours losses below the threshold a leak', () => {
    const c = new ControllerHarness(tank({ control: quiet }));
    c.minuteOfDay = 60;
    c.run(170 * MIN, (t) => ({ pct: 50, displayLitres: 1000 - (t / MIN) * (5 / 60) }), MIN);
    expect(c.last.status.alarms).not.toContain('leak');
  });

  it('does not measure outside quiet hours (daytime use is not a leak)', () => {
    const c = new ControllerHarness(tank({ control: quiet }));
    c.minuteOfDay = 8 * 60;
    c.run(5 * HOUR, (t) => ({ pct: 50, displayLitres: 1000 - (t / MIN) * 3 }), MIN);
    expect(c.last.status.alarms).not.toContain('leak');
  });

  it('flags a burst pipe at any hour when configured', () => {
    const c = new ControllerHarness(tank({ control: { burstLitresPerHour: 300 } }));
    c.minuteOfDay = 9 * 60;
    c.run(15 * MIN, (t) => ({ pct: 60 - (t / MIN) * 0.5 }), MIN); // 10 L/min = 600 L/h
    expect(c.last.status.alarms).toContain('leak');
  });
});

describe('alarms', () => {
  it('clear only after the condition has been gone for the clear delay (no flapping)', () => {
    const c = new ControllerHarness(tank());
    c.tick({ pct: 50, quality: 'noisy' });
    expect(c.last.status.alarms).toContain('sensor-noisy');
    c.tick({ pct: 50 });
    expect(c.last.status.alarms).toContain('sensor-noisy');
    c.run(ALARM_CLEAR_DELAY_MS + MIN, { pct: 50 }, MIN);
    expect(c.last.status.alarms).not.toContain('sensor-noisy');
    const raised = c.events('alarm').filter((e) => 'alarm' in e && e.alarm === 'sensor-noisy');
    expect(raised.map((e) => 'active' in e && e.active)).toEqual([true, false]);
  });

  it('raises level-critical below the critical level', () => {
    const c = new ControllerHarness(tank());
    expect(c.tick({ pct: 3 }).status.alarms).toContain('level-critical');
  });
});
