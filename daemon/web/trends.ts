// Trends from the local history, as pure functions: the level line over 24 h / 7 d / 30 d with its gaps
// and refill periods, litres used per local day, and the days of water left at the recent rate.
//
// Use is measured where it can be seen: while the fill valve is closed every fall in level is water
// used. While it is open the inflow hides the use, so use during a refill is taken at the same day's
// closed-valve rate. A rise with the valve closed (rain on the roof) is not use.

import type { HistoryPoint } from '../storage/telemetry-store.js';

export const RANGES = { '24h': 86_400_000, '7d': 7 * 86_400_000, '30d': 30 * 86_400_000 } as const;
export type TrendRange = keyof typeof RANGES;

const DAY_MS = 86_400_000;
/** Points of the chart per range: 5-minute points for a day and a week, half-hours for a month. */
const STEP_MS: Record<TrendRange, number> = { '24h': 300_000, '7d': 300_000, '30d': 1_800_000 };
/** Two points further apart than this are a gap (the gateway was off, or the clock unsynced). */
const GAP_MS = 15 * 60_000;
/** The recent rate of use: over this window before now. */
export const RECENT_USE_MS = 7 * DAY_MS;
/** Below this much use a day, the tank is not going to run dry: no estimate. */
const MIN_USE_LITRES_PER_DAY = 1;
/** A day counts as complete when the history covers this share of it. */
const COMPLETE_DAY_SHARE = 0.9;

export interface Trend {
  range: TrendRange;
  fromMs: number;
  toMs: number;
  stepMs: number;
  /** Columns for the chart (seconds since the epoch; null breaks the line at a gap). */
  t: number[];
  pct: (number | null)[];
  litres: (number | null)[];
  valve: (0 | 1 | null)[];
  /** Refill periods (valve open), seconds since the epoch. */
  refills: [number, number][];
  daily: DailyUse[];
  /** Litres used per day over the last RECENT_USE_MS (null: too little history). */
  usePerDayLitres: number | null;
  /** Days until empty at that rate (null: no estimate, e.g. not falling). */
  daysLeft: number | null;
}

export interface DailyUse {
  /** Local date, YYYY-MM-DD. */
  day: string;
  usedLitres: number;
  refilledLitres: number;
  /** The history covers (nearly) the whole day. */
  complete: boolean;
}

/** Local day number (days since the epoch in the gateway's time zone) for a wall time. */
export type LocalDay = (wallMs: number) => number;

/** A LocalDay from something that knows the local hour (daemon/clock.ts LocalTime). */
export function localDayFrom(hourOfDay: (wallMs: number) => number): LocalDay {
  return (t) => Math.floor((t + offsetFrom(hourOfDay, t)) / DAY_MS);
}

function offsetFrom(hourOfDay: (wallMs: number) => number, t: number): number {
  const localMsInDay = hourOfDay(t) * 3_600_000;
  const utcMsInDay = ((t % DAY_MS) + DAY_MS) % DAY_MS;
  let offset = localMsInDay - utcMsInDay;
  if (offset > DAY_MS / 2) offset -= DAY_MS;
  if (offset < -DAY_MS / 2) offset += DAY_MS;
  return Math.round(offset / 60_000) * 60_000;
}

/**
 * A LocalDay for a time zone that asks Intl (slow) about twice per UTC day instead of per point: a day
 * whose offset is the same at its start and end has it throughout; a day with a change (DST) is asked
 * per hour.
 */
export function localDayIn(hourOfDay: (wallMs: number) => number): LocalDay {
  const perDay = new Map<number, number | Map<number, number>>();
  return (t) => {
    const utcDay = Math.floor(t / DAY_MS);
    let entry = perDay.get(utcDay);
    if (entry === undefined) {
      const a = offsetFrom(hourOfDay, utcDay * DAY_MS);
      const b = offsetFrom(hourOfDay, (utcDay + 1) * DAY_MS - 1);
      entry = a === b ? a : new Map<number, number>();
      perDay.set(utcDay, entry);
    }
    let offset: number;
    if (typeof entry === 'number') {
      offset = entry;
    } else {
      const hour = Math.floor(t / 3_600_000);
      offset = entry.get(hour) ?? offsetFrom(hourOfDay, hour * 3_600_000);
      entry.set(hour, offset);
    }
    return Math.floor((t + offset) / DAY_MS);
  };
}

export function buildTrend(
  points: readonly HistoryPoint[],
  range: TrendRange,
  nowMs: number,
  localDay: LocalDay,
  currentLitres: number | null,
): Trend {
  const fromMs = nowMs - RANGES[range];
  const shown = points.filter((p) => p.t >= fromMs && p.t <= nowMs);
  const series = downsample(shown, STEP_MS[range]);
  const recent = points.filter((p) => p.t >= nowMs - RECENT_USE_MS && p.t <= nowMs);
  const recentUse = measureUse(recent);
  const usePerDayLitres =
    recentUse.observedMs >= DAY_MS / 2 ? round((recentUse.used / recentUse.observedMs) * DAY_MS) : null;
  const litresNow = currentLitres ?? points.at(-1)?.litres ?? null;
  const daysLeft =
    usePerDayLitres !== null && usePerDayLitres >= MIN_USE_LITRES_PER_DAY && litresNow !== null
      ? Math.round((litresNow / usePerDayLitres) * 10) / 10
      : null;
  return {
    range,
    fromMs,
    toMs: nowMs,
    stepMs: STEP_MS[range],
    ...series,
    refills: refillPeriods(shown),
    daily: dailyUse(
      points.filter((p) => p.t >= Math.min(fromMs, nowMs - RECENT_USE_MS)),
      localDay,
    ),
    usePerDayLitres,
    daysLeft,
  };
}

/** One point per step (the last of the step; the valve open if it was open at any point of it). */
function downsample(
  points: readonly HistoryPoint[],
  stepMs: number,
): Pick<Trend, 't' | 'pct' | 'litres' | 'valve'> {
  const t: number[] = [];
  const pct: (number | null)[] = [];
  const litres: (number | null)[] = [];
  const valve: (0 | 1 | null)[] = [];
  let bucket = -1;
  let lastT = -Infinity;
  for (const p of points) {
    const b = Math.floor(p.t / stepMs);
    if (b === bucket) {
      const i = t.length - 1;
      pct[i] = p.levelPct;
      litres[i] = p.litres;
      if (p.valveOpen) valve[i] = 1;
      lastT = p.t;
      continue;
    }
    if (t.length > 0 && p.t - lastT > Math.max(GAP_MS, 2 * stepMs)) {
      // A null between two points breaks the line: a gap is shown as a gap, never as a slope.
      t.push(Math.round((lastT + stepMs) / 1000));
      pct.push(null);
      litres.push(null);
      valve.push(null);
    }
    bucket = b;
    t.push(Math.round((b * stepMs) / 1000));
    pct.push(p.levelPct);
    litres.push(p.litres);
    valve.push(p.valveOpen ? 1 : 0);
    lastT = p.t;
  }
  return { t, pct, litres, valve };
}

function refillPeriods(points: readonly HistoryPoint[]): [number, number][] {
  const out: [number, number][] = [];
  let start: number | undefined;
  let last: number | undefined;
  for (const p of points) {
    const gap = last !== undefined && p.t - last > GAP_MS;
    if (start !== undefined && (!p.valveOpen || gap)) {
      out.push([Math.round(start / 1000), Math.round((gap ? last! : p.t) / 1000)]);
      start = undefined;
    }
    if (p.valveOpen && start === undefined) start = p.t;
    last = p.t;
  }
  if (start !== undefined && last !== undefined)
    out.push([Math.round(start / 1000), Math.round(last / 1000)]);
  return out;
}

interface UseMeasure {
  used: number;
  refilled: number;
  /** Time covered by consecutive points (no gaps). */
  observedMs: number;
}

/** Use and refill volume over consecutive points (see the rule at the top of the file). */
export function measureUse(points: readonly HistoryPoint[]): UseMeasure {
  let drops = 0;
  let openNet = 0;
  let closedMs = 0;
  let openMs = 0;
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1]!;
    const b = points[i]!;
    const dt = b.t - a.t;
    if (dt <= 0 || dt > GAP_MS) continue;
    const change = b.litres - a.litres;
    if (!a.valveOpen && !b.valveOpen) {
      closedMs += dt;
      if (change < 0) drops -= change;
    } else {
      openMs += dt;
      openNet += change;
    }
  }
  const hiddenUse = closedMs > 0 ? (drops / closedMs) * openMs : 0;
  return {
    used: drops + hiddenUse,
    refilled: Math.max(0, openNet + hiddenUse),
    observedMs: closedMs + openMs,
  };
}

export function dailyUse(points: readonly HistoryPoint[], localDay: LocalDay): DailyUse[] {
  const byDay = new Map<number, HistoryPoint[]>();
  for (const p of points) {
    const d = localDay(p.t);
    let list = byDay.get(d);
    if (!list) byDay.set(d, (list = []));
    list.push(p);
  }
  return [...byDay.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([d, list]) => {
      const m = measureUse(list);
      return {
        day: new Date(d * DAY_MS).toISOString().slice(0, 10),
        usedLitres: round(m.used),
        refilledLitres: round(m.refilled),
        complete: m.observedMs >= COMPLETE_DAY_SHARE * DAY_MS - GAP_MS,
      };
    });
}

function round(x: number): number {
  return Math.round(x);
}
