// Units and rounding in one place: time spans in milliseconds, and rounding for people and payloads.
// (Drivers import from here too: these are plain numbers, not daemon policy.)

export const SECOND_MS = 1000;
export const MINUTE_MS = 60 * SECOND_MS;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

/** Rounds to `digits` decimals (1 by default): 54.26 -> 54.3. */
export function roundTo(x: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
