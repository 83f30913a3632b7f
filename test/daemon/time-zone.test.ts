// Time zones from the system's tz database: the same offsets as Intl, without Intl (whose ICU date
// formatting costs the daemon ~6 MB of resident memory); Intl only where there is no database.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LocalTime } from '../../daemon/clock.js';
import {
  intlZone,
  parsePosixTz,
  parseTzif,
  timeZone,
  timeZoneProblem,
  zoneFromDatabase,
} from '../../daemon/time-zone.js';

const TZDIR = '/usr/share/zoneinfo';
const HOUR_S = 3600;

/** One zone per shape of rule: northern and southern DST, negative DST, odd offsets, abolished DST. */
const ZONES = [
  'UTC',
  'Europe/Paris',
  'Europe/London',
  'Europe/Dublin', // winter time is the "daylight" one (negative DST)
  'America/New_York',
  'America/Sao_Paulo', // DST abolished in 2019
  'America/Santiago', // southern, rules at 24:00
  'America/Nuuk', // rules at -1:00 and 0:00 local
  'Australia/Sydney',
  'Australia/Lord_Howe', // half-hour DST
  'Pacific/Chatham', // +12:45 / +13:45
  'Asia/Kolkata',
  'Asia/Kathmandu', // +5:45
  'Asia/Tehran',
  'Africa/Nairobi',
  'Africa/Casablanca', // Ramadan transitions, listed one by one
  'Antarctica/Troll', // +0 / +2
  'Etc/GMT+5',
];

afterEach(() => vi.restoreAllMocks());

describe('time zones from the tz database', () => {
  it('gives the offsets Intl gives, 2000-2040 and far ahead (the footer rule)', () => {
    const step = 86_400_000 * 5 + 3_600_000 * 5 + 61_000; // walks through every hour of the day
    for (const name of ZONES) {
      const zone = zoneFromDatabase(name, TZDIR);
      expect(zone, `${TZDIR}/${name} (install tzdata)`).toBeDefined();
      const intl = intlZone(name);
      const wrong: string[] = [];
      const check = (t: number) => {
        if (zone!.offsetMsAt(t) !== intl.offsetMsAt(t))
          wrong.push(`${new Date(t).toISOString()}: ${zone!.offsetMsAt(t)} vs Intl ${intl.offsetMsAt(t)}`);
      };
      for (let t = Date.UTC(2000, 0, 1); t < Date.UTC(2040, 0, 1); t += step) check(t);
      for (let t = Date.UTC(2100, 0, 1); t < Date.UTC(2101, 0, 1); t += 3_600_000) check(t);
      expect(wrong.slice(0, 5), name).toEqual([]);
    }
  });

  it('switches on the very second of a transition', () => {
    const paris = zoneFromDatabase('Europe/Paris', TZDIR)!;
    const springForward = Date.UTC(2026, 2, 29, 1, 0, 0); // 02:00 CET becomes 03:00 CEST
    expect(paris.offsetMsAt(springForward - 1000)).toBe(HOUR_S * 1000);
    expect(paris.offsetMsAt(springForward)).toBe(2 * HOUR_S * 1000);
    const fallBack = Date.UTC(2026, 9, 25, 1, 0, 0);
    expect(paris.offsetMsAt(fallBack - 1000)).toBe(2 * HOUR_S * 1000);
    expect(paris.offsetMsAt(fallBack)).toBe(HOUR_S * 1000);
  });

  it('reads a TZif file: before the first transition, between, and after the last by its footer', () => {
    const file = tzif({
      version: '2',
      types: [3600, 7200, 10800],
      transitions: [
        [1_000_000, 1],
        [2_000_000, 2],
      ],
      footer: '<+03>-3',
    });
    const table = parseTzif(file, 'test');
    expect(table.offsetSecondsAt(0)).toBe(3600);
    expect(table.offsetSecondsAt(1_000_000)).toBe(7200);
    expect(table.offsetSecondsAt(1_999_999)).toBe(7200);
    expect(table.offsetSecondsAt(2_000_000)).toBe(10800);
    expect(table.offsetSecondsAt(5_000_000_000)).toBe(10800);
  });

  it('reads a version 1 file (32-bit times, no footer)', () => {
    const table = parseTzif(tzif({ version: '1', types: [-18000, -14400], transitions: [[500, 1]] }), 'v1');
    expect(table.offsetSecondsAt(499)).toBe(-18000);
    expect(table.offsetSecondsAt(500)).toBe(-14400);
  });

  it('refuses a file that is not TZif, or cut short, naming the file', () => {
    expect(() =>
      parseTzif(Buffer.from('#!/bin/sh\necho hello, this is no zone file at all\n'), '/z/Bad'),
    ).toThrow('/z/Bad: not a TZif file');
    const cut = tzif({ version: '2', types: [0, 3600], transitions: [[10, 1]], footer: 'UTC0' });
    expect(() => parseTzif(cut.subarray(0, 60), '/z/Cut')).toThrow('/z/Cut:');
  });
});

describe('POSIX TZ rules (the footer of a TZif file)', () => {
  const at = (iso: string) => Date.parse(iso) / 1000;

  it('northern and southern hemisphere DST', () => {
    const paris = parsePosixTz('CET-1CEST,M3.5.0,M10.5.0/3', 't');
    expect(paris.offsetSecondsAt(at('2031-01-15T12:00:00Z'))).toBe(3600);
    expect(paris.offsetSecondsAt(at('2031-07-15T12:00:00Z'))).toBe(7200);
    const sydney = parsePosixTz('AEST-10AEDT,M10.1.0,M4.1.0/3', 't');
    expect(sydney.offsetSecondsAt(at('2031-01-15T12:00:00Z'))).toBe(11 * 3600);
    expect(sydney.offsetSecondsAt(at('2031-07-15T12:00:00Z'))).toBe(10 * 3600);
  });

  it('negative DST, negative rule times, and Julian day rules', () => {
    const dublin = parsePosixTz('IST-1GMT0,M10.5.0,M3.5.0/1', 't');
    expect(dublin.offsetSecondsAt(at('2031-01-15T12:00:00Z'))).toBe(0);
    expect(dublin.offsetSecondsAt(at('2031-07-15T12:00:00Z'))).toBe(3600);
    const nuuk = parsePosixTz('<-02>2<-01>,M3.5.0/-1,M10.5.0/0', 't');
    expect(nuuk.offsetSecondsAt(at('2031-01-15T12:00:00Z'))).toBe(-2 * 3600);
    expect(nuuk.offsetSecondsAt(at('2031-07-15T12:00:00Z'))).toBe(-3600);
    // Day 60 of J-counting is 1 March in every year; 0-based day 59 is 29 February in a leap year.
    const julian = parsePosixTz('AAA0BBB,J60/0,J300/0', 't');
    expect(julian.offsetSecondsAt(at('2032-02-29T23:00:00Z'))).toBe(0);
    expect(julian.offsetSecondsAt(at('2032-03-01T01:00:00Z'))).toBe(3600);
    const zeroBased = parsePosixTz('AAA0BBB,59/0,300/0', 't');
    expect(zeroBased.offsetSecondsAt(at('2032-02-29T01:00:00Z'))).toBe(3600);
    // All year daylight time (how zic writes a permanent DST).
    const always = parsePosixTz('EST5EDT,0/0,J365/25', 't');
    for (const iso of ['2031-01-01T06:00:00Z', '2031-06-01T00:00:00Z', '2031-12-31T23:00:00Z'])
      expect(always.offsetSecondsAt(at(iso)), iso).toBe(-4 * 3600);
  });

  it('refuses a malformed rule, saying where', () => {
    expect(() => parsePosixTz('CET-1CEST,M13.5.0,M10.5.0/3', '/z/X')).toThrow(
      '/z/X: TZ rule "CET-1CEST,M13.5.0,M10.5.0/3": impossible date rule "M13.5.0" at character',
    );
    expect(() => parsePosixTz('1CET', 'f')).toThrow('expected a zone abbreviation at character 1');
  });
});

describe('timeZone: the database first, Intl without one', () => {
  it('does not touch Intl when the database has the zone', () => {
    const spy = vi.spyOn(Intl, 'DateTimeFormat');
    const lt = new LocalTime('America/Santiago');
    expect(lt.hourOfDay(Date.UTC(2031, 6, 1, 12, 0))).toBe(8); // -04:00 in the southern winter
    expect(spy).not.toHaveBeenCalled();
  });

  it('falls back to Intl where there is no tz database, with the same answers', () => {
    const empty = mkdtempSync(join(tmpdir(), 'no-tzdata-'));
    const zone = timeZone('Asia/Kathmandu', empty);
    expect(zone.offsetMsAt(Date.UTC(2031, 0, 1))).toBe((5 * 60 + 45) * 60_000);
  });

  it('names what is wrong with a zone for the config check', () => {
    expect(timeZoneProblem('Europe/Paris')).toBeUndefined();
    expect(timeZoneProblem('Mars/Olympus')).toBe(
      'unknown time zone "Mars/Olympus" (use an IANA name like Europe/Paris)',
    );
    const dir = mkdtempSync(join(tmpdir(), 'bad-tzdata-'));
    writeFileSync(join(dir, 'Broken'), 'not a zone file, forty-four bytes or more of it');
    expect(() => timeZone('Broken', dir)).toThrow(`${join(dir, 'Broken')}: not a TZif file`);
  });
});

/** A TZif file as zic writes it (RFC 8536): v1 block, then for v2 a 64-bit block and the footer. */
function tzif(o: {
  version: '1' | '2';
  types: number[];
  transitions: [number, number][];
  footer?: string;
}): Buffer {
  const block = (timeSize: 4 | 8) => {
    const header = Buffer.alloc(44);
    header.write('TZif', 0, 'latin1');
    header.write(o.version, 4, 'latin1');
    [0, 0, 0, o.transitions.length, o.types.length, 4].forEach((n, i) => header.writeUInt32BE(n, 20 + 4 * i));
    const times = Buffer.alloc(o.transitions.length * timeSize);
    o.transitions.forEach(([t], i) =>
      timeSize === 8 ? times.writeBigInt64BE(BigInt(t), 8 * i) : times.writeInt32BE(t, 4 * i),
    );
    const indices = Buffer.from(o.transitions.map(([, type]) => type));
    const types = Buffer.alloc(6 * o.types.length);
    o.types.forEach((utoff, i) => types.writeInt32BE(utoff, 6 * i));
    return Buffer.concat([header, times, indices, types, Buffer.from('ABC\0', 'latin1')]);
  };
  if (o.version === '1') return block(4);
  return Buffer.concat([block(4), block(8), Buffer.from(`\n${o.footer ?? ''}\n`, 'latin1')]);
}
