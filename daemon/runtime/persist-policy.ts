// When to write the state file: at once when something a restart must not lose changes (mode, latch,
// outputs, lockouts, overrides, alarms), otherwise every few minutes for the flow statistics. An SD card
// is a consumable: a snapshot is a few kilobytes, so this stays far below the 10 MB/day budget.

import type { ControllerState } from '../control/types.js';

export const PERIODIC_SAVE_MS = 10 * 60_000;

export function needsSave(
  saved: ControllerState | undefined,
  next: ControllerState,
  savedAtMs: number,
  nowMs: number,
): boolean {
  if (!saved || nowMs - savedAtMs >= PERIODIC_SAVE_MS) return true;
  return (
    saved.mode !== next.mode ||
    saved.wantFill !== next.wantFill ||
    saved.criticalFill !== next.criticalFill ||
    saved.valveOpen !== next.valveOpen ||
    saved.pumpOn !== next.pumpOn ||
    saved.pumpLowLatched !== next.pumpLowLatched ||
    saved.manual !== next.manual ||
    saved.lockout !== next.lockout ||
    saved.thresholds !== next.thresholds ||
    !sameKeys(saved.alarms, next.alarms)
  );
}

function sameKeys(a: object, b: object): boolean {
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => k in b);
}
