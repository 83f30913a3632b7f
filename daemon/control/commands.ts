// Operator commands applied to the controller state: pure, like the controller. A command asks; the
// controller's safety rules still decide, and a request that a rule forbids is refused with the reason.
// (Authentication, authorization, freshness and audit happen before a command reaches this point.)

import type { LevelReading } from '../level/estimator.js';
import { thresholds, type ControlRules } from './controller.js';
import type { ControlEvent, ControllerState } from './types.js';

export type TankCommand =
  | { action: 'valve'; open: boolean; minutes?: number }
  | { action: 'pump'; on: boolean; minutes?: number }
  | { action: 'mode'; mode: 'auto' }
  | { action: 'mode'; mode: 'manual'; minutes?: number }
  | { action: 'thresholds'; lowPct: number; highPct: number }
  | { action: 'reset-alarms' };

export type CommandOutcome =
  | { accepted: true; state: ControllerState; message: string; events: ControlEvent[] }
  | { accepted: false; reason: string };

const MINUTE_MS = 60_000;

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
      if (command.open) {
        const refusal = valveOpenRefusal(rules, state, level);
        if (refusal) return { accepted: false, reason: refusal };
      }
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
    case 'pump': {
      if (command.on && rules.pump === undefined) return { accepted: false, reason: 'this tank has no pump' };
      if (command.on && level.dryRunDry)
        return { accepted: false, reason: 'refused: the bottom probe is dry (dry-run protection)' };
      if (command.on && state.pumpLowLatched) {
        return {
          accepted: false,
          reason: `refused: level below the pump's restart level (${rules.pump?.restartAbovePct}%)`,
        };
      }
      const manual = {
        ...keepOther(state, 'pump'),
        pumpOn: command.on,
        untilMs: manualUntil(command.minutes),
        by,
      };
      return manualState(state, manual, `pump ${command.on ? 'on' : 'off'} by hand until auto resumes`);
    }
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
    case 'thresholds': {
      const { lowPct, highPct } = command;
      if (!(lowPct >= 0 && highPct <= 100 && lowPct < highPct)) {
        return { accepted: false, reason: 'lowPct must be less than highPct, both between 0 and 100' };
      }
      if (lowPct < c.criticalPct)
        return { accepted: false, reason: `lowPct must not be below the critical level (${c.criticalPct}%)` };
      if (highPct >= 100) return { accepted: false, reason: 'highPct must be below 100 (the brim)' };
      const previous = thresholds(rules, state);
      return {
        accepted: true,
        state: { ...state, thresholds: { lowPct, highPct } },
        message: `thresholds ${previous.lowPct}/${previous.highPct}% -> ${lowPct}/${highPct}%`,
        events: [],
      };
    }
    case 'reset-alarms': {
      const alarms = { ...state.alarms };
      delete alarms['fill-timeout'];
      delete alarms['no-rise'];
      return {
        accepted: true,
        state: { ...state, lockout: undefined, noRiseTrips: 0, alarms },
        message: 'refill lockouts cleared',
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
  if (level.levelPct === undefined || !(level.quality === 'ok' || level.quality === 'noisy')) {
    return `refused: the level reading is not usable (${level.quality}${level.problem ? `: ${level.problem}` : ''})`;
  }
  if (level.levelPct >= highPct)
    return `refused: level ${Math.round(level.levelPct)}% is at or above the high threshold (${highPct}%)`;
  if (state.lockout) return `refused: refill is locked out (${state.lockout.reason}); reset alarms first`;
  return undefined;
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
