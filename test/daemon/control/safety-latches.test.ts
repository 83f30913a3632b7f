// The safety latches the fault campaign taught us: a high-high trip is not retried by the next tick, the
// no-rise guard sees through a fill cut into short openings, a cut dry-run probe wire does not leave the
// house without water when other sensors prove there is some, and switching stays bounded per day.

import { describe, expect, it } from 'vitest';
import { applyCommand } from '../../../daemon/control/commands.js';
import { HIGH_HIGH_RELEASE_MOVE_PCT } from '../../../daemon/control/fill-guards.js';
import { DEGRADED_STOP_MARGIN_PCT, LEVEL_UNMOVED_PUMP_MAX_MS } from '../../../daemon/control/pump.js';
import { ControllerHarness, HOUR, MIN, reading, type ReadingSpec } from '../../helpers/control.js';
import { tank } from '../../helpers/config.js';

const opened = (c: ControllerHarness) => c.events('valve').filter((e) => 'open' in e && e.open).length;

describe('high-high trip latch (API 2350: a safety trip is not retried as if nothing happened)', () => {
  it('a stuck level sensor under a wet high-high probe: the valve closes once and stays closed', () => {
    const c = new ControllerHarness(tank());
    c.tick({ pct: 10 });
    expect(c.last.outputs.valveOpen).toBe(true);
    // The sensor sticks at 79% while the water rises to the top probe, then falls just below it again.
    c.tick({ pct: 79, highHighWet: true }, MIN);
    expect(c.last.outputs.valveOpen).toBe(false);
    c.run(12 * HOUR, { pct: 79 }, MIN);
    expect(opened(c)).toBe(1);
    expect(c.last.status.alarms).toContain('high-high');
    expect(c.last.status.statusText).toMatch(
      /^Fault: High-high probe wet while the level sensor reads 79%.*check it/,
    );
    expect(c.last.status.holding).toBeUndefined();
  });

  it('releases once the level sensor agrees and has moved since the trip, then refilling resumes', () => {
    const c = new ControllerHarness(tank());
    c.tick({ pct: 10 });
    c.tick({ pct: 79, highHighWet: true }, MIN);
    c.run(HOUR, { pct: 79 }, MIN);
    c.run(
      HOUR,
      { pct: 79, quality: 'disagree', disagreement: { electrode: 'top', kind: 'probe-drier' } },
      MIN,
    );
    expect(opened(c)).toBe(1); // a disagreeing sensor does not count, however it moved
    c.tick({ pct: 79 - HIGH_HIGH_RELEASE_MOVE_PCT - 0.1 }, MIN);
    expect(c.last.outputs.valveOpen).toBe(true);
    expect(opened(c)).toBe(2);
  });

  it('rain over the probe with an agreeing sensor: latched until the water has gone down, no fill meanwhile', () => {
    const c = new ControllerHarness(tank());
    c.tick({ pct: 93, highHighWet: true });
    expect(c.last.status.statusText).toBe('Fault: High-high probe wet at 93%: fill valve closed');
    c.run(HOUR, { pct: 91.5 }, MIN);
    expect(c.state.fillTrip).toBeDefined();
    c.tick({ pct: 90.5 }, MIN);
    expect(c.state.fillTrip).toBeUndefined();
    expect(opened(c)).toBe(0);
  });

  it('a manual open is refused while latched; reset-alarms (an admin) releases it', () => {
    const c = new ControllerHarness(tank());
    c.tick({ pct: 10 });
    c.tick({ pct: 40, highHighWet: true }, MIN);
    c.run(10 * MIN, { pct: 40 }, MIN);
    const level = reading(c.rules, { pct: 40 });
    const refused = applyCommand(c.rules, c.state, { action: 'valve', open: true }, level, c.nowMs, 'alice');
    expect(refused).toMatchObject({
      accepted: false,
      reason: expect.stringMatching(/high-high trip: held closed/),
    });
    const reset = applyCommand(c.rules, c.state, { action: 'reset-alarms' }, level, c.nowMs, 'alice');
    expect(reset.accepted).toBe(true);
    if (reset.accepted) c.state = reset.state;
    c.tick({ pct: 40 }, MIN);
    expect(c.last.outputs.valveOpen).toBe(true);
  });
});

describe('a probe goes wet during a fill that the level sensor did not see (it reads low)', () => {
  it('trips the fill like the high-high probe: no chatter at that probe', () => {
    const c = new ControllerHarness(tank());
    c.tick({ pct: 10 });
    const wetter = { electrode: 'middle', kind: 'probe-wetter' as const };
    c.tick({ pct: 12, quality: 'disagree', disagreement: wetter }, MIN);
    expect(c.last.outputs.valveOpen).toBe(false);
    expect(c.state.fillTrip).toMatchObject({ cause: 'probe-wetter', electrode: 'middle', sensorPct: 12 });
    // The water falls below the probe again; the sensor, stuck at 12%, agrees but has not moved.
    c.run(6 * HOUR, { pct: 12 }, MIN);
    expect(opened(c)).toBe(1);
    expect(c.last.status.alarms).toContain('sensor-disagree');
    const open = applyCommand(
      c.rules,
      c.state,
      { action: 'valve', open: true },
      reading(c.rules, { pct: 12 }),
      c.nowMs,
      'alice',
    );
    expect(open).toMatchObject({
      accepted: false,
      reason: expect.stringMatching(/probe "middle" went wet unseen/),
    });
  });

  it('a wetter probe while no fill runs only holds the valve closed while it lasts (no latch)', () => {
    const c = new ControllerHarness(tank());
    c.tick({ pct: 30, quality: 'disagree', disagreement: { electrode: 'middle', kind: 'probe-wetter' } });
    expect(c.state.fillTrip).toBeUndefined();
    c.run(10 * MIN, { pct: 10 }, MIN);
    expect(c.last.outputs.valveOpen).toBe(true);
  });
});

describe('no-rise guard over open time', () => {
  it('trips on a level that does not rise although the fill is cut into one-minute openings', () => {
    const c = new ControllerHarness(
      tank({ control: { minValveClosedS: 30, minValveOpenS: 0, maxValveOpeningsPerHour: 60 } }),
    );
    let trippedAt: number | undefined;
    for (let i = 0; i < 60 && trippedAt === undefined; i++) {
      c.tick({ pct: 10 }, 40_000);
      c.tick({ pct: 10 }, MIN); // open a minute...
      c.tick({ quality: 'stale' }, 1000); // ...closed by a flapping reading
      if (c.state.lockout?.reason === 'no-rise') trippedAt = i;
    }
    expect(trippedAt).toBeDefined();
    expect(opened(c)).toBeLessThanOrEqual(16);
    expect(c.last.status.alarms).toContain('no-rise');
  });

  it('a pause does not reset the check, and a rising fill passes it', () => {
    const c = new ControllerHarness(tank({ control: { refillWindows: [{ from: '12:00', to: '12:10' }] } }));
    c.minuteOfDay = 12 * 60;
    c.tick({ pct: 10 });
    c.run(12 * MIN, (t) => ({ pct: 10 + Math.min(t, 10 * MIN) / MIN / 5 }), MIN); // +2% in 10 open minutes
    expect(c.last.outputs.valveOpen).toBe(false); // the window closed
    c.minuteOfDay = 12 * 60;
    c.run(20 * MIN, (t) => ({ pct: 12 + t / MIN / 5 }), MIN);
    expect(c.last.status.alarms).not.toContain('no-rise');
  });
});

describe('a cut dry-run probe wire (the bottom probe reads dry)', () => {
  const bottomCut: ReadingSpec = {
    pct: 50,
    quality: 'disagree',
    dryRunDry: true,
    disagreement: { electrode: 'bottom', kind: 'probe-drier' },
    probeConflict: { dry: 'bottom', wetAbove: 'middle' },
    probes: { bottom: false, middle: true, top: false },
  };

  it('with a wet probe above it and the level sensor agreeing: probe fault, the pump keeps running on the level', () => {
    const c = new ControllerHarness(tank());
    c.run(5 * MIN, { pct: 50 }, MIN);
    expect(c.last.outputs.pumpOn).toBe(true);
    c.run(HOUR, bottomCut, MIN);
    expect(c.last.outputs.pumpOn).toBe(true);
    expect(c.last.status.alarms).toContain('probe-fault');
    expect(c.last.status.statusText).toMatch(
      /^Fault: Probe "bottom" faulty.*check its wire.*stops below 13%/,
    );
    // The level protects the pump now, at a raised stop level.
    const stop = Math.max(8, c.rules.dryRunProbe!.pct) + DEGRADED_STOP_MARGIN_PCT;
    const below = {
      ...bottomCut,
      pct: stop - 0.5,
      probeConflict: undefined,
      probes: { bottom: false, middle: false },
    };
    c.tick(below, MIN);
    expect(c.last.outputs.pumpOn).toBe(false);
    // A second disagreement (the sensor may now read high) takes the level's word away too.
    c.run(10 * MIN, { ...bottomCut, pct: 45 }, MIN);
    expect(c.last.outputs.pumpOn).toBe(true);
    c.tick(
      {
        ...bottomCut,
        pct: 60,
        disagreements: [bottomCut.disagreement!, { electrode: 'middle', kind: 'probe-drier' }],
      },
      MIN,
    );
    expect(c.last.outputs.pumpOn).toBe(false);
  });

  it('below the witness probe: a refill settles it instead of leaving the tank standing with the pump off', () => {
    const c = new ControllerHarness(tank());
    const cut = {
      ...bottomCut,
      pct: 40,
      probeConflict: undefined,
      probes: { bottom: false, middle: false, top: false },
    };
    c.run(5 * MIN, cut, MIN);
    expect(c.last.outputs.pumpOn).toBe(false);
    expect(c.last.outputs.valveOpen).toBe(true);
    expect(c.events('valve')[0]).toMatchObject({ reason: expect.stringMatching(/check the bottom probe/) });
    expect(c.last.status.faults.join()).toMatch(/bottom probe is dry but the level sensor reads 40%/);
    // The water reaches the witness: proven, the pump runs.
    c.run(10 * MIN, { ...bottomCut, pct: 55 }, MIN);
    expect(c.last.outputs.pumpOn).toBe(true);
  });

  it('without a witness probe: a check fill proves it when the level sensor rises with it', () => {
    const onlyBottom = { electrodes: [{ id: 'bottom', heightMm: 80, pin: 17, role: 'dry-run' }] };
    const c = new ControllerHarness(tank({ probes: onlyBottom }));
    const spec = (pct: number): ReadingSpec => ({
      pct,
      quality: 'disagree',
      dryRunDry: true,
      disagreement: { electrode: 'bottom', kind: 'probe-drier' },
    });
    c.tick(spec(50));
    expect(c.last.outputs).toEqual({ valveOpen: true, pumpOn: false });
    c.run(5 * MIN, (t) => spec(50 + t / MIN), MIN); // the sensor rises with the fill: it sees the water
    expect(c.state.probeFault).toMatchObject({ electrode: 'bottom', proof: 'fill' });
    c.tick(spec(56), MIN);
    expect(c.last.outputs.pumpOn).toBe(true);
    expect(c.last.status.statusText).toMatch(
      /Probe "bottom" faulty \(reads dry while the level sensor at \d+% rose with the fill\)/,
    );
  });

  it('a bottom probe cut while the tank stands full: the check fill goes past the high threshold, no further than its ceiling', () => {
    const onlyBottom = { electrodes: [{ id: 'bottom', heightMm: 80, pin: 17, role: 'dry-run' }] };
    const c = new ControllerHarness(tank({ probes: onlyBottom }));
    const highPct = c.rules.control.highPct;
    const spec = (pct: number): ReadingSpec => ({
      pct,
      quality: 'disagree',
      dryRunDry: true,
      disagreement: { electrode: 'bottom', kind: 'probe-drier' },
    });
    // At the high threshold: no room below it, but a check fill above it proves the water.
    c.tick(spec(highPct));
    expect(c.last.outputs).toEqual({ valveOpen: true, pumpOn: false });
    expect(c.events('valve').at(-1)).toMatchObject({
      open: true,
      reason: expect.stringMatching(/check the bottom probe/),
    });
    c.run(5 * MIN, (t) => spec(highPct + t / (5 * MIN)), MIN);
    c.tick(spec(highPct + 1.2), MIN);
    expect(c.state.probeFault).toMatchObject({ electrode: 'bottom', proof: 'fill' });
    // Proven: the check is over; at the next tick the valve closes (above the high threshold), the pump runs.
    c.tick(spec(highPct + 1.2), MIN);
    expect(c.last.outputs).toEqual({ valveOpen: false, pumpOn: true });
    expect(c.events('valve').at(-1)).toMatchObject({
      open: false,
      reason: expect.stringMatching(/at or above high threshold/),
    });

    // Halfway to the brim (where level-high warns) there is no room for a check: the pump stays off.
    const near = new ControllerHarness(tank({ probes: onlyBottom }));
    near.run(HOUR, spec((highPct + 100) / 2 - 1), MIN);
    expect(near.last.outputs).toEqual({ valveOpen: false, pumpOn: false });
    expect(near.last.status.faults.join()).toMatch(/check the bottom probe/);
  });

  it('a frozen reading that the temperature compensation moves is no fill proof: the probe keeps its word', () => {
    const onlyBottom = { electrodes: [{ id: 'bottom', heightMm: 80, pin: 17, role: 'dry-run' }] };
    const c = new ControllerHarness(tank({ probes: onlyBottom }));
    const spec = (pct: number, echoPct: number): ReadingSpec => ({
      pct,
      echoPct,
      quality: 'disagree',
      dryRunDry: true,
      disagreement: { electrode: 'bottom', kind: 'probe-drier' },
    });
    c.tick(spec(50, 50));
    expect(c.last.outputs.valveOpen).toBe(true); // the check fill
    // The air warms: the compensated level "rises" 3 %, the sensor's own distance does not move.
    c.run(20 * MIN, (t) => spec(50 + (3 * t) / (20 * MIN), 50), MIN);
    expect(c.state.probeFault).toBeUndefined();
    expect(c.last.outputs.pumpOn).toBe(false);
    // An echo off an obstacle: its distance drifts with the air, the compensated level stands still.
    const d = new ControllerHarness(tank({ probes: onlyBottom }));
    d.run(20 * MIN, (t) => spec(50, 50 + (3 * t) / (20 * MIN)), MIN);
    expect(d.state.probeFault).toBeUndefined();
    expect(d.last.outputs.pumpOn).toBe(false);
  });

  it('with the bottom probe out, a level that only the temperature compensation moves does not renew its proof', () => {
    const c = new ControllerHarness(tank());
    c.run(HOUR, bottomCut, MIN);
    expect(c.last.outputs.pumpOn).toBe(true);
    // 12 h of pumping with the compensated level swinging ±2 % with the air, the echo standing still.
    const swing = (t: number) => ({ ...bottomCut, pct: 50 + 2 * Math.sin(t / HOUR), echoPct: 50 });
    c.run(LEVEL_UNMOVED_PUMP_MAX_MS, swing, MIN);
    expect(c.last.outputs.pumpOn).toBe(false);
    expect(c.state.probeFault?.levelProof).toBeUndefined();
  });

  it('with the bottom probe out, a level sensor that stops moving loses its word: pump off, a check fill proves it', () => {
    const c = new ControllerHarness(tank());
    c.run(HOUR, bottomCut, MIN);
    expect(c.last.outputs.pumpOn).toBe(true);
    // The level stands still (stuck, or nobody drawing) while the pump runs 12 h: not proof enough.
    // (The fault latched a quarter of an hour into that first hour.)
    c.run(LEVEL_UNMOVED_PUMP_MAX_MS - 2 * HOUR, bottomCut, MIN);
    expect(c.last.outputs.pumpOn).toBe(true);
    c.run(2 * HOUR, bottomCut, MIN);
    expect(c.last.outputs.pumpOn).toBe(false);
    expect(c.events('pump').at(-1)).toMatchObject({
      on: false,
      reason: expect.stringMatching(/not shown the water move/),
    });
    expect(c.last.outputs.valveOpen).toBe(true); // the check fill
    // The sensor rises with it: proven again, the pump runs.
    c.run(5 * MIN, (t) => ({ ...bottomCut, pct: 50 + t / MIN / 2 }), MIN);
    expect(c.last.outputs.pumpOn).toBe(true);
  });

  it('with the bottom probe out, a level sensor lost and back must prove itself again before the pump runs', () => {
    const c = new ControllerHarness(tank());
    c.run(HOUR, bottomCut, MIN);
    c.run(10 * MIN, { ...bottomCut, quality: 'stale', pct: undefined }, MIN);
    expect(c.last.outputs.pumpOn).toBe(false);
    c.tick(bottomCut, MIN); // back, reading as before: it might be stuck there
    expect(c.last.outputs.pumpOn).toBe(false);
    expect(c.state.probeFault?.levelProof).toBeUndefined();
  });

  it('a level sensor that does not rise with the check fill proves nothing: the pump stays stopped, and says why', () => {
    const onlyBottom = { electrodes: [{ id: 'bottom', heightMm: 80, pin: 17, role: 'dry-run' }] };
    const c = new ControllerHarness(tank({ probes: onlyBottom }));
    c.run(
      HOUR,
      {
        pct: 50,
        quality: 'disagree',
        dryRunDry: true,
        disagreement: { electrode: 'bottom', kind: 'probe-drier' },
      },
      MIN,
    );
    expect(c.last.outputs.pumpOn).toBe(false);
    expect(c.last.status.alarms).not.toContain('probe-fault');
    expect(c.last.status.alarms).toContain('no-rise');
    expect(c.last.status.faults.join()).toMatch(/check the bottom probe/);
  });

  it("an admin's bypass lasts as long as the manual override, no longer", () => {
    const c = new ControllerHarness(
      tank({ probes: { electrodes: [{ id: 'bottom', heightMm: 80, pin: 17, role: 'dry-run' }] } }),
    );
    const spec: ReadingSpec = {
      pct: 50,
      quality: 'disagree',
      dryRunDry: true,
      disagreement: { electrode: 'bottom', kind: 'probe-drier' },
    };
    c.run(5 * MIN, spec, MIN);
    const out = applyCommand(
      c.rules,
      c.state,
      { action: 'pump', on: true, minutes: 30 },
      reading(c.rules, spec),
      c.nowMs,
      'alice',
    );
    expect(out.accepted).toBe(true);
    if (out.accepted) c.state = out.state;
    c.run(29 * MIN, spec, MIN);
    expect(c.last.outputs.pumpOn).toBe(true);
    c.run(3 * MIN, spec, MIN);
    expect(c.last.outputs.pumpOn).toBe(false);
    expect(c.state.probeFault).toBeUndefined();
  });
});

describe('switching bounded per rolling day', () => {
  it('valve openings stop at maxValveOpeningsPerDay and resume as the day rolls on', () => {
    const c = new ControllerHarness(
      tank({
        control: {
          maxValveOpeningsPerDay: 5,
          maxValveOpeningsPerHour: 60,
          minValveClosedS: 60,
          minValveOpenS: 0,
        },
      }),
    );
    for (let i = 0; i < 30; i++) {
      c.tick({ pct: 10 }, 20 * MIN);
      c.tick({ quality: 'stale' }, 1000);
    }
    expect(opened(c)).toBe(5);
    expect(
      c.decisions.some((d) => /opened 5 times in the last 24 hours/.test(d.decision.status.holding ?? '')),
    ).toBe(true);
    expect(c.decisions.some((d) => d.decision.status.alarms.includes('short-cycling'))).toBe(true);
    c.run(24 * HOUR, { pct: 10 }, 10 * MIN);
    expect(opened(c)).toBeGreaterThan(5);
    const times = c.decisions
      .filter((d) => d.decision.events.some((e) => e.type === 'valve' && e.open))
      .map((d) => d.atMs);
    for (const t of times)
      expect(times.filter((x) => x >= t && x < t + 24 * HOUR).length).toBeLessThanOrEqual(5);
  });
});

describe('acknowledging an alarm', () => {
  it('marks it seen; it stays until its condition clears; a cleared alarm cannot be acknowledged', () => {
    const c = new ControllerHarness(tank());
    c.tick({ pct: 3 });
    expect(c.last.status.alarms).toContain('level-critical');
    const level = reading(c.rules, { pct: 3 });
    const ack = applyCommand(
      c.rules,
      c.state,
      { action: 'ack-alarm', alarm: 'level-critical' },
      level,
      c.nowMs,
      'alice',
    );
    expect(ack.accepted).toBe(true);
    if (ack.accepted) c.state = ack.state;
    c.tick({ pct: 3 }, MIN);
    expect(c.last.status.acknowledged).toEqual(['level-critical']);
    expect(c.last.status.alarms).toContain('level-critical');
    c.run(10 * MIN, { pct: 30 }, MIN);
    expect(c.last.status.alarms).not.toContain('level-critical');
    const late = applyCommand(
      c.rules,
      c.state,
      { action: 'ack-alarm', alarm: 'level-critical' },
      level,
      c.nowMs,
      'alice',
    );
    expect(late).toMatchObject({ accepted: false, reason: 'alarm level-critical is not active' });
  });
});
