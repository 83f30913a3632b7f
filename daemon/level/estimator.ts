// Level estimator: raw ultrasonic distances and probe states in, a level with its quality out.
//
//   distance -> range/dead-zone check -> temperature compensation -> water height -> plausibility
//   (or, from a pressure transmitter: water column -> range check -> water height -> plausibility)
//     (spike) check -> median -> fast smoothing (control) and slow smoothing (display) -> litres, percent
//   probes -> debounce -> cross-check against the level
//
// Every reading carries its quality; anything but ok/noisy makes the controller go to its safe state.

import { levelSampleIntervalMs, type ProbesConfig, type TankConfig } from '../config/schema.js';
import { speedOfSoundMPerS } from './sound.js';
import { Debounced, median, plausible, RatioWindow, Smoother, Window } from './filters.js';
import { percentOf, tankShape, type TankShape } from './geometry.js';

/**
 * What a level sensor reports: an ultrasonic ranger the distance from its face down to the water, a
 * pressure transmitter the water column above its diaphragm.
 */
export type RawLevel =
  { ok: true; distanceMm: number } | { ok: true; columnMm: number } | { ok: false; error: string };

export interface LevelSample {
  /** Monotonic time of the sample. */
  atMs: number;
  raw: RawLevel;
  airTemperatureC?: number;
  /** Raw electrode states (wet = true) by electrode id, when the probes were sampled this time. */
  probesWet?: Readonly<Record<string, boolean>>;
}

export type LevelQuality = 'starting' | 'ok' | 'noisy' | 'stale' | 'disagree';

/** Probes say more water than the ultrasonic (overfill risk), or less (the ultrasonic may read high). */
export type Disagreement = { electrode: string; kind: 'probe-wetter' | 'probe-drier' };

export interface LevelReading {
  quality: LevelQuality;
  /** Why the quality is not ok, in words for the farmer. */
  problem?: string;
  /** Control path (fast): undefined until the first accepted sample. */
  heightMm?: number;
  litres?: number;
  levelPct?: number;
  /**
   * The control level as the sensor's own distance says it, before the temperature compensation
   * (equal to `levelPct` where none is applied). A sensor frozen on one value keeps this still while the
   * compensation moves `levelPct` with the air; an echo locked on an obstacle keeps `levelPct` still
   * while this drifts. Only water moves both: the controller's proof that the sensor sees the water.
   */
  echoPct?: number;
  /** Display path (smooth). */
  displayPct?: number;
  displayLitres?: number;
  /** Monotonic time of the last accepted sample. */
  lastGoodAtMs?: number;
  rejectRatio: number;
  /** Debounced electrode states by id. */
  probes: Readonly<Record<string, boolean>>;
  highHighWet: boolean;
  dryRunDry: boolean;
  disagreement?: Disagreement;
  /** Every electrode that disagrees with the level sensor (the first is `disagreement`). */
  disagreements?: Disagreement[];
  /**
   * A physically impossible probe pattern: electrode `dry` reads dry below `wetAbove`, which reads wet
   * (a cut wire or a fouled electrode, or a falsely wet one above). The lowest such dry electrode.
   */
  probeConflict?: { dry: string; wetAbove: string };
}

// Long enough that the share of rejects is a stable statistic (150 samples at 2 s).
const REJECT_WINDOW_S = 300;
/** Offset a pressure transmitter may show around its range ends before a reading counts as broken. */
const PRESSURE_SLACK_MM = 50;
/** Disagreement must persist this many samples (ripple while a fill lands on an electrode). */
const DISAGREE_CONFIRM_SAMPLES = 5;

export class LevelEstimator {
  private readonly shape: TankShape;
  private readonly heights: Window;
  private readonly fastSmoother: Smoother;
  private readonly displaySmoother: Smoother;
  private readonly rejects: RatioWindow;
  private readonly probeStates = new Map<string, Debounced>();
  private readonly startedAtMs: number;
  /** Median of the accepted window: the plausibility check's reference. */
  private medianMm: number | undefined;
  private fastMm: number | undefined;
  private displayMm: number | undefined;
  private lastGoodAtMs: number | undefined;
  private lastSmoothedAtMs: number | undefined;
  private lastProblem: string | undefined;
  private everReported = false;
  private noisy = false;
  private lastAirC = NaN;
  private lastSoundFactor = 1;
  /** The compensation applied to the latest distance (1: none). */
  private appliedSoundFactor = 1;
  private disagreeCount = 0;
  private readonly electrodes: { id: string; heightMm: number; pct: number; role: string }[];

  constructor(
    private readonly tank: TankConfig,
    startedAtMs: number,
  ) {
    this.shape = tankShape(tank.geometry);
    const f = tank.level.filter;
    this.heights = new Window(f.medianWindow);
    this.fastSmoother = new Smoother(f.controlTimeConstantS);
    this.displaySmoother = new Smoother(f.displayTimeConstantS);
    this.rejects = new RatioWindow(
      Math.max(5, Math.round((REJECT_WINDOW_S * 1000) / levelSampleIntervalMs(tank))),
    );
    this.startedAtMs = startedAtMs;
    this.electrodes = (tank.probes?.electrodes ?? [])
      .map((e) => ({
        id: e.id,
        heightMm: e.heightMm,
        role: e.role,
        pct: percentOf(this.shape, this.shape.litresAt(e.heightMm)),
      }))
      .sort((a, b) => a.heightMm - b.heightMm);
    for (const e of this.electrodes)
      this.probeStates.set(e.id, new Debounced(tank.probes?.debounceSamples ?? 1));
  }

  get tankShape(): TankShape {
    return this.shape;
  }

  update(sample: LevelSample): LevelReading {
    this.ingest(sample);
    return this.reading(sample.atMs);
  }

  /** Takes a sample without building a reading (the simulator samples several times per control step). */
  ingest(sample: LevelSample): void {
    this.acceptRaw(sample);
    if (sample.probesWet) this.acceptProbes(sample.probesWet, this.tank.probes);
  }

  private acceptRaw(sample: LevelSample): void {
    const r = sample.raw;
    if (!r.ok) {
      this.lastProblem = `level sensor: ${r.error}`;
      return; // a missing sample is neither good nor a reject: staleness covers it
    }
    const heightMm =
      'columnMm' in r
        ? this.heightFromColumn(r.columnMm)
        : this.heightFromDistance(r.distanceMm, sample.airTemperatureC);
    if (heightMm === undefined) {
      this.rejects.push(true);
      return;
    }
    const f = this.tank.level.filter;
    const sinceGoodMs = this.lastGoodAtMs === undefined ? Infinity : sample.atMs - this.lastGoodAtMs;
    if (sinceGoodMs > f.staleAfterS * 1000) {
      // The reading went stale: start afresh rather than judge new samples against an old level.
      this.heights.clear();
      this.medianMm = this.fastMm = this.displayMm = undefined;
    }
    // Until the window is full there is no trustworthy reference; the median absorbs a stray spike.
    const reference = this.heights.items.length >= f.medianWindow ? this.medianMm : undefined;
    if (!plausible(reference, heightMm, sinceGoodMs, f.spikeRejectMm, f.maxRateMmPerMin)) {
      this.rejects.push(true);
      return;
    }
    this.rejects.push(false);
    this.heights.push(heightMm);
    this.lastGoodAtMs = sample.atMs;
    const filtered = median(this.heights.items);
    this.medianMm = filtered;
    // No level until the window is full: one early spike must not seed the smoothing.
    if (this.heights.items.length < f.medianWindow) return;
    const dt = this.lastSmoothedAtMs === undefined ? 0 : sample.atMs - this.lastSmoothedAtMs;
    this.fastMm = this.fastSmoother.step(this.fastMm, filtered, dt);
    this.displayMm = this.displaySmoother.step(this.displayMm, filtered, dt);
    this.lastSmoothedAtMs = sample.atMs;
  }

  private heightFromDistance(distanceMm: number, airTemperatureC: number | undefined): number | undefined {
    const us = this.tank.level.ultrasonic;
    if (!us) {
      this.lastProblem = 'level sensor reports a distance but the tank is configured for a pressure sensor';
      return undefined;
    }
    if (!Number.isFinite(distanceMm) || distanceMm < us.minRangeMm || distanceMm > us.maxRangeMm) {
      this.lastProblem =
        Number.isFinite(distanceMm) && distanceMm < us.minRangeMm
          ? `level sensor reads ${Math.round(distanceMm)} mm, inside its dead zone (< ${us.minRangeMm} mm)`
          : `level sensor reads out of range (${distanceMm} mm)`;
      return undefined;
    }
    this.appliedSoundFactor =
      !us.compensatesTemperature && airTemperatureC !== undefined
        ? this.soundFactor(us.assumedAirTemperatureC, airTemperatureC)
        : 1;
    return us.mountHeightMm - distanceMm * this.appliedSoundFactor;
  }

  /** Distance correction for the speed of sound (temperatures change slowly: computed once per value). */
  private soundFactor(assumedC: number, actualC: number): number {
    if (actualC !== this.lastAirC) {
      this.lastAirC = actualC;
      this.lastSoundFactor = speedOfSoundMPerS(actualC) / speedOfSoundMPerS(assumedC);
    }
    return this.lastSoundFactor;
  }

  /** The control level undone of the temperature compensation (LevelReading.echoPct). */
  private echoPct(heightMm: number, levelPct: number): number {
    const us = this.tank.level.ultrasonic;
    if (!us || this.appliedSoundFactor === 1) return levelPct;
    const echoHeightMm = us.mountHeightMm - (us.mountHeightMm - heightMm) / this.appliedSoundFactor;
    return percentOf(this.shape, this.shape.litresAt(echoHeightMm));
  }

  private heightFromColumn(columnMm: number): number | undefined {
    const p = this.tank.level.pressure;
    if (!p) {
      this.lastProblem =
        'level sensor reports a water column but the tank is configured for an ultrasonic sensor';
      return undefined;
    }
    // A little below zero is offset error at an empty tank; far outside the range is a broken loop or ADC.
    if (
      !Number.isFinite(columnMm) ||
      columnMm < -PRESSURE_SLACK_MM ||
      columnMm > p.fullScaleMm + PRESSURE_SLACK_MM
    ) {
      this.lastProblem = `pressure sensor reads out of range (${Math.round(columnMm)} mm of water)`;
      return undefined;
    }
    return p.sensorHeightMm + Math.max(0, columnMm);
  }

  private acceptProbes(wet: Readonly<Record<string, boolean>>, config: ProbesConfig | undefined): void {
    if (!config) return;
    for (const [id, state] of this.probeStates) {
      const raw = wet[id];
      if (raw !== undefined) state.push(raw);
    }
  }

  private reading(nowMs: number): LevelReading {
    const f = this.tank.level.filter;
    const probes: Record<string, boolean> = {};
    let highHighWet = false;
    let dryRunDry = false;
    let lowestDry: string | undefined;
    let probeConflict: LevelReading['probeConflict'];
    // Electrodes are sorted by height: a wet one above a dry one cannot be.
    for (const e of this.electrodes) {
      const wet = this.probeStates.get(e.id)!.value;
      if (wet === undefined) continue;
      probes[e.id] = wet;
      if (e.role === 'high-high' && wet) highHighWet = true;
      if (e.role === 'dry-run' && !wet) dryRunDry = true;
      if (!wet) lowestDry ??= e.id;
      else if (lowestDry !== undefined) probeConflict ??= { dry: lowestDry, wetAbove: e.id };
    }
    // Built once and filled in: this runs every sample, and the simulator runs it millions of times.
    const reading: LevelReading = {
      quality: 'ok',
      rejectRatio: this.rejects.ratio,
      probes,
      highHighWet,
      dryRunDry,
      ...(probeConflict ? { probeConflict } : {}),
    };

    if (this.lastGoodAtMs === undefined || this.fastMm === undefined || this.displayMm === undefined) {
      if (!this.everReported && nowMs - this.startedAtMs <= f.staleAfterS * 1000) {
        reading.quality = 'starting';
        reading.problem = 'waiting for the first level readings';
      } else {
        reading.quality = 'stale';
        reading.problem =
          this.heights.items.length > 0
            ? 'level sensor re-acquiring after a gap'
            : (this.lastProblem ?? 'no level reading yet');
      }
      return reading;
    }
    this.everReported = true;

    const litres = this.shape.litresAt(this.fastMm);
    const displayLitres = this.shape.litresAt(this.displayMm);
    reading.heightMm = this.fastMm;
    reading.litres = litres;
    reading.levelPct = percentOf(this.shape, litres);
    reading.echoPct = this.echoPct(this.fastMm, reading.levelPct);
    reading.displayLitres = displayLitres;
    reading.displayPct = percentOf(this.shape, displayLitres);
    reading.lastGoodAtMs = this.lastGoodAtMs;

    if (nowMs - this.lastGoodAtMs > f.staleAfterS * 1000) {
      const ageS = Math.round((nowMs - this.lastGoodAtMs) / 1000);
      reading.quality = 'stale';
      reading.problem = `no good level reading for ${ageS} s (${this.lastProblem ?? 'no data'})`;
      return reading;
    }

    // Hysteresis: noisy above the ratio, clean again only below half of it (no flapping at the edge).
    if (this.rejects.full && this.rejects.ratio > f.noisyRejectRatio) this.noisy = true;
    else if (this.rejects.ratio < f.noisyRejectRatio / 2) this.noisy = false;
    const disagreements = this.crossCheck(reading.levelPct, probes);
    const disagreement = disagreements?.[0];
    if (disagreement) {
      reading.disagreements = disagreements;
      const e = this.electrodes.find((x) => x.id === disagreement.electrode)!;
      const said = disagreement.kind === 'probe-wetter' ? 'wet' : 'dry';
      reading.quality = 'disagree';
      reading.disagreement = disagreement;
      reading.problem = `probe "${e.id}" at ${Math.round(e.pct)}% is ${said} but the level sensor reads ${Math.round(reading.levelPct)}%`;
    } else if (this.noisy) {
      reading.quality = 'noisy';
      reading.problem = `level sensor noisy: ${Math.round(this.rejects.ratio * 100)}% of readings rejected`;
    }
    return reading;
  }

  /** Electrodes that disagree with the level, wetter ones (the overfill direction) first; once confirmed. */
  private crossCheck(levelPct: number, probes: Record<string, boolean>): Disagreement[] | undefined {
    const tolerance = this.tank.control.disagreeTolerancePct;
    const wetter: Disagreement[] = [];
    const drier: Disagreement[] = [];
    for (const e of this.electrodes) {
      const wet = probes[e.id];
      if (wet === undefined) continue;
      if (wet && levelPct < e.pct - tolerance) wetter.push({ electrode: e.id, kind: 'probe-wetter' });
      else if (!wet && levelPct > e.pct + tolerance) drier.push({ electrode: e.id, kind: 'probe-drier' });
    }
    const found = wetter.length + drier.length > 0;
    this.disagreeCount = found ? this.disagreeCount + 1 : 0;
    return found && this.disagreeCount >= DISAGREE_CONFIRM_SAMPLES ? [...wetter, ...drier] : undefined;
  }
}
