// Runs the real estimator and controller (TankCore) against the simulated tank, as fast as the machine
// allows, with faults injected on a schedule. A power cut goes through the same snapshot and restore
// code as a real restart, including the daemon's persistence policy (so state may be minutes old).

import { levelSampleIntervalMs, type Config, type TankConfig } from '../config/schema.js';
import { LocalTime, ManualClock } from '../clock.js';
import type { AlarmKind, Decision } from '../control/types.js';
import { TankCore } from '../runtime/tank-core.js';
import { needsSave } from '../runtime/persist-policy.js';
import { restoreSnapshot, takeSnapshot, type Snapshot } from '../runtime/snapshot.js';
import { UNCLEAN_RESTART_ALARM_MS, UNCLEAN_RESTART_MESSAGE } from '../runtime/restart.js';
import { DAY_MS, HOUR_MS, roundTo } from '../units.js';
import { SimulatedTank } from '../../drivers/sim/tank-model.js';
import { FaultSchedule, type Fault, type FaultKind } from '../../drivers/sim/faults.js';
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
  /** overfills + rainSpills: every time the water reached the brim. */
  overflows: number;
  /** The brim reached with the fill valve open or closed less than an hour: a control failure. */
  overfills: number;
  /** The brim reached by rain with the fill valve closed for longer (the overflow pipe's job). */
  rainSpills: number;
  dryRuns: number;
  valveCycles: number;
  /** Most valve openings in any 24 hours (rolling). */
  maxValveOpeningsPerDay: number;
  pumpStarts: number;
  maxPumpStartsPerDay: number;
  refills: number;
  /** mainsLitres + rainLitres. */
  inflowLitres: number;
  mainsLitres: number;
  rainLitres: number;
  outflowLitres: number;
  /** Hours the pump was held off (power on) while the water stood above its restart level. */
  waterDeniedHours: number;
  /** Hours above the high threshold, by what put the water there. */
  hoursAboveHigh: { mains: number; rain: number };
  alarms: Partial<Record<AlarmKind, number>>;
  /** Simulated day (from the start, 2 decimals) of each raise, the first few per kind. */
  alarmDays: Partial<Record<AlarmKind, number[]>>;
}

export interface SimResult {
  simulatedDays: number;
  wallMs: number;
  tanks: TankSimResult[];
}

export const DEFAULT_SIM_TICK_MS = 10_000;
const PROGRESS_EVERY_STEPS = 20_000;
/** Raise times kept per alarm kind for the summary. */
const ALARM_DAYS_KEPT = 5;

interface SimTank {
  tank: TankConfig;
  model: SimulatedTank;
  core: TankCore;
  counters: Counters;
}

export function runSimulation(options: SimOptions): SimResult {
  const started = performance.now();
  const { config } = options;
  const tickMs = options.tickMs ?? DEFAULT_SIM_TICK_MS;
  const totalMs = options.days * DAY_MS;
  const schedule = new FaultSchedule(options.faults ?? []);
  const noFaults = schedule.faults.length === 0;
  const clock = new ManualClock(1_000_000, options.startWallMs ?? Date.UTC(2026, 0, 1), true);
  const localTime = new LocalTime(config.gateway.timezone);
  const random = seededRandom(options.seed);
  const tanks: SimTank[] = config.tanks.map((tank) => ({
    tank,
    model: new SimulatedTank(tank, random),
    core: new TankCore(tank, clock.monotonicMs()),
    counters: new Counters(),
  }));
  const power = new PowerAndPersistence(tanks, clock);

  let steps = 0;
  for (let elapsed = 0; elapsed < totalMs; elapsed += tickMs) {
    clock.advance(tickMs);
    const wallMs = clock.wallMs();
    const hour = localTime.hourOfDay(wallMs);
    power.follow(schedule.powerCutAt(elapsed) !== undefined);

    let mustSave = false;
    for (const t of tanks) {
      const faults = noFaults ? never : (kind: FaultKind) => schedule.active(kind, t.tank.id, elapsed);
      t.model.advance(tickMs, wallMs, hour, faults);
      if (power.cut) continue;
      const decision = controlStep(t, clock.monotonicMs(), tickMs, localTime.minuteOfDay(wallMs), faults);
      t.counters.count(decision, elapsed);
      if (power.needsSave(t, decision)) mustSave = true;
      options.onStep?.({
        tankId: t.tank.id,
        elapsedMs: elapsed,
        nowMs: clock.monotonicMs(),
        decision,
        model: t.model,
      });
    }
    if (mustSave) power.save();
    if (options.onProgress && ++steps % PROGRESS_EVERY_STEPS === 0) options.onProgress(elapsed / totalMs);
  }
  options.onProgress?.(1);

  return {
    simulatedDays: options.days,
    wallMs: Math.round(performance.now() - started),
    tanks: tanks.map((t) => tankResult(t)),
  };
}

/** Samples the sensor at its configured rate, then lets the controller decide once and drives the model. */
function controlStep(
  t: SimTank,
  nowMs: number,
  tickMs: number,
  minuteOfDay: number,
  faults: (kind: FaultKind) => boolean,
): Decision {
  const sampleMs = levelSampleIntervalMs(t.tank);
  for (let at = tickMs - sampleMs; at > 0; at -= sampleMs) {
    t.core.ingest({
      atMs: nowMs - at,
      raw: t.model.readLevel(faults),
      airTemperatureC: t.model.currentAirTemperatureC,
    });
  }
  const decision = t.core.step(
    {
      atMs: nowMs,
      raw: t.model.readLevel(faults),
      airTemperatureC: t.model.currentAirTemperatureC,
      probesWet: t.model.readProbes(faults),
    },
    minuteOfDay,
  );
  t.model.valves.fill(decision.outputs.valveOpen);
  t.model.pumpOn = decision.outputs.pumpOn;
  return decision;
}

/**
 * Power cuts and the state file: a cut drops the relays and loses what the persistence policy had not yet
 * written; power back restarts each tank from the last snapshot, as the daemon does.
 */
class PowerAndPersistence {
  cut = false;
  private boot = 0;
  private saved: Snapshot;
  private savedAtMs: number;

  constructor(
    private readonly tanks: SimTank[],
    private readonly clock: ManualClock,
  ) {
    this.saved = this.snapshot();
    this.savedAtMs = clock.monotonicMs();
  }

  follow(cutNow: boolean): void {
    if (cutNow && !this.cut) {
      for (const t of this.tanks) t.model.powerOff();
      this.cut = true;
    } else if (!cutNow && this.cut) {
      this.cut = false;
      this.restart();
    }
  }

  needsSave(t: SimTank, decision: Decision): boolean {
    return needsSave(this.saved.tanks[t.tank.id], decision.state, this.savedAtMs, this.clock.monotonicMs());
  }

  save(): void {
    this.saved = this.snapshot();
    this.savedAtMs = this.clock.monotonicMs();
  }

  private restart(): void {
    this.boot++;
    const nowMs = this.clock.monotonicMs();
    const restored = restoreSnapshot(JSON.parse(JSON.stringify(this.saved)) as Snapshot, this.context());
    for (const t of this.tanks) {
      t.model.powerOn();
      t.core = new TankCore(t.tank, nowMs, restored.tanks[t.tank.id]);
      // Its event goes out with the first decision, as in the daemon.
      if (restored.unclean)
        t.core.raiseTimedAlarm('unclean-restart', UNCLEAN_RESTART_MESSAGE, nowMs, UNCLEAN_RESTART_ALARM_MS);
    }
    this.save();
  }

  private snapshot(): Snapshot {
    return takeSnapshot(
      Object.fromEntries(this.tanks.map((t) => [t.tank.id, t.core.state])),
      this.context(),
      false,
    );
  }

  private context() {
    return {
      bootId: `sim-boot-${this.boot}`,
      nowMonoMs: this.clock.monotonicMs(),
      nowWallMs: this.clock.wallMs(),
      wallSynced: true,
    };
  }
}

/** What a run counts from the controller's events: switchings, refills, alarms. */
class Counters {
  valveCycles = 0;
  pumpStarts = 0;
  refills = 0;
  readonly alarms: Partial<Record<AlarmKind, number>> = {};
  readonly alarmDays: Partial<Record<AlarmKind, number[]>> = {};
  readonly valvePerDay = new RollingMax(DAY_MS);
  readonly pumpPerDay = new RollingMax(DAY_MS);

  count(decision: Pick<Decision, 'events'>, elapsedMs: number): void {
    for (const e of decision.events) {
      if (e.type === 'valve' && e.open) {
        this.valveCycles++;
        this.valvePerDay.add(elapsedMs);
      } else if (e.type === 'pump' && e.on) {
        this.pumpStarts++;
        this.pumpPerDay.add(elapsedMs);
      } else if (e.type === 'fill-completed') this.refills++;
      else if (e.type === 'alarm' && e.active) {
        this.alarms[e.alarm] = (this.alarms[e.alarm] ?? 0) + 1;
        const days = (this.alarmDays[e.alarm] ??= []);
        if (days.length < ALARM_DAYS_KEPT) days.push(roundTo(elapsedMs / DAY_MS, 2));
      }
    }
  }
}

/** The most events within any window of `spanMs`, counted as they come (times in order). */
class RollingMax {
  private readonly times: number[] = [];
  private head = 0;
  max = 0;

  constructor(private readonly spanMs: number) {}

  add(atMs: number): void {
    this.times.push(atMs);
    while (atMs - this.times[this.head]! >= this.spanMs) this.head++;
    this.max = Math.max(this.max, this.times.length - this.head);
    if (this.head > 1024) {
      this.times.splice(0, this.head);
      this.head = 0;
    }
  }
}

function tankResult(t: SimTank): TankSimResult {
  const s = t.model.stats;
  const c = t.counters;
  return {
    id: t.tank.id,
    minLevelPct: roundTo(s.minLevelPct, 2),
    maxLevelPct: roundTo(s.maxLevelPct, 2),
    overflows: s.overfills + s.rainSpills,
    overfills: s.overfills,
    rainSpills: s.rainSpills,
    dryRuns: s.dryRuns,
    valveCycles: c.valveCycles,
    maxValveOpeningsPerDay: c.valvePerDay.max,
    pumpStarts: c.pumpStarts,
    maxPumpStartsPerDay: c.pumpPerDay.max,
    refills: c.refills,
    inflowLitres: Math.round(s.mainsLitres + s.rainLitres),
    mainsLitres: Math.round(s.mainsLitres),
    rainLitres: Math.round(s.rainLitres),
    outflowLitres: Math.round(s.outflowLitres),
    waterDeniedHours: roundTo(s.waterDeniedMs / HOUR_MS),
    hoursAboveHigh: {
      mains: roundTo(s.aboveHighByMainsMs / HOUR_MS),
      rain: roundTo(s.aboveHighByRainMs / HOUR_MS),
    },
    alarms: c.alarms,
    alarmDays: c.alarmDays,
  };
}

const never = () => false;
