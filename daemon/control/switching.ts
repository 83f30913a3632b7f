// Anti-chatter for any output (fill valve, pump), one rule for both: it turns on only after its minimum
// off time and within its starts per rolling hour and per rolling day; a routine turn-off waits for its
// minimum on time; a safety stop (or a person's off) acts at once.

import { DAY_MS, HOUR_MS } from '../units.js';

export interface SwitchLimits {
  minOnMs: number;
  minOffMs: number;
  maxStartsPerHour: number;
  maxStartsPerDay: number;
}

export interface OutputHistory {
  on: boolean;
  changedAtMs: number;
  /** Start times within the last day, oldest first. */
  starts: number[];
}

export interface SwitchOutcome extends OutputHistory {
  /** Why the output is not where it was wanted, in words. */
  holding?: string;
  /** The wanted start was refused by the starts-per-hour or per-day limit (short-cycling). */
  startLimited: boolean;
}

/** How the holding text speaks of an output. */
export interface OutputWords {
  name: string;
  on: string;
  off: string;
  started: string;
}

export const VALVE_WORDS: OutputWords = { name: 'valve', on: 'open', off: 'closed', started: 'opened' };
export const PUMP_WORDS: OutputWords = { name: 'pump', on: 'on', off: 'off', started: 'started' };

/** The output's next state. `actOnOff`: a safety stop or a person's off, which skips the minimum on time. */
export function nextSwitch(
  h: OutputHistory,
  want: boolean,
  actOnOff: boolean,
  limits: SwitchLimits,
  now: number,
  words: OutputWords,
): SwitchOutcome {
  const starts = withinLastDay(h.starts, now);
  // Most ticks: the output is where it is wanted (this runs for every output on every tick).
  if (want === h.on) return { on: h.on, changedAtMs: h.changedAtMs, starts, startLimited: false };
  const name = words.name;
  const stay = (holding: string, startLimited = false): SwitchOutcome => ({
    on: h.on,
    changedAtMs: h.changedAtMs,
    starts,
    startLimited,
    holding: `${name} ${holding}`,
  });
  if (want) {
    if (now - h.changedAtMs < limits.minOffMs)
      return stay(`waits for its minimum ${words.off} time (${limits.minOffMs / 1000} s)`);
    const lastHour = countSince(starts, now - HOUR_MS);
    if (lastHour >= limits.maxStartsPerHour)
      return stay(
        `${words.started} ${lastHour} times in the last hour (limit ${limits.maxStartsPerHour})`,
        true,
      );
    if (starts.length >= limits.maxStartsPerDay)
      return stay(
        `${words.started} ${starts.length} times in the last 24 hours (limit ${limits.maxStartsPerDay})`,
        true,
      );
    return { on: true, changedAtMs: now, starts: [...starts, now], startLimited: false };
  }
  if (!actOnOff && now - h.changedAtMs < limits.minOnMs)
    return stay(`waits for its minimum ${words.on} time (${limits.minOnMs / 1000} s)`);
  return { on: false, changedAtMs: now, starts, startLimited: false };
}

/** The times within the last day; the same array when none has expired (this runs every tick). */
function withinLastDay(times: number[], now: number): number[] {
  return times.length > 0 && now - times[0]! >= DAY_MS ? times.filter((t) => now - t < DAY_MS) : times;
}

function countSince(times: number[], since: number): number {
  let n = 0;
  for (let i = times.length - 1; i >= 0 && times[i]! > since; i--) n++;
  return n;
}
