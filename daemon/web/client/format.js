// Numbers and times for people: litres with thousands separators, times in the gateway's time zone
// (the farm's), relative ages.

import { LOCALE, t } from './strings.js';

let timeZone = 'UTC';
const number0 = new Intl.NumberFormat(LOCALE, { maximumFractionDigits: 0 });
const number1 = new Intl.NumberFormat(LOCALE, { maximumFractionDigits: 1 });
/** @type {Intl.DateTimeFormat} */
let clock;
/** @type {Intl.DateTimeFormat} */
let dayClock;
/** @type {Intl.DateTimeFormat} */
let dayName;
/** @type {Intl.DateTimeFormat} */
let shortDayFormat = new Intl.DateTimeFormat(LOCALE);

/** @param {string} zone IANA name, from the gateway */
export function setTimeZone(zone) {
  try {
    new Intl.DateTimeFormat(LOCALE, { timeZone: zone });
    timeZone = zone;
  } catch {
    timeZone = 'UTC';
  }
  clock = new Intl.DateTimeFormat(LOCALE, { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  dayClock = new Intl.DateTimeFormat(LOCALE, {
    timeZone,
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  });
  dayName = new Intl.DateTimeFormat(LOCALE, {
    timeZone: 'UTC',
    weekday: 'short',
    day: 'numeric',
    month: 'short',
  });
}
setTimeZone('UTC');

/** @param {number|null|undefined} x */
export function litres(x) {
  return x === null || x === undefined ? t.levelUnknown : number0.format(x);
}

/** @param {number|null|undefined} x */
export function pct(x) {
  return x === null || x === undefined ? t.levelUnknown : number0.format(x);
}

/** @param {number|null|undefined} x */
export function one(x) {
  return x === null || x === undefined ? t.levelUnknown : number1.format(x);
}

/**
 * A time: today as HH:MM, otherwise with the day.
 * @param {string|number|Date|null|undefined} when
 */
export function time(when) {
  if (when === null || when === undefined) return t.unknown;
  const d = new Date(when);
  if (Number.isNaN(d.getTime())) return t.unknown;
  return Math.abs(Date.now() - d.getTime()) < 20 * 3600_000 ? clock.format(d) : dayClock.format(d);
}

export function zone() {
  return timeZone;
}

/** @param {string|number|Date} when */
export function clockTime(when) {
  return clock.format(new Date(when));
}

/** @param {string|number|Date} when */
export function shortDay(when) {
  return shortDayFormat.format(new Date(when));
}

/** @param {string|number|Date} when */
export function dayTime(when) {
  return dayClock.format(new Date(when));
}

/** @param {string} isoDay YYYY-MM-DD (a local date) */
export function day(isoDay) {
  return dayName.format(new Date(`${isoDay}T12:00:00Z`));
}

/**
 * "10:42 (3 min ago)"
 * @param {string|null|undefined} when
 * @param {number} nowMs
 */
export function timeAgo(when, nowMs) {
  if (!when) return t.unknown;
  const ms = Date.parse(when);
  if (Number.isNaN(ms)) return t.unknown;
  const ageS = Math.max(0, (nowMs - ms) / 1000);
  return ageS < 5 ? t.justNow(time(when)) : t.relative(time(when), t.ago(ageS));
}

/** Megabytes, or gigabytes from 1 GB on. @param {number} mb */
export function size(mb) {
  return mb >= 1024 ? t.gigabytes(number1.format(mb / 1024)) : t.megabytes(number0.format(mb));
}

/**
 * "10:42 (3 min ago)" from a time and an age in seconds.
 * @param {string|null|undefined} when
 * @param {number|null} ageS
 */
export function timeWithAge(when, ageS) {
  if (!when || ageS === null) return t.unknown;
  return ageS < 5 ? t.justNow(time(when)) : t.relative(time(when), t.ago(ageS));
}

/** @param {number} s */
export function duration(s) {
  return t.durationMin(s / 60);
}
