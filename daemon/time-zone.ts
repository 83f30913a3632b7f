// The UTC offset of an IANA time zone at any instant, read from the system's tz database (the TZif files
// of /usr/share/zoneinfo, RFC 8536) rather than from Intl: ICU's date formatting maps ~6 MB of the node
// binary into memory for what is a table lookup, and a Pi Zero 2 W has 512 MB for everything. Where the
// system has no tz database (no tzdata package), Intl answers instead: the same offsets, more memory.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TimeZone {
  readonly name: string;
  /** Local time minus UTC, in milliseconds, at an instant. */
  offsetMsAt(wallMs: number): number;
}

const DEFAULT_TZDIR = '/usr/share/zoneinfo';
const loaded = new Map<string, TimeZone>();

/** The named zone (cached), from the tz database if it has it, else from Intl; throws if neither knows it. */
export function timeZone(name: string, tzDir = process.env.TZDIR ?? DEFAULT_TZDIR): TimeZone {
  const key = `${tzDir}\0${name}`;
  let zone = loaded.get(key);
  if (!zone) {
    zone = zoneFromDatabase(name, tzDir) ?? intlZone(name);
    loaded.set(key, zone);
  }
  return zone;
}

/** Why a zone name cannot be used (for the config check), or undefined if it can. */
export function timeZoneProblem(name: string): string | undefined {
  try {
    timeZone(name);
    return undefined;
  } catch (err) {
    return err instanceof RangeError
      ? `unknown time zone "${name}" (use an IANA name like Europe/Paris)`
      : `time zone "${name}": ${(err as Error).message}`;
  }
}

/** The zone from its TZif file; undefined when the database has no such file (or no database at all). */
export function zoneFromDatabase(name: string, tzDir: string): TimeZone | undefined {
  if (!/^[A-Za-z0-9_+-]+(\/[A-Za-z0-9_+-]+)*$/.test(name)) return undefined;
  const file = join(tzDir, name);
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch {
    return undefined;
  }
  const table = parseTzif(bytes, file);
  return { name, offsetMsAt: (wallMs) => table.offsetSecondsAt(Math.floor(wallMs / 1000)) * 1000 };
}

// ---- TZif (RFC 8536) -------------------------------------------------------------------------------

interface TransitionTable {
  offsetSecondsAt(unixSeconds: number): number;
}

/** Transition times with the UTC offset that starts at each, then the footer's rule for later times. */
export function parseTzif(bytes: Buffer, source: string): TransitionTable {
  if (bytes.length < 44 || bytes.toString('latin1', 0, 4) !== 'TZif')
    throw new Error(`${source}: not a TZif file (no "TZif" magic)`);
  const version = bytes[4] === 0 ? 1 : Number(String.fromCharCode(bytes[4]!));
  const v1 = readBlock(bytes, 0, 4, source);
  // Version 2 and later repeat the data with 64-bit times, then a POSIX TZ string for later instants.
  const block = version >= 2 ? readBlock(bytes, v1.end, 8, source) : v1;
  const footer = version >= 2 ? bytes.toString('latin1', block.end).split('\n')[1] : undefined;
  const rule = footer ? parsePosixTz(footer, source) : undefined;
  const { times, offsets } = block;
  return {
    offsetSecondsAt(t) {
      if (times.length === 0) return rule ? rule.offsetSecondsAt(t) : offsets.first;
      if (t < times[0]!) return offsets.first;
      if (rule && t >= times[times.length - 1]!) return rule.offsetSecondsAt(t);
      let lo = 0;
      let hi = times.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (times[mid]! <= t) lo = mid;
        else hi = mid - 1;
      }
      return offsets.atTransition[lo]!;
    },
  };
}

interface DataBlock {
  times: number[];
  offsets: { first: number; atTransition: number[] };
  end: number;
}

function readBlock(bytes: Buffer, at: number, timeSize: 4 | 8, source: string): DataBlock {
  if (bytes.toString('latin1', at, at + 4) !== 'TZif')
    throw new Error(`${source}: TZif header missing at ${at}`);
  const count = (i: number) => bytes.readUInt32BE(at + 20 + 4 * i);
  const [isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt] = [0, 1, 2, 3, 4, 5].map(count) as number[];
  if (typecnt === 0) throw new Error(`${source}: TZif block without local time types`);
  let p = at + 44;
  const times: number[] = [];
  for (let i = 0; i < timecnt!; i++, p += timeSize)
    times.push(timeSize === 8 ? Number(bytes.readBigInt64BE(p)) : bytes.readInt32BE(p));
  const typeIndex = [...bytes.subarray(p, p + timecnt!)];
  p += timecnt!;
  const utoff = Array.from({ length: typecnt! }, (_, i) => bytes.readInt32BE(p + 6 * i));
  p += 6 * typecnt! + charcnt! + leapcnt! * (timeSize + 4) + isstdcnt! + isutcnt!;
  if (p > bytes.length) throw new Error(`${source}: TZif data cut short`);
  const atTransition = typeIndex.map((i) => {
    if (i >= typecnt!) throw new Error(`${source}: transition to local time type ${i} of ${typecnt}`);
    return utoff[i]!;
  });
  return { times, offsets: { first: utoff[0]!, atTransition }, end: p };
}

// ---- POSIX TZ strings (the TZif footer: "CET-1CEST,M3.5.0,M10.5.0/3") --------------------------------

interface PosixRule {
  offsetSecondsAt(unixSeconds: number): number;
}

/** A date rule of a POSIX TZ string: Jn (1-365, no leap day), n (0-365), or Mm.w.d. */
type DateRule =
  | { kind: 'julian1'; day: number }
  | { kind: 'julian0'; day: number }
  | { kind: 'month'; m: number; w: number; d: number };

export function parsePosixTz(tz: string, source: string): PosixRule {
  const s = new PosixScanner(tz, source);
  s.name();
  const std = s.utcOffset();
  if (s.done()) return { offsetSecondsAt: () => std };
  s.name();
  const dst = s.peek() === ',' ? std + 3600 : s.utcOffset();
  if (s.done()) throw s.error('a daylight-saving time without its rule');
  s.expect(',');
  const start = { date: s.dateRule(), time: s.peek() === '/' ? (s.expect('/'), s.offset(false)) : 7200 };
  s.expect(',');
  const end = { date: s.dateRule(), time: s.peek() === '/' ? (s.expect('/'), s.offset(false)) : 7200 };
  if (!s.done()) throw s.error('text after the end rule');
  return {
    offsetSecondsAt(t) {
      const year = new Date((t + std) * 1000).getUTCFullYear();
      // The start is in local standard time, the end in local daylight time.
      const dstStart = dayStartUtc(start.date, year) + start.time - std;
      const dstEnd = dayStartUtc(end.date, year) + end.time - dst;
      const inDst = dstStart < dstEnd ? t >= dstStart && t < dstEnd : !(t >= dstEnd && t < dstStart);
      return inDst ? dst : std;
    },
  };
}

/** Seconds since the epoch of 00:00 (as if UTC) on the rule's day of `year`. */
function dayStartUtc(rule: DateRule, year: number): number {
  const jan1 = Date.UTC(year, 0, 1) / 1000;
  if (rule.kind === 'julian0') return jan1 + rule.day * 86400;
  if (rule.kind === 'julian1') {
    const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
    return jan1 + (rule.day - 1 + (leap && rule.day >= 60 ? 1 : 0)) * 86400;
  }
  const firstWeekday = new Date(Date.UTC(year, rule.m - 1, 1)).getUTCDay();
  const daysInMonth = new Date(Date.UTC(year, rule.m, 0)).getUTCDate();
  let day = 1 + ((rule.d - firstWeekday + 7) % 7) + 7 * (rule.w - 1);
  while (day > daysInMonth) day -= 7;
  return Date.UTC(year, rule.m - 1, day) / 1000;
}

class PosixScanner {
  private i = 0;
  constructor(
    private readonly tz: string,
    private readonly source: string,
  ) {}

  error(what: string): Error {
    return new Error(`${this.source}: TZ rule "${this.tz}": ${what} at character ${this.i + 1}`);
  }
  done(): boolean {
    return this.i >= this.tz.length;
  }
  peek(): string | undefined {
    return this.tz[this.i];
  }
  expect(c: string): void {
    if (this.tz[this.i] !== c) throw this.error(`expected "${c}"`);
    this.i++;
  }
  /** A zone abbreviation: letters ("CET"), or anything in angle brackets ("<+0330>"). */
  name(): void {
    const m = /^(<[^>]+>|[A-Za-z]{3,})/.exec(this.tz.slice(this.i));
    if (!m) throw this.error('expected a zone abbreviation');
    this.i += m[0].length;
  }
  /** A UTC offset, east positive (POSIX writes them west positive: "CET-1" is UTC+1). */
  utcOffset(): number {
    return 0 - this.offset(true);
  }
  /** [+-]hh[:mm[:ss]] in seconds. */
  offset(signed: boolean): number {
    const m = /^([+-]?)(\d{1,3})(?::(\d{1,2}))?(?::(\d{1,2}))?/.exec(this.tz.slice(this.i));
    if (!m || (!signed && m[1] === '+')) throw this.error('expected a time');
    this.i += m[0].length;
    const seconds = Number(m[2]) * 3600 + Number(m[3] ?? 0) * 60 + Number(m[4] ?? 0);
    return m[1] === '-' ? -seconds : seconds;
  }
  dateRule(): DateRule {
    const rest = this.tz.slice(this.i);
    const month = /^M(\d{1,2})\.(\d)\.(\d)/.exec(rest);
    const julian = /^(J?)(\d{1,3})/.exec(rest);
    const m = month ?? julian;
    if (!m) throw this.error('expected a date rule (Jn, n or Mm.w.d)');
    this.i += m[0].length;
    if (month) {
      const [mo, w, d] = [Number(month[1]), Number(month[2]), Number(month[3])];
      if (mo < 1 || mo > 12 || w < 1 || w > 5 || d > 6) throw this.error(`impossible date rule "${m[0]}"`);
      return { kind: 'month', m: mo, w, d };
    }
    const day = Number(julian![2]);
    return julian![1] ? { kind: 'julian1', day } : { kind: 'julian0', day };
  }
}

// ---- without a tz database -----------------------------------------------------------------------------

/** The zone through Intl (ICU's own copy of the tz database); throws RangeError for an unknown name. */
export function intlZone(name: string): TimeZone {
  const format = new Intl.DateTimeFormat('en-GB', {
    timeZone: name,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  });
  return {
    name,
    offsetMsAt(wallMs) {
      const parts = Object.fromEntries(format.formatToParts(new Date(wallMs)).map((p) => [p.type, p.value]));
      const asUtc = Date.UTC(
        +parts.year!,
        +parts.month! - 1,
        +parts.day!,
        +parts.hour!,
        +parts.minute!,
        +parts.second!,
      );
      return asUtc - Math.floor(wallMs / 1000) * 1000;
    },
  };
}
