// Drives the pure controller tick by tick with synthetic readings, for the controller tests.

import { decide, initialState, rulesFor, type ControlRules } from '../../daemon/control/controller.js';
import type { ControllerState, Decision } from '../../daemon/control/types.js';
import type { LevelQuality, LevelReading } from '../../daemon/level/estimator.js';
import type { TankConfig } from '../../daemon/config/schema.js';

export interface ReadingSpec {
  pct?: number;
  /** The level before the temperature compensation (LevelReading.echoPct); defaults to pct. */
  echoPct?: number;
  quality?: LevelQuality;
  highHighWet?: boolean;
  dryRunDry?: boolean;
  disagreement?: LevelReading['disagreement'];
  /** Every disagreeing electrode (defaults to [disagreement]). */
  disagreements?: LevelReading['disagreements'];
  probeConflict?: LevelReading['probeConflict'];
  /** Debounced electrode states by id. */
  probes?: Record<string, boolean>;
  /** Smoothed litres for the display path (leak detection); defaults to the level's litres. */
  displayLitres?: number;
}

export function reading(rules: ControlRules, spec: ReadingSpec): LevelReading {
  const pct = spec.pct;
  const litres = pct === undefined ? undefined : (pct / 100) * rules.capacityLitres;
  return {
    quality: spec.quality ?? (pct === undefined ? 'stale' : 'ok'),
    levelPct: pct,
    echoPct: spec.echoPct ?? pct,
    litres,
    displayPct: pct,
    displayLitres: spec.displayLitres ?? litres,
    rejectRatio: 0,
    probes: spec.probes ?? {},
    highHighWet: spec.highHighWet ?? false,
    dryRunDry: spec.dryRunDry ?? false,
    disagreement: spec.disagreement,
    disagreements: spec.disagreements ?? (spec.disagreement ? [spec.disagreement] : undefined),
    probeConflict: spec.probeConflict,
    problem: spec.quality && spec.quality !== 'ok' ? `test: ${spec.quality}` : undefined,
  };
}

/** A controller under test with its own clock (monotonic ms, starting at 1,000,000). */
export class ControllerHarness {
  readonly rules: ControlRules;
  state: ControllerState;
  nowMs = 1_000_000;
  minuteOfDay: number | undefined = 12 * 60;
  last!: Decision;
  readonly decisions: { atMs: number; decision: Decision }[] = [];

  constructor(tank: TankConfig, state: ControllerState = initialState()) {
    this.rules = rulesFor(tank);
    this.state = state;
  }

  tick(spec: ReadingSpec, advanceMs = 2000): Decision {
    this.nowMs += advanceMs;
    if (this.minuteOfDay !== undefined) this.minuteOfDay = (this.minuteOfDay + advanceMs / 60_000) % 1440;
    this.last = decide(this.rules, this.state, {
      nowMs: this.nowMs,
      localMinuteOfDay: this.minuteOfDay === undefined ? undefined : Math.floor(this.minuteOfDay),
      level: reading(this.rules, spec),
    });
    this.state = this.last.state;
    this.decisions.push({ atMs: this.nowMs, decision: this.last });
    return this.last;
  }

  /** Ticks every `stepMs` for `durationMs` with the same reading (or one computed per tick). */
  run(
    durationMs: number,
    spec: ReadingSpec | ((elapsedMs: number) => ReadingSpec),
    stepMs = 10_000,
  ): Decision {
    for (let t = 0; t < durationMs; t += stepMs)
      this.tick(typeof spec === 'function' ? spec(t) : spec, stepMs);
    return this.last;
  }

  events(type: string) {
    return this.decisions.flatMap((d) => d.decision.events.filter((e) => e.type === type));
  }
}

export const MIN = 60_000;
export const HOUR = 60 * MIN;
