// The guards around a refill: the independent high-high trip and its latch, the fill-time guard (a stuck
// level sensor), and the no-rise guard (no mains pressure, a stuck valve). The no-rise check counts valve
// open time only, across openings and pauses, so a fill cut into short openings is still checked.

import { MINUTE_MS, roundTo } from '../units.js';
import { levelAgreesWithProbes } from './level-usable.js';
import { mark } from './pump.js';
import type { Tick } from './tick.js';
import type { Fill, FillTrip } from './types.js';

/** After a fill trip, the level sensor must have moved this much before it is trusted to fill again. */
export const HIGH_HIGH_RELEASE_MOVE_PCT = 2;
const NO_RISE_MAX_BACKOFF = 8;

// ---- fill trips: high-high, and a probe the level sensor did not see ------------------------------

/**
 * A wet high-high probe is a safety trip (API 2350): the fill stays off, not retried by the next tick,
 * until the probe is dry again and the level sensor reads plausibly: it agrees with the probes and has
 * moved since the trip (a stuck sensor never moves), or an admin resets alarms. A probe that goes wet
 * during a fill while the level sensor reads well below it trips the same way (the sensor reads low: left
 * alone, the fill would chatter at that probe until the high-high one stops it).
 */
export function updateFillTrip(t: Tick, pct: number | undefined): void {
  const { s, input, now } = t;
  const level = input.level;
  const sensorPct = level.levelPct !== undefined ? { sensorPct: level.levelPct } : {};
  const wetter = level.disagreements?.find((d) => d.kind === 'probe-wetter');
  if (level.highHighWet && s.fillTrip?.cause !== 'high-high') {
    s.fillTrip = { cause: 'high-high', sinceMs: now, ...sensorPct };
  } else if (!s.fillTrip && wetter && s.valveOpen) {
    s.fillTrip = { cause: 'probe-wetter', sinceMs: now, electrode: wetter.electrode, ...sensorPct };
  } else if (!level.highHighWet && s.fillTrip && sensorPlausibleAgain(t, s.fillTrip.sensorPct)) {
    s.fillTrip = undefined;
  }
  const trip = s.fillTrip;
  t.alarm('high-high', level.highHighWet || trip?.cause === 'high-high', () => highHighMessage(t, pct));
}

/** Why the fill is held after a trip, for the valve's event and the holding text. */
export function fillTripText(trip: FillTrip): string {
  const what =
    trip.cause === 'high-high'
      ? 'high-high trip'
      : `probe "${trip.electrode}" went wet unseen by the level sensor`;
  return `${what}: held closed until the level sensor reads plausibly again or an admin resets alarms`;
}

function sensorPlausibleAgain(t: Tick, pctAtTrip: number | undefined): boolean {
  const level = t.input.level;
  if (!levelAgreesWithProbes(level)) return false;
  return pctAtTrip === undefined || Math.abs(level.levelPct - pctAtTrip) >= HIGH_HIGH_RELEASE_MOVE_PCT;
}

function highHighMessage(t: Tick, pct: number | undefined): string {
  const sensor = t.input.level.levelPct;
  const probePct = t.rules.highHighPct;
  const tolerance = t.c.disagreeTolerancePct;
  if (sensor !== undefined && probePct !== undefined && sensor < probePct - tolerance)
    return (
      `High-high probe wet while the level sensor reads ${Math.round(sensor)}%: fill valve closed and held ` +
      'closed until the level sensor reads plausibly again (check it: stuck or misreading?) or an admin resets alarms'
    );
  return `High-high probe wet${pct !== undefined ? ` at ${Math.round(pct)}%` : ''}: fill valve closed`;
}

// ---- the fill and its guards ----------------------------------------------------------------------

/** A refill cycle begins when refilling is wanted (or the valve is open) on a usable level. */
export function trackFill(t: Tick, pct: number | undefined): void {
  const { s, input, now } = t;
  if (s.fill || !(s.wantFill || s.valveOpen) || pct === undefined || input.level.litres === undefined) return;
  s.fill = {
    startedAtMs: now,
    startLitres: input.level.litres,
    startEchoPct: mark(input.level, pct).echoPct,
    openMsBefore: 0,
    riseCheck: { openMsSum: 0, risePctSum: 0 },
    ...(s.valveOpen ? { openSegment: { atMs: now, pct } } : {}),
  };
}

/** The fill-time and no-rise guards, while the valve is open: a trip closes it and locks refill out. */
export function checkFillGuards(t: Tick, pct: number | undefined): string | undefined {
  const { s, c, now } = t;
  const fill = s.fill;
  if (!s.valveOpen || !fill || pct === undefined) return clearGuardAlarms(t);
  const openTotalMs = fill.openMsBefore + (now - s.valveChangedAtMs);
  if (openTotalMs > c.maxFillMinutes * MINUTE_MS) {
    s.lockout = { reason: 'fill-timeout', untilMs: now + c.fillLockoutMinutes * MINUTE_MS };
    t.alarm(
      'fill-timeout',
      true,
      () => `Fill ran longer than ${c.maxFillMinutes} min: valve closed (level sensor stuck?)`,
    );
    s.fill = undefined; // the next attempt is a new fill, with the full allowance
    return 'refill locked out after the fill-time guard tripped';
  }
  const seg = fill.openSegment ?? { atMs: now, pct };
  const checkedMs = fill.riseCheck.openMsSum + (now - seg.atMs);
  if (checkedMs < c.noRiseMinutes * MINUTE_MS) return clearGuardAlarms(t);
  const rise = fill.riseCheck.risePctSum + (pct - seg.pct);
  if (rise >= c.noRiseMinPct) {
    // Rising: a new check interval starts now.
    s.fill = { ...fill, riseCheck: { openMsSum: 0, risePctSum: 0 }, openSegment: { atMs: now, pct } };
    s.noRiseTrips = 0;
    return clearGuardAlarms(t);
  }
  s.noRiseTrips += 1;
  const backoff = Math.min(2 ** (s.noRiseTrips - 1), NO_RISE_MAX_BACKOFF);
  s.lockout = { reason: 'no-rise', untilMs: now + c.noRiseRetryMinutes * backoff * MINUTE_MS };
  t.alarm(
    'no-rise',
    true,
    () =>
      `Valve open ${c.noRiseMinutes} min in all but the level rose only ${roundTo(rise)}% (no mains pressure or valve stuck)`,
  );
  s.fill = undefined; // the retry is a new fill
  return 'refill paused after no rise';
}

/** Guard alarms last while their cause does: until a fill rises again, or the lockout ends. */
function clearGuardAlarms(t: Tick): undefined {
  const { s } = t;
  if (s.noRiseTrips === 0) t.alarm('no-rise', false);
  if (s.lockout?.reason !== 'fill-timeout') t.alarm('fill-timeout', false);
  return undefined;
}

/** The valve opens: a new open segment of the fill begins. */
export function openSegment(t: Tick, pct: number | undefined): void {
  const { s, now } = t;
  if (s.fill && pct !== undefined) s.fill = { ...s.fill, openSegment: { atMs: now, pct } };
}

/** The valve closes: the segment's open time counts towards the fill time and, with its rise, the no-rise check. */
export function closeSegment(t: Tick, pct: number | undefined): void {
  const { s, now } = t;
  const fill: Fill | undefined = s.fill;
  if (!fill) return;
  const openMs = now - s.valveChangedAtMs;
  const seg = fill.openSegment;
  // Without a level at the close the segment's rise is unknown: its open time counts with no rise (the
  // guard errs towards tripping, never towards filling on).
  const riseCheck = seg
    ? {
        openMsSum: fill.riseCheck.openMsSum + (now - seg.atMs),
        risePctSum: fill.riseCheck.risePctSum + (pct !== undefined ? pct - seg.pct : 0),
      }
    : fill.riseCheck;
  const { openSegment: _closed, ...rest } = fill;
  s.fill = { ...rest, openMsBefore: fill.openMsBefore + openMs, riseCheck };
}
