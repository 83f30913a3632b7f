import { describe, expect, it } from 'vitest';
import { LevelEstimator, type RawLevel } from '../../../daemon/level/estimator.js';
import { compensateDistanceMm, speedOfSoundMPerS } from '../../../daemon/level/sound.js';
import { tank } from '../../helpers/config.js';

const ok = (distanceMm: number): RawLevel => ({ ok: true, distanceMm });
// Mount 1600 mm, brim 1300 mm, 2,001 L: 50% is 650 mm of water, 950 mm from the sensor.
const distanceAtPct = (pct: number) => 1600 - 13 * pct;

function feed(
  est: LevelEstimator,
  start: number,
  samples: RawLevel[],
  probes?: Record<string, boolean>,
  stepMs = 2000,
) {
  let t = start;
  let r = est.update({ atMs: t, raw: samples[0]! });
  for (const s of samples.slice(1)) {
    t += stepMs;
    r = est.update({ atMs: t, raw: s, probesWet: probes });
  }
  return { reading: r, endMs: t };
}

describe('level estimator', () => {
  it('turns distances into height, litres and percent of capacity', () => {
    const est = new LevelEstimator(tank(), 0);
    const { reading } = feed(est, 0, Array(10).fill(ok(distanceAtPct(50))));
    expect(reading.quality).toBe('ok');
    expect(reading.heightMm).toBeCloseTo(650, 3);
    expect(reading.levelPct).toBeCloseTo(50, 3);
    expect(reading.litres).toBeCloseTo(1000.5, 0);
  });

  it('is starting until the first sample, stale when samples stop for staleAfterS', () => {
    const est = new LevelEstimator(tank(), 0);
    expect(est.update({ atMs: 1000, raw: { ok: false, error: 'timeout' } }).quality).toBe('starting');
    expect(est.update({ atMs: 31_000, raw: { ok: false, error: 'timeout' } }).quality).toBe('stale');
    feed(est, 32_000, Array(5).fill(ok(950)));
    const r = est.update({ atMs: 32_000 + 8000 + 31_000, raw: { ok: false, error: 'timeout' } });
    expect(r.quality).toBe('stale');
    expect(r.problem).toMatch(/no good level reading for \d+ s \(level sensor: timeout\)/);
  });

  it('rejects dead-zone and out-of-range readings; a tank in the dead zone goes stale (safe), not full', () => {
    const est = new LevelEstimator(tank(), 0);
    feed(est, 0, Array(5).fill(ok(950)));
    const { reading } = feed(est, 10_000, Array(20).fill(ok(120)));
    expect(reading.quality).toBe('stale');
    expect(reading.problem).toMatch(/dead zone/);
  });

  it('ignores 5% echo spikes: the control level stays within a few mm', () => {
    const est = new LevelEstimator(tank(), 0);
    const samples = Array.from({ length: 200 }, (_, i) => (i % 20 === 7 ? ok(300 + (i % 3) * 100) : ok(950)));
    let worst = 0;
    let t = 0;
    for (const s of samples) {
      const r = est.update({ atMs: (t += 2000), raw: s });
      if (r.heightMm !== undefined) worst = Math.max(worst, Math.abs(r.heightMm - 650));
    }
    expect(worst).toBeLessThan(1);
  });

  it('starts afresh after a stale spell: a level that moved while the sensor was silent is taken', () => {
    const est = new LevelEstimator(
      tank({ level: { ultrasonic: { mountHeightMm: 1600 }, filter: { controlTimeConstantS: 0 } } }),
      0,
    );
    feed(est, 0, Array(10).fill(ok(950)));
    est.update({ atMs: 60_000, raw: { ok: false, error: 'timeout' } });
    const { reading } = feed(est, 62_000, Array(6).fill(ok(650)));
    expect(reading.quality).toBe('ok');
    expect(reading.heightMm).toBeCloseTo(950, 0);
  });

  it('a spike among the first samples does not capture the level', () => {
    const est = new LevelEstimator(tank(), 0);
    const { reading } = feed(est, 0, [ok(300), ...Array(10).fill(ok(950))]);
    expect(reading.heightMm).toBeCloseTo(650, 0);
  });

  it('the control path reacts faster than the display path', () => {
    const est = new LevelEstimator(tank(), 0);
    feed(est, 0, Array(30).fill(ok(950)));
    // A fill: the water rises 2 mm per sample.
    const { reading } = feed(
      est,
      60_000,
      Array.from({ length: 60 }, (_, i) => ok(950 - 2 * i)),
    );
    expect(reading.heightMm! - 650).toBeGreaterThan(100);
    expect(reading.displayPct!).toBeLessThan(reading.levelPct!);
  });

  it('compensates the speed of sound for air temperature', () => {
    expect(speedOfSoundMPerS(20)).toBeCloseTo(343.2, 0);
    // At 35 °C an uncompensated sensor reads a 1000 mm gap as ~975 mm.
    const reported = 1000 * (speedOfSoundMPerS(20) / speedOfSoundMPerS(35));
    expect(compensateDistanceMm(reported, 20, 35)).toBeCloseTo(1000, 6);

    const est = new LevelEstimator(tank(), 0);
    let r;
    for (let i = 0; i < 10; i++)
      r = est.update({ atMs: i * 2000, raw: ok(Math.round(reported)), airTemperatureC: 35 });
    expect(r!.heightMm).toBeCloseTo(600, 0); // 1600 - 1000
  });

  it('reports the level before the compensation too: a frozen distance moves only the compensated level', () => {
    const est = new LevelEstimator(tank(), 0);
    const at = (airTemperatureC: number, from: number) => {
      let r;
      for (let i = 0; i < 200; i++)
        r = est.update({ atMs: (from + i) * 2000, raw: ok(1000), airTemperatureC });
      return r!;
    };
    const cool = at(5, 0);
    const warm = at(35, 200);
    const assumed = at(20, 400); // the sensor's own assumption: nothing to compensate
    // The same distance, 30 °C apart: the compensation moves the level by ~5 % of the distance.
    expect(Math.abs(warm.levelPct! - cool.levelPct!)).toBeGreaterThan(3);
    expect(warm.echoPct).toBeCloseTo(cool.echoPct!, 1);
    expect(warm.echoPct).toBeCloseTo(assumed.levelPct!, 1);
    expect(assumed.echoPct).toBe(assumed.levelPct);
  });

  it('marks a noisy sensor when many readings are rejected', () => {
    const est = new LevelEstimator(tank(), 0);
    let r;
    for (let i = 0; i < 200; i++) r = est.update({ atMs: i * 2000, raw: i % 2 ? ok(100) : ok(950) });
    expect(r!.quality).toBe('noisy');
    expect(r!.levelPct).toBeCloseTo(50, 0);
  });

  it('cross-checks probes: a wet probe above the level is a disagreement (probe-wetter)', () => {
    const est = new LevelEstimator(tank(), 0);
    // Level 20% but the middle electrode (650 mm = 50%) reads wet.
    const { reading } = feed(est, 0, Array(10).fill(ok(distanceAtPct(20))), {
      bottom: true,
      middle: true,
      top: false,
    });
    expect(reading.quality).toBe('disagree');
    expect(reading.disagreement).toEqual({ electrode: 'middle', kind: 'probe-wetter' });
    expect(reading.problem).toMatch(/probe "middle" at 50% is wet but the level sensor reads 20%/);
  });

  it('names an impossible probe pattern (dry below wet) and lists every disagreeing electrode', () => {
    const est = new LevelEstimator(tank(), 0);
    // A cut bottom wire: bottom dry under a wet middle, the level sensor at 60%.
    const probes = { bottom: false, middle: true, top: false };
    const { reading } = feed(est, 0, Array(12).fill(ok(distanceAtPct(60))), probes);
    expect(reading.probeConflict).toEqual({ dry: 'bottom', wetAbove: 'middle' });
    expect(reading.dryRunDry).toBe(true);
    expect(reading.disagreements).toEqual([{ electrode: 'bottom', kind: 'probe-drier' }]);
    // At 20% the middle probe is (rightly) dry: no impossible pattern, the bottom still disagrees.
    const low = feed(est, 30_000, Array(40).fill(ok(distanceAtPct(20))), {
      bottom: false,
      middle: false,
      top: false,
    });
    expect(low.reading.probeConflict).toBeUndefined();
    expect(low.reading.disagreements).toEqual([{ electrode: 'bottom', kind: 'probe-drier' }]);
  });

  it('reports high-high wet and dry-run dry from debounced probes', () => {
    const est = new LevelEstimator(tank(), 0);
    const { reading } = feed(est, 0, Array(10).fill(ok(distanceAtPct(95))), {
      bottom: true,
      middle: true,
      top: true,
    });
    expect(reading.highHighWet).toBe(true);
    expect(reading.dryRunDry).toBe(false);
    expect(reading.quality).toBe('ok');
    // One splash does not flip a debounced electrode.
    const r = est.update({
      atMs: 100_000,
      raw: ok(distanceAtPct(95)),
      probesWet: { bottom: false, middle: true, top: true },
    });
    expect(r.dryRunDry).toBe(false);
  });
});

describe('level estimator with a pressure transmitter', () => {
  const pressureTank = () =>
    tank({ level: { pressure: { sensorHeightMm: 20, fullScaleMm: 2000 } }, probes: undefined });

  it('adds the transmitter height to the water column', () => {
    const est = new LevelEstimator(pressureTank(), 0);
    let r;
    for (let i = 0; i < 6; i++) r = est.update({ atMs: i * 2000, raw: { ok: true, columnMm: 630 } });
    expect(r!.quality).toBe('ok');
    expect(r!.heightMm).toBeCloseTo(650, 3);
    expect(r!.levelPct).toBeCloseTo(50, 3);
  });

  it('rejects a column far outside the transmitter range (broken 4-20 mA loop)', () => {
    const est = new LevelEstimator(pressureTank(), 0);
    let r;
    for (let i = 0; i < 20; i++) r = est.update({ atMs: i * 2000, raw: { ok: true, columnMm: -1250 } });
    expect(r!.quality).toBe('stale');
    expect(r!.problem).toMatch(/pressure sensor reads out of range/);
  });

  it('the config needs exactly one level source and a range that covers a full tank', async () => {
    const { validateConfig } = await import('../../../daemon/config/load.js');
    const base = { gateway: { id: 'gw' }, tanks: [] as unknown[] };
    const tankWith = (level: unknown) => ({
      id: 't',
      geometry: { shape: 'vertical-cylinder', diameterMm: 1000, heightMm: 1300 },
      level,
      valves: [{ id: 'v', pin: 23 }],
    });
    expect(() => validateConfig({ ...base, tanks: [tankWith({})] })).toThrow(
      /tanks\[0\]\.level: needs exactly one level source/,
    );
    expect(() => validateConfig({ ...base, tanks: [tankWith({ pressure: { fullScaleMm: 1000 } })] })).toThrow(
      /tanks\[0\]\.level\.pressure\.fullScaleMm: a full tank \(1300 mm of water above the sensor\) is beyond full scale/,
    );
  });
});
