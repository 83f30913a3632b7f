import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalTime, SystemClock } from '../../daemon/clock.js';

describe('LocalTime', () => {
  it('matches Intl for several zones, across a DST change, with cached offsets', () => {
    const zones = ['UTC', 'Australia/Brisbane', 'Europe/Paris', 'America/New_York', 'Asia/Kolkata'];
    for (const zone of zones) {
      const lt = new LocalTime(zone);
      const fmt = new Intl.DateTimeFormat('en-GB', {
        timeZone: zone,
        hour: 'numeric',
        minute: 'numeric',
        hourCycle: 'h23',
      });
      // Every 7 minutes through the last days of March (EU DST change on 29 March 2026).
      for (let t = Date.UTC(2026, 2, 27); t < Date.UTC(2026, 2, 31); t += 7 * 60_000) {
        const [h, m] = fmt.format(new Date(t)).split(':').map(Number);
        expect(lt.minuteOfDay(t), `${zone} ${new Date(t).toISOString()}`).toBe(h! * 60 + m!);
      }
    }
  });
});

describe('SystemClock', () => {
  it('is monotonic and in milliseconds', async () => {
    const c = new SystemClock('assume-synced');
    const a = c.monotonicMs();
    await new Promise((r) => setTimeout(r, 20));
    expect(c.monotonicMs() - a).toBeGreaterThanOrEqual(19);
  });

  it('trusts the wall clock only once the timesyncd flag exists', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sync-'));
    const flag = join(dir, 'synchronized');
    const c = new SystemClock('timesyncd', flag);
    expect(c.wallSynced()).toBe(false);
    const later = new SystemClock('timesyncd', flag);
    writeFileSync(flag, '');
    expect(later.wallSynced()).toBe(true);
    expect(new SystemClock('assume-synced', flag).wallSynced()).toBe(true);
  });
});
