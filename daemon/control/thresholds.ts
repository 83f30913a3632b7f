// The refill thresholds' rules, in one place for the config file and the `thresholds` command: the same
// values are refused the same way whichever door they come through. And what a config edit does to
// thresholds set earlier by command: the newer word wins (see reconcileThresholds).

import type { ControllerState } from './types.js';
import type { ControlRules } from './tick.js';

/** Every value a threshold rule may involve, by the name the config file gives it. */
export interface ThresholdValues {
  lowPct: number;
  highPct: number;
  criticalPct: number;
  windowTopUpBelowPct?: number;
  /** Level of the high-high electrode, percent of capacity. */
  highHighPct?: number;
  pumpStopBelowPct?: number;
}

export type ThresholdKey = keyof ThresholdValues;

export interface ThresholdProblem {
  /** The values in conflict, the one to change first (a config reader blames the first one the user wrote). */
  keys: [ThresholdKey, ...ThresholdKey[]];
  message: string;
}

/** Halfway from the high threshold to the brim: where `level-high` warns, and a check fill's ceiling. */
export function nearBrimPct(highPct: number): number {
  return (highPct + 100) / 2;
}

const pct = (x: number) => `${Math.round(x * 100) / 100}%`;

export function thresholdProblems(v: ThresholdValues): ThresholdProblem[] {
  const problems: ThresholdProblem[] = [];
  const add = (keys: ThresholdProblem['keys'], message: string) => problems.push({ keys, message });
  if (v.lowPct >= v.highPct)
    add(['lowPct', 'highPct'], `lowPct (${pct(v.lowPct)}) must be below highPct (${pct(v.highPct)})`);
  if (v.highPct >= 100)
    add(['highPct'], 'highPct must be below 100% (the brim): leave room to stop the fill');
  if (v.criticalPct > v.lowPct)
    add(
      ['criticalPct', 'lowPct'],
      `criticalPct (${pct(v.criticalPct)}) must not exceed lowPct (${pct(v.lowPct)})`,
    );
  if (v.windowTopUpBelowPct !== undefined && v.windowTopUpBelowPct >= v.highPct)
    add(
      ['windowTopUpBelowPct', 'highPct'],
      `windowTopUpBelowPct (${pct(v.windowTopUpBelowPct)}) must be below highPct (${pct(v.highPct)}), or refill windows lose the hysteresis band`,
    );
  if (v.highHighPct !== undefined && v.highHighPct <= v.highPct)
    add(
      ['highPct', 'highHighPct'],
      `highPct (${pct(v.highPct)}) must be below the high-high electrode (${pct(v.highHighPct)}): the probe is the independent stop above the control level`,
    );
  if (v.pumpStopBelowPct !== undefined && v.lowPct <= v.pumpStopBelowPct)
    add(
      ['lowPct', 'pumpStopBelowPct'],
      `lowPct (${pct(v.lowPct)}) must be above the pump's stop level (${pct(v.pumpStopBelowPct)}): refilling must start before the pump stops for dry run`,
    );
  return problems;
}

/** The tank's values with a proposed low/high (from a command). */
export function valuesFor(rules: ControlRules, lowPct: number, highPct: number): ThresholdValues {
  const c = rules.control;
  return {
    lowPct,
    highPct,
    criticalPct: c.criticalPct,
    windowTopUpBelowPct: c.windowTopUpBelowPct,
    highHighPct: rules.highHighPct,
    pumpStopBelowPct: rules.pump?.stopBelowPct,
  };
}

/** The thresholds in force: an admin's command until changed, else the config's. */
export function thresholds(rules: ControlRules, state: ControllerState): { lowPct: number; highPct: number } {
  return state.thresholds ?? { lowPct: rules.control.lowPct, highPct: rules.control.highPct };
}

/**
 * On start: thresholds set by command stay in force across restarts, unless the config's own thresholds
 * were edited since (the installer's edit is the newer word) or they break a rule of the current config.
 * Returns the state to use and, when the override was dropped, why (for the log and the audit).
 */
export function reconcileThresholds(
  rules: ControlRules,
  state: ControllerState,
): { state: ControllerState; note?: string } {
  const t = state.thresholds;
  if (!t) return { state };
  const c = rules.control;
  const configText = `${c.lowPct}/${c.highPct}%`;
  let why: string | undefined;
  if (t.configLowPct !== c.lowPct || t.configHighPct !== c.highPct)
    why = `the config's thresholds were edited since (${t.configLowPct}/${t.configHighPct}% -> ${configText})`;
  else {
    const problem = thresholdProblems(valuesFor(rules, t.lowPct, t.highPct))[0];
    if (problem) why = `they break a rule of the current config: ${problem.message}`;
  }
  if (!why) return { state };
  return {
    state: { ...state, thresholds: undefined },
    note: `thresholds ${t.lowPct}/${t.highPct}% set by ${t.by} dropped: ${why}; the config's ${configText} are in force`,
  };
}
