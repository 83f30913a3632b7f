// One tank's synchronous core: estimator + controller + commands around one state. The daemon's runtime
// feeds it from real or simulated drivers; the simulator calls it directly, so both run the same code.

import type { TankConfig } from '../config/schema.js';
import { applyCommand, type CommandOutcome, type TankCommand } from '../control/commands.js';
import { decide, initialState, raiseTimedAlarm, rulesFor, type ControlRules } from '../control/controller.js';
import { reconcileThresholds } from '../control/thresholds.js';
import type { AlarmKind, ControlEvent, ControllerState, Decision } from '../control/types.js';
import { LevelEstimator, type LevelReading, type LevelSample } from '../level/estimator.js';

export class TankCore {
  readonly rules: ControlRules;
  /** What the restore changed and why (for the log and the audit), e.g. thresholds dropped by a config edit. */
  readonly restoreNotes: string[];
  private readonly estimator: LevelEstimator;
  private current: ControllerState;
  private reading: LevelReading;
  private decision: Decision | undefined;
  /** Events made outside a control step (a command, a restart notice): they go out with the next decision. */
  private pending: ControlEvent[] = [];

  constructor(
    readonly tank: TankConfig,
    nowMs: number,
    restored?: ControllerState,
  ) {
    this.rules = rulesFor(tank);
    this.estimator = new LevelEstimator(tank, nowMs);
    const reconciled = restored ? reconcileThresholds(this.rules, restored) : { state: initialState() };
    this.current = reconciled.state;
    this.restoreNotes = reconciled.note ? [reconciled.note] : [];
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
    return this.decideNow(sample.atMs, localMinuteOfDay);
  }

  /** Decides again on the last reading (after a command), without a new sample. */
  reconsider(nowMs: number, localMinuteOfDay: number | undefined): Decision {
    return this.decideNow(nowMs, localMinuteOfDay);
  }

  /** Applies an operator command; call reconsider() to act on it at once. */
  command(command: TankCommand, nowMs: number, by: string): CommandOutcome {
    const outcome = applyCommand(this.rules, this.current, command, this.reading, nowMs, by);
    if (outcome.accepted) {
      this.current = outcome.state;
      this.pending.push(...outcome.events);
    }
    return outcome;
  }

  /** A one-shot alarm that clears itself after `forMs` (e.g. an unclean restart); announced with the next decision. */
  raiseTimedAlarm(kind: AlarmKind, message: string, nowMs: number, forMs: number): void {
    const { state, event } = raiseTimedAlarm(this.current, kind, message, nowMs, forMs);
    this.current = state;
    this.pending.push(event);
  }

  private decideNow(nowMs: number, localMinuteOfDay: number | undefined): Decision {
    let decision = decide(this.rules, this.current, { nowMs, localMinuteOfDay, level: this.reading });
    if (this.pending.length > 0) {
      decision = { ...decision, events: [...this.pending, ...decision.events] };
      this.pending = [];
    }
    this.decision = decision;
    this.current = decision.state;
    return decision;
  }
}
