// Runs the real estimator and controller (TankCore) against the simulated tank, as fast as the machine
// allows, with faults injected on a schedule. A power cut goes through the same snapshot and restore
// code as a real restart, including the daemon's persistence policy (so state may be minutes old).

import { levelSampleIntervalMs, type Config } from '../config/schema.js';
import { LocalTime, ManualClock } from '../clock.js';
import type { AlarmKind, Decision } from '../control/types.js';
import { raiseTimedAlarm } from '../control/controller.js';
import { TankCore } from '../runtime/tank-core.js';
import { needsSave } from '../runtime/persist-policy.js';
import { restoreSnapshot, takeSnapshot, type Snapshot } from '../runtime/snapshot.js';
import { SimulatedTank } from '../../drivers/sim/tank-model.js';
import { FaultSchedule, type Fault } from '../../drivers/sim/faults.js';
import { seededRandom } from '../../drivers/sim/rng.js';

export interface SimOptions {
  config: Config;
  days: number;
  seed: number;
  faults?: Fault[];
  /** Simulated time between control steps; the sensor is sampled at its own interval in between. */
  tickMs?: number;
  /** Wall-clock start of the run (local time of gateway.timezone matters for use and windows). */
  startWallMs?: number;
  onProgress?: (fraction: number) => void;
  /** Called after every step of every tank, for tests that check invariants along the way. */
  onStep?: (step: SimStep) => void;
}

export interface SimStep {
  tankId: string;
  elapsedMs: number;
  nowMs: number;
  decision: Decision;
  model: SimulatedTank;
}

export interface TankSimResult {
  id: string;
  minLevelPct: number;
  maxLevelPct: number;
  overflows: number;
  dryRuns: number;
  valveCycles: number;
  refills: number;
  inflowLitres: number;
  outflowLitres: number;
  alarms: Partial<Record<AlarmKind, number>>;
}

export interface SimResult {
  simulatedDays: number;
  wallMs: number;
  tanks: TankSimResult[];
}

export const DEFAULT_SIM_TICK_MS = 10_000;
const UNCLEAN_RESTART_ALARM_MS = 15 * 60_000;
const PROGRESS_EVERY_STEPS = 20_000;

export function runSimulation(options: SimOptions): SimResult {
  const started = performance.now();
  const { config } = options;
  const tickMs = options.tickMs ?? DEFAULT_SIM_TICK_MS;
  const totalMs = options.days * 86_400_000;
  const schedule = new FaultSchedule(options.faults ?? []);
  const noFaults = schedule.faults.length === 0;
  const clock = new ManualClock(1_000_000, options.startWallMs ?? Date.UTC(2026, 0, 1), true);
  const localTime = new LocalTime(config.gateway.timezone);
  const random = seededRandom(options.seed);

  const tanks = config.tanks.map((tank) => {
    const model = new SimulatedTank(tank, random);
    return {
      tank,
      model,
      core: new TankCore(tank, clock.monotonicMs()),
      counters: { valveCycles: 0, refills: 0, alarms: {} as Partial<Record<AlarmKind, number>> },
    };
  });

  let boot = 0;
  const ctx = () => ({
    bootId: `sim-boot-${boot}`,
    nowMonoMs: clock.monotonicMs(),
    nowWallMs: clock.wallMs(),
    wallSynced: true,
  });
  let saved: Snapshot = takeSnapshot(
    Object.fromEntries(tanks.map((t) => [t.tank.id, t.core.state])),
    ctx(),
    false,
  );
  let savedAtMs = clock.monotonicMs();
  let powerCut = false;

  const count = (t: (typeof tanks)[number], decision: Pick<Decision, 'events'>) => {
    for (const e of decision.events) {
      if (e.type === 'valve' && e.open) t.counters.valveCycles++;
      else if (e.type === 'fill-completed') t.counters.refills++;
      else if (e.type === 'alarm' && e.active)
        t.counters.alarms[e.alarm] = (t.counters.alarms[e.alarm] ?? 0) + 1;
    }
  };

  let steps = 0;
  for (let elapsed = 0; elapsed < totalMs; elapsed += tickMs) {
    clock.advance(tickMs);
    const wallMs = clock.wallMs();
    const hour = localTime.hourOfDay(wallMs);
    const cut = schedule.powerCutAt(elapsed) !== undefined;

    if (cut && !powerCut) {
      // The Pi dies: relays drop, nothing is saved beyond what the persistence policy already wrote.
      for (const t of tanks) t.model.powerOff();
      powerCut = true;
    } else if (!cut && powerCut) {
      powerCut = false;
      boot++;
      const restored = restoreSnapshot(JSON.parse(JSON.stringify(saved)) as Snapshot, ctx());
      for (const t of tanks) {
        t.core = new TankCore(t.tank, clock.monotonicMs(), restored.tanks[t.tank.id]);
        if (restored.unclean) {
          const { state, event } = raiseTimedAlarm(
            t.core.state,
            'unclean-restart',
            'Restarted after a power cut or crash',
            clock.monotonicMs(),
            UNCLEAN_RESTART_ALARM_MS,
          );
          t.core.replaceState(state);
          count(t, { events: [event] });
        }
      }
      saved = takeSnapshot(Object.fromEntries(tanks.map((t) => [t.tank.id, t.core.state])), ctx(), false);
      savedAtMs = clock.monotonicMs();
    }

    let mustSave = false;
    for (const t of tanks) {
      const id = t.tank.id;
      const faults = noFaults
        ? never
        : (kind: Parameters<typeof schedule.active>[0]) => schedule.active(kind, id, elapsed);
      t.model.advance(tickMs, wallMs, hour, faults);
      if (powerCut) continue;

      const before = saved.tanks[id];
      // The sensor is sampled at its configured rate; the controller decides once a step.
      const sampleMs = levelSampleIntervalMs(t.tank);
      for (let at = tickMs - sampleMs; at > 0; at -= sampleMs) {
        t.core.ingest({
          atMs: clock.monotonicMs() - at,
          raw: t.model.readLevel(faults),
          airTemperatureC: t.model.currentAirTemperatureC,
        });
      }
      const decision = t.core.step(
        {
          atMs: clock.monotonicMs(),
          raw: t.model.readLevel(faults),
          airTemperatureC: t.model.currentAirTemperatureC,
          probesWet: t.model.readProbes(faults),
        },
        localTime.minuteOfDay(wallMs),
      );
      t.model.valves.fill(decision.outputs.valveOpen);
      t.model.pumpOn = decision.outputs.pumpOn;
      count(t, decision);
      if (needsSave(before, decision.state, savedAtMs, clock.monotonicMs())) mustSave = true;
      options.onStep?.({
        tankId: id,
        elapsedMs: elapsed,
        nowMs: clock.monotonicMs(),
        decision,
        model: t.model,
      });
    }
    if (mustSave) {
      saved = takeSnapshot(Object.fromEntries(tanks.map((t) => [t.tank.id, t.core.state])), ctx(), false);
      savedAtMs = clock.monotonicMs();
    }
    if (options.onProgress && ++steps % PROGRESS_EVERY_STEPS === 0) options.onProgress(elapsed / totalMs);
  }
  options.onProgress?.(1);

  return {
    simulatedDays: options.days,
    wallMs: Math.round(performance.now() - started),
    tanks: tanks.map((t) => ({
      id: t.tank.id,
      minLevelPct: round2(t.model.stats.minLevelPct),
      maxLevelPct: round2(t.model.stats.maxLevelPct),
      overflows: t.model.stats.overflows,
      dryRuns: t.model.stats.dryRuns,
      valveCycles: t.counters.valveCycles,
      refills: t.counters.refills,
      inflowLitres: Math.round(t.model.stats.inflowLitres),
      outflowLitres: Math.round(t.model.stats.outflowLitres),
      alarms: t.counters.alarms,
    })),
  };
}

const never = () => false;

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
