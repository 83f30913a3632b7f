// One tank's synchronous core: estimator + controller + commands around one state. The daemon's runtime
// feeds it from real or simulated drivers; the simulator calls it directly, so both run the same code.

import type { TankConfig } from '../config/schema.js';
import { applyCommand, type CommandOutcome, type TankCommand } from '../control/commands.js';
import { decide, initialState, rulesFor, type ControlRules } from '../control/controller.js';
import type { ControllerState, Decision } from '../control/types.js';
import { LevelEstimator, type LevelReading, type LevelSample } from '../level/estimator.js';

export class TankCore {
  readonly rules: ControlRules;
  private readonly estimator: LevelEstimator;
  private current: ControllerState;
  private reading: LevelReading;
  private decision: Decision | undefined;

  constructor(
    readonly tank: TankConfig,
    nowMs: number,
    restored?: ControllerState,
  ) {
    this.rules = rulesFor(tank);
    this.estimator = new LevelEstimator(tank, nowMs);
    this.current = restored ?? initialState();
    this.reading = { quality: 'starting', rejectRatio: 0, probes: {}, highHighWet: false, dryRunDry: false };
  }

  get state(): ControllerState {
    return this.current;
  }

  get lastReading(): LevelReading {
    return this.reading;
  }

  get lastDecision(): Decision | undefined {
    return this.decision;
  }

  get shape() {
    return this.estimator.tankShape;
  }

  /** A sample between control steps (no decision). */
  ingest(sample: LevelSample): void {
    this.estimator.ingest(sample);
  }

  step(sample: LevelSample, localMinuteOfDay: number | undefined): Decision {
    this.reading = this.estimator.update(sample);
    this.decision = decide(this.rules, this.current, {
      nowMs: sample.atMs,
      localMinuteOfDay,
      level: this.reading,
    });
    this.current = this.decision.state;
    return this.decision;
  }

  /** Decides again on the last reading (after a command), without a new sample. */
  reconsider(nowMs: number, localMinuteOfDay: number | undefined): Decision {
    this.decision = decide(this.rules, this.current, { nowMs, localMinuteOfDay, level: this.reading });
    this.current = this.decision.state;
    return this.decision;
  }

  /** Applies an operator command; call reconsider() to act on it at once. */
  command(command: TankCommand, nowMs: number, by: string): CommandOutcome {
    const outcome = applyCommand(this.rules, this.current, command, this.reading, nowMs, by);
    if (outcome.accepted) this.current = outcome.state;
    return outcome;
  }

  /** Replaces the state (e.g. a one-shot alarm raised by the runtime). */
  replaceState(state: ControllerState): void {
    this.current = state;
  }
}
