import { describe, expect, it } from 'vitest';
import type { ControllerState } from '../../../daemon/control/types.js';
import {
  migrateSnapshot,
  restoreSnapshot,
  shiftTimes,
  SNAPSHOT_VERSION,
  takeSnapshot,
  type Snapshot,
} from '../../../daemon/runtime/snapshot.js';

/** A state with every optional part present, so a forgotten time field shows up. */
function fullState(t: number): ControllerState {
  return {
    mode: 'manual',
    manual: { valveOpen: true, untilMs: t + 1, by: 'a' },
    wantFill: true,
    criticalFill: false,
    valveOpen: true,
    valveChangedAtMs: t + 2,
    valveOpenings: [t + 3],
    pumpOn: true,
    pumpChangedAtMs: t + 4,
    pumpStarts: [t + 5],
    pumpLowLatched: false,
    fill: {
      startedAtMs: t + 6,
      startLitres: 100,
      openMsBefore: 1000,
      riseCheck: { openMsSum: 60_000, risePctSum: 0.5 },
      openSegment: { atMs: t + 7, pct: 10 },
    },
    lockout: { reason: 'no-rise', untilMs: t + 8 },
    noRiseTrips: 1,
    fillTrip: { cause: 'high-high', sinceMs: t + 15, sensorPct: 70 },
    probeFault: { electrode: 'bottom', sinceMs: t + 16 },
    thresholds: { lowPct: 20, highPct: 70, by: 'alice', configLowPct: 15, configHighPct: 80 },
    alarms: {
      leak: {
        sinceMs: t + 9,
        message: 'x',
        clearAtMs: t + 10,
        clearingSinceMs: t + 11,
        acknowledged: { by: 'alice', atMs: t + 17 },
      },
    },
    flow: {
      points: [[t + 12, 50, 0]],
      quiet: { startMs: t + 13, lastAtMs: t + 14, n: 1, st: 0, sy: 5, stt: 0, sty: 0 },
      netLitresPerMin: 1,
    },
  };
}

/** Every number under a key ending in Ms, or inside a times array, or a flow point's time. */
function times(state: ControllerState): number[] {
  const out: number[] = [];
  const walk = (v: unknown, key: string) => {
    if (typeof v === 'number' && /Ms$/.test(key)) out.push(v);
    else if (Array.isArray(v))
      v.forEach((x, i) =>
        key === 'points'
          ? out.push((x as number[])[0]!)
          : walk(x, /Openings|Starts/.test(key) ? 'tMs' : String(i)),
      );
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, k);
  };
  walk(state, '');
  return out.sort((a, b) => a - b);
}

describe('state snapshot', () => {
  it('shifts every monotonic time of the state', () => {
    const before = times(fullState(1000));
    expect(before).toHaveLength(17);
    expect(times(shiftTimes(fullState(1000), 500))).toEqual(before.map((t) => t + 500));
  });

  it('restores within the same boot unchanged, with outputs recorded as switched off at start', () => {
    const ctx = { bootId: 'b1', nowMonoMs: 10_000, nowWallMs: 1e12, wallSynced: true };
    const snap = takeSnapshot({ house: fullState(1000) }, ctx, false);
    const restored = restoreSnapshot(JSON.parse(JSON.stringify(snap)), { ...ctx, nowMonoMs: 20_000 });
    const s = restored.tanks.house!;
    expect(restored.unclean).toBe(true);
    expect(restored.downMs).toBe(10_000);
    expect(s.valveOpen).toBe(false);
    expect(s.valveChangedAtMs).toBe(20_000);
    expect(s.pumpOn).toBe(false);
    expect(s.wantFill).toBe(true);
    expect(s.lockout?.untilMs).toBe(1008);
    // The fill's open time up to the snapshot is kept for the fill-time guard; the cut segment's rise
    // is unknown, so it leaves the no-rise check as it was.
    expect(s.fill?.openMsBefore).toBe(1000 + (10_000 - 1002));
    expect(s.fill?.openSegment).toBeUndefined();
    expect(s.fill?.riseCheck).toEqual({ openMsSum: 60_000, risePctSum: 0.5 });
  });

  it('reads a version-1 snapshot: the no-rise check restarts, command thresholds without their record go', () => {
    const v1 = {
      version: 1,
      bootId: 'b1',
      savedAtMonoMs: 10_000,
      savedAtWallMs: 1e12,
      wallSynced: true,
      clean: true,
      tanks: {
        house: {
          ...fullState(1000),
          fill: {
            startedAtMs: 1006,
            startLitres: 100,
            openMsBefore: 1000,
            checkpointAtMs: 1007,
            checkpointPct: 10,
          },
          thresholds: { lowPct: 20, highPct: 70 },
        },
      },
    } as unknown as Snapshot;
    const migrated = migrateSnapshot(v1);
    expect(migrated.version).toBe(SNAPSHOT_VERSION);
    const house = migrated.tanks.house!;
    expect(house.fill).toEqual({
      startedAtMs: 1006,
      startLitres: 100,
      openMsBefore: 1000,
      riseCheck: { openMsSum: 0, risePctSum: 0 },
    });
    expect(house.thresholds).toBeUndefined();
    expect(house.lockout).toEqual({ reason: 'no-rise', untilMs: 1008 });
  });

  it('after a reboot, moves times by the wall-clock downtime when both ends were synchronized', () => {
    const snap = takeSnapshot(
      { house: fullState(50_000) },
      { bootId: 'b1', nowMonoMs: 60_000, nowWallMs: 1e12, wallSynced: true },
      true,
    );
    const restored = restoreSnapshot(snap, {
      bootId: 'b2',
      nowMonoMs: 5_000,
      nowWallMs: 1e12 + 3_600_000,
      wallSynced: true,
    });
    expect(restored.unclean).toBe(false);
    expect(restored.downMs).toBe(3_600_000);
    // Times keep their distance to the snapshot, which now lies an hour (the downtime) in the past.
    expect(restored.tanks.house!.lockout!.untilMs).toBe(5_000 - 3_600_000 - 60_000 + 50_008);
  });

  it('after a reboot with an unsynchronized clock, takes the downtime as zero (timers run their full time)', () => {
    const snap = takeSnapshot(
      { house: fullState(50_000) },
      { bootId: 'b1', nowMonoMs: 60_000, nowWallMs: 1e12, wallSynced: true },
      true,
    );
    const restored = restoreSnapshot(snap, {
      bootId: 'b2',
      nowMonoMs: 5_000,
      nowWallMs: 1.5e12,
      wallSynced: false,
    });
    expect(restored.downMs).toBeUndefined();
    expect(restored.tanks.house!.lockout!.untilMs - 5_000).toBe(50_008 - 60_000);
  });
});
