// A simulated farm tank: water physics, the weather and the farm's daily use, and the sensors as the
// real ones behave (ultrasonic noise, echo spikes, dropouts, dead zone, temperature error; conduction
// probes). Time is handed in by the caller, so a month runs in seconds. Faults are injected by the
// schedule in faults.ts.

import type { TankConfig } from '../../daemon/config/schema.js';
import { tankShape, type TankShape } from '../../daemon/level/geometry.js';
import { speedOfSoundMPerS } from '../../daemon/level/sound.js';
import type { RawLevel } from '../types.js';
import type { FaultKind } from './faults.js';
import { normalSource } from './rng.js';

/** Relative farm use per hour of the day: morning and evening peaks, quiet nights (leak detection). */
const USE_PROFILE = [
  0, 0, 0, 0, 0, 0.3, 1.6, 2.4, 2, 1.2, 0.9, 0.8, 1, 0.8, 0.7, 0.9, 1.4, 2.2, 2.4, 1.6, 0.9, 0.4, 0.1, 0,
];
const USE_PROFILE_MEAN = USE_PROFILE.reduce((a, b) => a + b, 0) / 24;
/** A leak fault drains this share of capacity per hour. */
const LEAK_PCT_PER_HOUR = 1;
/** A noisy-ultrasonic fault: condensation on the transducer, a turbulent inlet near the beam. */
const NOISY_SPIKE_PROBABILITY = 0.3;
const NOISY_NOISE_FACTOR = 5;
const RAIN_DAY_PROBABILITY = 0.15;
const RAIN_MM = { min: 2, max: 25 };
const RAIN_HOURS = 3;

export interface TankStats {
  minLevelPct: number;
  maxLevelPct: number;
  /** The brim reached while the fill valve was open or within OVERFILL_AFTER_CLOSE_MS of closing: a control failure. */
  overfills: number;
  /** The brim reached by rain with the fill valve closed for longer: what the overflow pipe is for. */
  rainSpills: number;
  dryRuns: number;
  /** Water through the fill valve, and from rain on the catchment. */
  mainsLitres: number;
  rainLitres: number;
  outflowLitres: number;
  /** Time the pump was held off, powered, while the water stood above its restart level. */
  waterDeniedMs: number;
  /** Time above the high threshold, by what took the water over it: the mains (fill valve) or rain. */
  aboveHighByMainsMs: number;
  aboveHighByRainMs: number;
}

/** A brim reached this soon after the fill valve closed still counts as an overfill. */
export const OVERFILL_AFTER_CLOSE_MS = 3_600_000;

export type ActiveFaults = (kind: FaultKind) => boolean;

export class SimulatedTank {
  readonly shape: TankShape;
  litres: number;
  /** Fill valves: water flows only when all are open (two in series guard against one stuck open). */
  readonly valves: boolean[];
  pumpOn = false;
  readonly stats: TankStats;

  private overflowing = false;
  private dryRunning = false;
  private powered = true;
  /** What took the water over the high threshold this time (mains or rain). */
  private aboveHighSource: 'mains' | 'rain' | undefined;
  /** Wall time the fill valve was last seen open (for telling overfill from rain spill). */
  private valveLastOpenAtMs = -Infinity;
  private pressure = 1;
  private readonly normal: () => number;
  private pressureWalk = 1;
  private useFactor = 1;
  private useFactorHour = -1;
  private rain: { startMs: number; endMs: number; litresPerMs: number } | undefined;
  private rainDay = -1;
  private lastDistanceMm: number | undefined;
  private lastColumnMm: number | undefined;
  private readonly inflowLitresPerMs: number;
  private readonly useLitresPerMs: number;
  private readonly probeOpenTarget: string | undefined;

  constructor(
    readonly config: TankConfig,
    private readonly random: () => number,
  ) {
    this.normal = normalSource(random);
    this.shape = tankShape(config.geometry);
    const cap = this.shape.capacityLitres;
    this.litres = (config.sim.initialLevelPct / 100) * cap;
    this.valves = config.valves.map(() => false);
    // Defaults: a fill from low to high in about four hours; a third of the tank used per day.
    const inflowPerMin = config.sim.inflowLitresPerMin ?? Math.max(5, (cap * 0.65) / 240);
    this.inflowLitresPerMs = inflowPerMin / 60_000;
    this.useLitresPerMs = (config.sim.useLitresPerDay ?? cap * 0.3) / 86_400_000;
    const electrodes = config.probes?.electrodes ?? [];
    const target =
      electrodes.find((e) => e.role === 'dry-run') ??
      [...electrodes].sort((a, b) => a.heightMm - b.heightMm)[0];
    this.probeOpenTarget = target?.id;
    const pct = this.levelPct;
    this.stats = {
      minLevelPct: pct,
      maxLevelPct: pct,
      overfills: 0,
      rainSpills: 0,
      dryRuns: 0,
      mainsLitres: 0,
      rainLitres: 0,
      outflowLitres: 0,
      waterDeniedMs: 0,
      aboveHighByMainsMs: 0,
      aboveHighByRainMs: 0,
    };
  }

  get waterHeightMm(): number {
    return this.shape.heightAt(this.litres);
  }

  get levelPct(): number {
    return (this.litres / this.shape.capacityLitres) * 100;
  }

  /** Moves the water on by dtMs; `hourOfDay` is local time for the daily profiles. */
  advance(dtMs: number, wallMs: number, hourOfDay: number, faults: ActiveFaults): void {
    const cap = this.shape.capacityLitres;
    this.updateWeather(wallMs, hourOfDay);
    const us = this.config.level.ultrasonic;
    this.airC = this.airTemperatureC(hourOfDay);
    this.soundScale =
      !us || us.compensatesTemperature
        ? 1
        : speedOfSoundMPerS(us.assumedAirTemperatureC) / speedOfSoundMPerS(this.airC);

    const valveOpen = this.valves.every(Boolean);
    if (valveOpen) this.valveLastOpenAtMs = wallMs;
    const valveFlow = valveOpen && !faults('mains-failure');
    const inflow = valveFlow ? this.inflowLitresPerMs * Math.sqrt(this.pressure) * dtMs : 0;
    const rain =
      this.rain && wallMs >= this.rain.startMs && wallMs < this.rain.endMs ? this.rain.litresPerMs * dtMs : 0;

    const height = this.waterHeightMm;
    const outletCovered = height > this.config.outletHeightMm;
    const drawing = this.config.pump ? this.pumpOn : true;
    const hour = Math.floor(hourOfDay) % 24;
    const use =
      drawing && outletCovered
        ? this.useLitresPerMs * (USE_PROFILE[hour]! / USE_PROFILE_MEAN) * this.useFactor * dtMs
        : 0;
    const leak = faults('leak') ? ((LEAK_PCT_PER_HOUR / 100) * cap * dtMs) / 3_600_000 : 0;

    this.litres += inflow + rain;
    const outflow = Math.min(this.litres, use + leak);
    this.litres -= outflow;
    this.stats.mainsLitres += inflow;
    this.stats.rainLitres += rain;
    this.stats.outflowLitres += outflow;
    this.account(dtMs, wallMs, cap, inflow >= rain ? 'mains' : 'rain');
  }

  /** Overfills, rain spills, dry runs, water denied and the level range, after a step of dtMs. */
  private account(dtMs: number, wallMs: number, cap: number, source: 'mains' | 'rain'): void {
    const byMains = wallMs - this.valveLastOpenAtMs <= OVERFILL_AFTER_CLOSE_MS;
    const atBrim = this.litres >= cap;
    if (atBrim) this.litres = cap; // the rest spills over the brim
    if (atBrim && !this.overflowing) {
      if (byMains) this.stats.overfills++;
      else this.stats.rainSpills++;
    }
    this.overflowing = atBrim;

    const pump = this.config.pump;
    const dry = pump !== undefined && this.pumpOn && this.waterHeightMm <= this.config.outletHeightMm;
    if (dry && !this.dryRunning) this.stats.dryRuns++;
    this.dryRunning = dry;

    const pct = this.levelPct;
    if (pump && this.powered && !this.pumpOn && pct >= pump.restartAbovePct) this.stats.waterDeniedMs += dtMs;
    if (pct >= this.config.control.highPct) {
      this.aboveHighSource ??= source;
      if (this.aboveHighSource === 'mains') this.stats.aboveHighByMainsMs += dtMs;
      else this.stats.aboveHighByRainMs += dtMs;
    } else this.aboveHighSource = undefined;
    if (pct < this.stats.minLevelPct) this.stats.minLevelPct = pct;
    if (pct > this.stats.maxLevelPct) this.stats.maxLevelPct = pct;
  }

  /** Air temperature and the uncompensated sensor's distance scale at the last advance (per-step cache). */
  private airC = 20;
  private soundScale = 1;

  /** Air temperature in the tank at the last advance. */
  get currentAirTemperatureC(): number {
    return this.airC;
  }

  airTemperatureC(hourOfDay: number): number {
    const { min, max } = this.config.sim.airTemperatureC;
    // Coldest before dawn, warmest mid-afternoon.
    return min + ((max - min) * (1 + Math.cos(((hourOfDay - 15) / 24) * 2 * Math.PI))) / 2;
  }

  /** What the tank's level sensor reports now. */
  readLevel(faults: ActiveFaults): RawLevel {
    return this.config.level.pressure ? this.readColumn(faults) : this.readDistance(faults);
  }

  /**
   * A pressure transmitter: the water column above it, with a little noise. No echoes; the faults that
   * hit an ultrasonic (stuck, noisy, dropout) hit it the same way.
   */
  readColumn(faults: ActiveFaults): RawLevel {
    const p = this.config.level.pressure!;
    if (faults('ultrasonic-dropout') || this.random() < this.config.sim.dropoutProbability)
      return { ok: false, error: 'timeout' };
    if (faults('stuck-ultrasonic') && this.lastColumnMm !== undefined)
      return { ok: true, columnMm: this.lastColumnMm };
    const noise =
      this.normal() * this.config.sim.noiseMm * (faults('noisy-ultrasonic') ? NOISY_NOISE_FACTOR : 1);
    this.lastColumnMm = Math.round(Math.max(0, this.waterHeightMm - p.sensorHeightMm) + noise);
    return { ok: true, columnMm: this.lastColumnMm };
  }

  /** What the ultrasonic ranger reports now. */
  readDistance(faults: ActiveFaults): RawLevel {
    const us = this.config.level.ultrasonic!;
    const sim = this.config.sim;
    if (faults('ultrasonic-dropout') || this.random() < sim.dropoutProbability)
      return { ok: false, error: 'timeout' };
    if (faults('stuck-ultrasonic') && this.lastDistanceMm !== undefined)
      return { ok: true, distanceMm: this.lastDistanceMm };

    const trueMm = us.mountHeightMm - this.waterHeightMm;
    let reported: number;
    if (trueMm < us.minRangeMm) {
      // Inside the dead zone the echo returns before the ranger listens: erratic short readings.
      reported = this.random() * us.minRangeMm;
    } else {
      const noisy = faults('noisy-ultrasonic');
      const spikeP = noisy ? NOISY_SPIKE_PROBABILITY : sim.spikeProbability;
      if (this.random() < spikeP) {
        // A false echo from a droplet, ladder or inlet pipe: somewhere between the sensor and the water.
        reported = us.minRangeMm + this.random() * (trueMm - us.minRangeMm);
      } else {
        reported = trueMm * this.soundScale + this.normal() * sim.noiseMm * (noisy ? NOISY_NOISE_FACTOR : 1);
      }
    }
    reported = Math.round(Math.min(Math.max(reported, 0), us.maxRangeMm));
    this.lastDistanceMm = reported;
    return { ok: true, distanceMm: reported };
  }

  readProbes(faults: ActiveFaults): Record<string, boolean> {
    const height = this.waterHeightMm;
    const out: Record<string, boolean> = {};
    for (const e of this.config.probes?.electrodes ?? []) {
      out[e.id] = e.id === this.probeOpenTarget && faults('probe-open') ? false : height > e.heightMm;
    }
    return out;
  }

  /** Power lost: relays drop out, the normally-closed valves close and the pump stops. */
  powerOff(): void {
    this.valves.fill(false);
    this.pumpOn = false;
    this.powered = false;
  }

  /** Power back: the daemon starts again (with every output off until it decides). */
  powerOn(): void {
    this.powered = true;
  }

  private updateWeather(wallMs: number, hourOfDay: number): void {
    // Mains pressure sags at the morning and evening peaks of the district, and wanders slowly.
    const dip =
      0.35 * Math.exp(-(((hourOfDay - 18.5) / 1.5) ** 2)) + 0.2 * Math.exp(-(((hourOfDay - 7.5) / 1.2) ** 2));
    const hour = Math.floor(wallMs / 3_600_000);
    if (hour !== this.useFactorHour) {
      this.useFactorHour = hour;
      this.useFactor = 0.6 + this.random() * 0.8;
      this.pressureWalk = Math.min(1.1, Math.max(0.8, this.pressureWalk + (this.random() - 0.5) * 0.05));
    }
    this.pressure = (1 - dip) * this.pressureWalk;

    const day = Math.floor(wallMs / 86_400_000);
    if (day !== this.rainDay) {
      this.rainDay = day;
      this.rain = undefined;
      if (this.config.sim.catchmentM2 > 0 && this.random() < RAIN_DAY_PROBABILITY) {
        const mm = RAIN_MM.min + this.random() * (RAIN_MM.max - RAIN_MM.min);
        const startMs = day * 86_400_000 + (10 + this.random() * 8) * 3_600_000;
        const endMs = startMs + RAIN_HOURS * 3_600_000;
        // 1 mm of rain on 1 m² of roof is one litre.
        this.rain = { startMs, endMs, litresPerMs: (mm * this.config.sim.catchmentM2) / (endMs - startMs) };
      }
    }
  }
}
