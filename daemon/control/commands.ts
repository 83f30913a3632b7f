// Operator commands applied to the controller state: pure, like the controller. A command asks; the
// controller's safety rules still decide, and a request that a rule forbids is refused with the reason.
// (Authentication, authorization, freshness and audit happen before a command reaches this point.)

import type { LevelReading } from '../level/estimator.js';
import { MINUTE_MS } from '../units.js';
import { fillTripText } from './fill-guards.js';
import { levelUsable } from './level-usable.js';
import { freshLevelProof, pumpLevels } from './pump.js';
import { thresholdProblems, thresholds, valuesFor } from './thresholds.js';
import type { ControlRules } from './tick.js';
import type { AlarmKind, ControlEvent, ControllerState } from './types.js';

export type TankCommand =
  | { action: 'valve'; open: boolean; minutes?: number }
  | { action: 'pump'; on: boolean; minutes?: number }
  | { action: 'mode'; mode: 'auto' }
  | { action: 'mode'; mode: 'manual'; minutes?: number }
  | { action: 'thresholds'; lowPct: number; highPct: number }
  | { action: 'reset-alarms' }
  | { action: 'ack-alarm'; alarm: AlarmKind };

export type CommandOutcome =
  | { accepted: true; state: ControllerState; message: string; events: ControlEvent[] }
  | { accepted: false; reason: string };

export function applyCommand(
  rules: ControlRules,
  state: ControllerState,
  command: TankCommand,
  level: LevelReading,
  nowMs: number,
  by: string,
): CommandOutcome {
  const c = rules.control;
  const manualUntil = (minutes?: number) =>
    nowMs + Math.min(minutes ?? c.manualMaxMinutes, c.manualMaxMinutes) * MINUTE_MS;

  switch (command.action) {
    case 'valve': {
      const refusal = command.open ? valveOpenRefusal(rules, state, level) : undefined;
      if (refusal) return { accepted: false, reason: refusal };
      const manual = {
        ...keepOther(state, 'valve'),
        valveOpen: command.open,
        untilMs: manualUntil(command.minutes),
        by,
      };
      return manualState(
        state,
        manual,
        `fill valve ${command.open ? 'open' : 'closed'} by hand until auto resumes`,
      );
    }
    case 'pump':
      return pumpCommand(rules, state, command, level, nowMs, by, manualUntil(command.minutes));
    case 'mode': {
      if (command.mode === 'auto') {
        return {
          accepted: true,
          state: { ...state, mode: 'auto', manual: undefined },
          message: 'automatic control',
          events: [{ type: 'mode', mode: 'auto', reason: `set by ${by}` }],
        };
      }
      // Manual with no output named holds both outputs as they are now.
      const manual = {
        valveOpen: state.valveOpen,
        pumpOn: state.pumpOn,
        untilMs: manualUntil(command.minutes),
        by,
      };
      return manualState(state, manual, 'manual mode: outputs held as they are');
    }
    case 'thresholds':
      return thresholdsCommand(rules, state, command, by);
    case 'reset-alarms':
      return resetAlarms(state);
    case 'ack-alarm': {
      const alarm = state.alarms[command.alarm];
      if (!alarm) return { accepted: false, reason: `alarm ${command.alarm} is not active` };
      return {
        accepted: true,
        state: {
          ...state,
          alarms: { ...state.alarms, [command.alarm]: { ...alarm, acknowledged: { by, atMs: nowMs } } },
        },
        message: `alarm ${command.alarm} acknowledged (it stays until its condition clears)`,
        events: [],
      };
    }
  }
}

/** Why opening the fill valve by hand is refused now, or undefined when it is allowed. */
export function valveOpenRefusal(
  rules: ControlRules,
  state: ControllerState,
  level: LevelReading,
): string | undefined {
  const { highPct } = thresholds(rules, state);
  if (level.highHighWet) return 'refused: the high-high probe is wet';
  if (state.fillTrip) return `refused: ${fillTripText(state.fillTrip)}`;
  if (!levelUsable(level))
    return `refused: the level reading is not usable (${level.quality}${level.problem ? `: ${level.problem}` : ''})`;
  if (level.levelPct >= highPct)
    return `refused: level ${Math.round(level.levelPct)}% is at or above the high threshold (${highPct}%)`;
  if (state.lockout) return `refused: refill is locked out (${state.lockout.reason}); reset alarms first`;
  return undefined;
}

/**
 * The pump by hand. Dry-run protection still holds, with one door: when the bottom probe reads dry but
 * the level sensor reads water well above the pump's (raised) restart level, an admin who can see the
 * water may bypass the probe; the pump is then protected by the level sensor alone, and says so.
 */
function pumpCommand(
  rules: ControlRules,
  state: ControllerState,
  command: { on: boolean },
  level: LevelReading,
  nowMs: number,
  by: string,
  untilMs: number,
): CommandOutcome {
  const pump = rules.pump;
  let next = state;
  let bypassed = '';
  if (command.on) {
    if (!pump) return { accepted: false, reason: 'this tank has no pump' };
    if (level.dryRunDry && !state.probeFault) {
      const probe = rules.dryRunProbe!;
      const degraded = pumpLevels(
        { rules, s: { ...state, probeFault: { electrode: probe.id, sinceMs: nowMs } } },
        pump,
      );
      if (!levelUsable(level) || level.levelPct < degraded.restartAbovePct)
        return {
          accepted: false,
          reason: 'refused: the bottom probe is dry and the level sensor does not show water above it',
        };
      // A person's bypass lasts as long as their manual override, no longer.
      // The admin vouches for the level sensor now; it must keep proving itself (pump.ts).
      const levelProof = freshLevelProof(level, level.levelPct, nowMs);
      next = { ...state, probeFault: { electrode: probe.id, sinceMs: nowMs, by, untilMs, levelProof } };
      bypassed = `; bottom probe bypassed until auto resumes: the level sensor protects the pump (stops below ${Math.round(degraded.stopBelowPct)}%)`;
    } else if (state.pumpLowLatched) {
      return {
        accepted: false,
        reason: `refused: level below the pump's restart level (${pumpLevels({ rules, s: state }, pump).restartAbovePct}%)`,
      };
    }
  }
  const manual = { ...keepOther(state, 'pump'), pumpOn: command.on, untilMs, by };
  return manualState(next, manual, `pump ${command.on ? 'on' : 'off'} by hand until auto resumes${bypassed}`);
}

function thresholdsCommand(
  rules: ControlRules,
  state: ControllerState,
  command: { lowPct: number; highPct: number },
  by: string,
): CommandOutcome {
  const { lowPct, highPct } = command;
  const problem = thresholdProblems(valuesFor(rules, lowPct, highPct))[0];
  if (problem) return { accepted: false, reason: `refused: ${problem.message}` };
  const previous = thresholds(rules, state);
  const c = rules.control;
  return {
    accepted: true,
    state: {
      ...state,
      thresholds: { lowPct, highPct, by, configLowPct: c.lowPct, configHighPct: c.highPct },
    },
    message: `thresholds ${previous.lowPct}/${previous.highPct}% -> ${lowPct}/${highPct}% (until changed again or the config's thresholds are edited)`,
    events: [],
  };
}

/** Clears the refill lockouts, the high-high latch and a bypassed or latched probe fault. */
function resetAlarms(state: ControllerState): CommandOutcome {
  const alarms = { ...state.alarms };
  for (const kind of ['fill-timeout', 'no-rise', 'high-high', 'probe-fault'] as const) delete alarms[kind];
  return {
    accepted: true,
    state: {
      ...state,
      lockout: undefined,
      noRiseTrips: 0,
      fillTrip: undefined,
      probeFault: undefined,
      alarms,
    },
    message:
      'refill lockouts, the high-high latch and probe faults cleared (they return if their cause is still there)',
    events: [],
  };
}

function keepOther(
  state: ControllerState,
  changing: 'valve' | 'pump',
): { valveOpen?: boolean; pumpOn?: boolean } {
  if (state.mode !== 'manual' || !state.manual) return {};
  return changing === 'valve' ? { pumpOn: state.manual.pumpOn } : { valveOpen: state.manual.valveOpen };
}

function manualState(
  state: ControllerState,
  manual: NonNullable<ControllerState['manual']>,
  message: string,
): CommandOutcome {
  return {
    accepted: true,
    state: { ...state, mode: 'manual', manual },
    message,
    events: state.mode === 'manual' ? [] : [{ type: 'mode', mode: 'manual', reason: `set by ${manual.by}` }],
  };
}
