// Refill windows and quiet hours: local minute-of-day ranges that may wrap past midnight.

import type { ControlConfig } from '../config/schema.js';

/** Whether a refill may run now under the configured windows. */
export function refillWindowAllows(
  c: ControlConfig,
  minuteOfDay: number | undefined,
  pct: number | undefined,
): boolean {
  if (c.refillWindows.length === 0) return true;
  if (pct !== undefined && pct < c.criticalPct) return true;
  if (minuteOfDay === undefined) return c.whenClockUnsynced === 'ignore-windows';
  return c.refillWindows.some((w) => inWindow(w, minuteOfDay));
}

/** Whether a local minute of the day falls in a window; windows may wrap past midnight. */
export function inWindow(window: { from: string; to: string }, minuteOfDay: number): boolean {
  const from = minutesOf(window.from);
  const to = minutesOf(window.to);
  return from < to ? minuteOfDay >= from && minuteOfDay < to : minuteOfDay >= from || minuteOfDay < to;
}

/** "HH:MM" to minutes; the schema has already checked the format. */
function minutesOf(hhmm: string): number {
  return (
    (hhmm.charCodeAt(0) - 48) * 600 +
    (hhmm.charCodeAt(1) - 48) * 60 +
    (hhmm.charCodeAt(3) - 48) * 10 +
    (hhmm.charCodeAt(4) - 48)
  );
}
