import { describe, expect, it } from 'vitest';
import { LocalTime } from '../../../daemon/clock.js';
import type { HistoryPoint } from '../../../daemon/storage/telemetry-store.js';
import { buildTrend, dailyUse, localDayFrom, localDayIn, measureUse } from '../../../daemon/web/trends.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2026, 5, 1); // midnight UTC

/** A day of 5-minute points: `use` litres an hour always, the valve open from 02:00 to 04:00 adding `fill`/h. */
function day(start: number, litres0: number, use: number, fill: number): HistoryPoint[] {
  const out: HistoryPoint[] = [];
  let litres = litres0;
  for (let t = start; t < start + DAY; t += 5 * MIN) {
    const hour = (t - start) / HOUR;
    const open = hour >= 2 && hour < 4;
    out.push({ tank: 'house', t, levelPct: litres / 20, litres, valveOpen: open, pumpOn: true });
    litres += ((open ? fill : 0) - use) / 12;
  }
  return out;
}

describe('water use from the history', () => {
  it('counts falls with the valve closed as use, and the use hidden by a refill at the same rate', () => {
    const m = measureUse(day(T0, 1000, 24, 240));
    // 24 L/h all day: 576 L in the 23 h 55 min the points span, the 2 h of refill included.
    expect(m.used).toBeCloseTo(24 * (24 - 5 / 60), 0);
    expect(m.refilled).toBeCloseTo(480, 0);
  });

  it('a rise with the valve closed (rain) is not use', () => {
    const rain = day(T0, 1000, 0, 0).map((p, i) => ({ ...p, valveOpen: false, litres: 1000 + i }));
    expect(measureUse(rain).used).toBe(0);
  });

  it('a gap in the history is not counted either way', () => {
    const points = day(T0, 1000, 24, 0);
    const gapped = [
      ...points.slice(0, 100),
      ...points.slice(200).map((p) => ({ ...p, litres: p.litres - 500 })),
    ];
    // 101 five-minute intervals are gone (99-100 up to 199-200); the 500 L jump across the gap is not use.
    expect(measureUse(gapped).used).toBeCloseTo(measureUse(points).used - 24 * (101 / 12), 0);
  });

  it('splits days at local midnight in the gateway’s time zone', () => {
    const brisbane = new LocalTime('Australia/Brisbane'); // UTC+10, no DST
    const localDay = localDayFrom((t) => brisbane.hourOfDay(t));
    // Local midnight in Brisbane is 14:00 UTC the day before.
    const start = T0 - 10 * HOUR;
    const days = dailyUse([...day(start, 1000, 10, 0), ...day(start + DAY, 800, 20, 0)], localDay);
    expect(days.map((d) => d.day)).toEqual(['2026-06-01', '2026-06-02']);
    expect(days[0]!.usedLitres).toBeCloseTo(239, 0);
    expect(days[1]!.usedLitres).toBeCloseTo(478, 0);
    expect(days.every((d) => d.complete)).toBe(true);
  });
});

describe('local days', () => {
  it('the fast indexer agrees with Intl every hour, across DST changes', () => {
    for (const zone of ['Europe/Berlin', 'Australia/Lord_Howe', 'America/Santiago', 'UTC']) {
      const local = new LocalTime(zone);
      const slow = localDayFrom((t) => local.hourOfDay(t));
      const fast = localDayIn((t) => local.hourOfDay(t));
      for (let t = Date.UTC(2026, 0, 1); t < Date.UTC(2027, 0, 1); t += HOUR / 2)
        expect(fast(t), `${zone} ${new Date(t).toISOString()}`).toBe(slow(t));
    }
  });
});

describe('a trend', () => {
  const localDay = (t: number) => Math.floor(t / DAY);
  const week = Array.from({ length: 8 }, (_, i) => day(T0 + i * DAY, 1900, 20, 200)).flat();
  const now = T0 + 8 * DAY;

  it('24 h: 5-minute points, the refill periods, the use per day and the days left', () => {
    const tr = buildTrend(week, '24h', now, localDay, 1000);
    expect(tr.t.length).toBe(288);
    expect(tr.t[1]! - tr.t[0]!).toBe(300);
    expect(tr.refills).toEqual([[(now - DAY + 2 * HOUR) / 1000, (now - DAY + 4 * HOUR) / 1000]]);
    expect(tr.usePerDayLitres).toBeCloseTo(480, -1);
    expect(tr.daysLeft).toBeCloseTo(1000 / tr.usePerDayLitres!, 1);
    expect(tr.daily.length).toBeGreaterThanOrEqual(7);
  });

  it('30 d: half-hour points; a gap shows as a gap (null), never as a line across it', () => {
    const gapped = week.filter((p) => p.t < T0 + 3 * DAY || p.t >= T0 + 4 * DAY);
    const tr = buildTrend(gapped, '30d', now, localDay, null);
    expect(tr.stepMs).toBe(30 * MIN);
    expect(tr.t.length).toBeLessThanOrEqual(8 * 48 + 1);
    const nulls = tr.pct.filter((p) => p === null);
    expect(nulls).toHaveLength(1);
    const i = tr.pct.indexOf(null);
    expect(tr.t[i + 1]! - tr.t[i - 1]!).toBeGreaterThan(DAY / 1000);
  });

  it('no estimate from less than half a day of history, nor for a tank that is not being used', () => {
    expect(buildTrend(week.slice(-50), '24h', now, localDay, 1000).usePerDayLitres).toBeNull();
    const still = week.map((p) => ({ ...p, litres: 1000, valveOpen: false }));
    const tr = buildTrend(still, '7d', now, localDay, 1000);
    expect(tr.usePerDayLitres).toBe(0);
    expect(tr.daysLeft).toBeNull();
  });

  it('30 days of 5-minute points for a tank in well under 200 ms', () => {
    const month = Array.from({ length: 30 }, (_, i) => day(now - 30 * DAY + i * DAY, 1900, 20, 200)).flat();
    const started = performance.now();
    buildTrend(month, '30d', now, localDay, 1000);
    expect(performance.now() - started).toBeLessThan(200);
  });
});
