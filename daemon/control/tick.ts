// One control step's working context: the rules, the input, the state being built from the previous one,
// the events raised so far and the alarm helper. The phases of decide() take it and fill it in.

import type { ControlConfig, PumpConfig } from '../config/schema.js';
import { ALARM_CLEAR_DELAY_MS, ALARM_SEVERITY } from './alarms.js';
import type { AlarmKind, ControlEvent, ControllerInput, ControllerState } from './types.js';

export interface ControlRules {
  control: ControlConfig;
  pump?: PumpConfig;
  capacityLitres: number;
  leakLitresPerHour: number;
  /** The dry-run electrode, with its level in percent of capacity. */
  dryRunProbe?: { id: string; pct: number };
  /** Level of the high-high electrode in percent of capacity. */
  highHighPct?: number;
  /**
   * The lowest level electrode above the dry-run probe: a second witness of water. A fill that reaches it
   * proves water above a dry-run probe that reads dry (see pump.ts).
   */
  witnessProbe?: { id: string; pct: number };
}

export interface Tick {
  readonly rules: ControlRules;
  readonly c: ControlConfig;
  readonly input: ControllerInput;
  readonly now: number;
  /** The new state, a shallow copy of the previous one (nested values are replaced, never mutated). */
  readonly s: ControllerState;
  readonly events: ControlEvent[];
  /** Raises (at once) or clears (after ALARM_CLEAR_DELAY_MS) an alarm; the message is built on raise only. */
  alarm(kind: AlarmKind, active: boolean, describe?: () => string): void;
}

export function startTick(rules: ControlRules, previous: ControllerState, input: ControllerInput): Tick {
  const s: ControllerState = { ...previous };
  const events: ControlEvent[] = [];
  const now = input.nowMs;
  // Copy-on-write: most ticks change no alarm, and this runs millions of times in a simulation.
  let copied = false;
  const alarms = () => {
    if (!copied) {
      s.alarms = { ...s.alarms };
      copied = true;
    }
    return s.alarms;
  };
  const alarm = (kind: AlarmKind, active: boolean, describe: () => string = () => kind) => {
    const current = s.alarms[kind];
    if (active) {
      if (!current) {
        const message = describe();
        alarms()[kind] = { sinceMs: now, message };
        events.push({ type: 'alarm', alarm: kind, active: true, severity: ALARM_SEVERITY[kind], message });
      } else if (current.clearingSinceMs !== undefined) {
        const { clearingSinceMs: _gone, ...still } = current;
        alarms()[kind] = still;
      }
      return;
    }
    if (!current || current.clearAtMs !== undefined) return;
    if (current.clearingSinceMs === undefined) alarms()[kind] = { ...current, clearingSinceMs: now };
    else if (now - current.clearingSinceMs >= ALARM_CLEAR_DELAY_MS) {
      delete alarms()[kind];
      events.push({
        type: 'alarm',
        alarm: kind,
        active: false,
        severity: ALARM_SEVERITY[kind],
        message: current.message,
      });
    }
  };
  const tick: Tick = { rules, c: rules.control, input, now, s, events, alarm };
  expireTimedAlarms(tick, alarms);
  return tick;
}

/** One-shot alarms (an unclean restart) clear themselves at their time. */
function expireTimedAlarms(t: Tick, alarms: () => ControllerState['alarms']): void {
  for (const kind of Object.keys(t.s.alarms) as AlarmKind[]) {
    const a = t.s.alarms[kind]!;
    if (a.clearAtMs === undefined || t.now < a.clearAtMs) continue;
    delete alarms()[kind];
    t.events.push({
      type: 'alarm',
      alarm: kind,
      active: false,
      severity: ALARM_SEVERITY[kind],
      message: a.message,
    });
  }
}
