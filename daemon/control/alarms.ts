// Alarm kinds' severities and timing, and the one-shot alarms raised outside a control step.

import { MINUTE_MS } from '../units.js';
import type { AlarmKind, ControlEvent, ControllerState, EventSeverity } from './types.js';

/** An alarm clears only after its condition has been gone this long (no flapping notifications). */
export const ALARM_CLEAR_DELAY_MS = 5 * MINUTE_MS;

export const ALARM_SEVERITY: Record<AlarmKind, EventSeverity> = {
  'sensor-stale': 'alarm',
  'sensor-noisy': 'warning',
  'sensor-disagree': 'alarm',
  'high-high': 'alarm',
  'dry-run': 'alarm',
  'no-rise': 'alarm',
  'fill-timeout': 'alarm',
  leak: 'alarm',
  'short-cycling': 'warning',
  'level-high': 'warning',
  'level-critical': 'alarm',
  'unclean-restart': 'warning',
  'clock-unsynced': 'info',
  'probe-fault': 'alarm',
};

/** Raises a one-shot alarm that clears itself after `forMs` (e.g. an unclean restart). */
export function raiseTimedAlarm(
  state: ControllerState,
  kind: AlarmKind,
  message: string,
  now: number,
  forMs: number,
): { state: ControllerState; event: ControlEvent } {
  return {
    state: {
      ...state,
      alarms: { ...state.alarms, [kind]: { sinceMs: now, message, clearAtMs: now + forMs } },
    },
    event: { type: 'alarm', alarm: kind, active: true, severity: ALARM_SEVERITY[kind], message },
  };
}
