import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../daemon/log.js';
import { TelemetryStore } from '../../../daemon/storage/telemetry-store.js';
import { tempDir } from '../../helpers/daemon.js';

function store(maxOutboxRows = 100, file = join(tempDir('store-'), 'telemetry.db')) {
  let now = Date.UTC(2026, 0, 1);
  const s = new TelemetryStore(
    { file, maxOutboxRows, fineDays: 30, coarseDays: 730 },
    silentLogger,
    () => now,
  );
  return { s, file, advance: (ms: number) => (now += ms) };
}

describe('telemetry store', () => {
  it('keeps the outbox in order across a restart and removes what was sent', async () => {
    const { s, file } = store();
    await s.open();
    for (let i = 0; i < 5; i++) s.enqueue('t/event', `e${i}`, false);
    s.flush();
    s.close();
    const again = new TelemetryStore(
      { file, maxOutboxRows: 100, fineDays: 30, coarseDays: 730 },
      silentLogger,
      Date.now,
    );
    await again.open();
    expect(again.outboxSize).toBe(5);
    const batch = again.peek(3);
    expect(batch.map((m) => m.payload)).toEqual(['e0', 'e1', 'e2']);
    again.remove(batch.map((m) => m.seq));
    expect(again.peek(10).map((m) => m.payload)).toEqual(['e3', 'e4']);
    again.close();
  });

  it('past its bound drops superseded tank states first, then the oldest messages', async () => {
    const { s } = store(100);
    await s.open();
    for (let i = 0; i < 80; i++) s.enqueue('tank/house/state', `s${i}`, true);
    for (let i = 0; i < 40; i++) s.enqueue('tank/house/event', `e${i}`, false);
    s.flush();
    const all = s.peek(1000);
    expect(all).toHaveLength(100);
    // 20 old states went; every event and the newest state are kept.
    expect(all.filter((m) => !m.retain)).toHaveLength(40);
    expect(all.filter((m) => m.retain).pop()!.payload).toBe('s79');
    expect(all[0]!.payload).toBe('s20');
    for (let i = 0; i < 150; i++) s.enqueue('tank/house/event', `x${i}`, false);
    s.flush();
    const after = s.peek(1000);
    expect(after).toHaveLength(100);
    expect(after.pop()!.payload).toBe('x149');
    expect(after.some((m) => m.payload === 's79')).toBe(false);
    s.close();
  });

  it('keeps one history point per tank per 5 minutes, and hourly points', async () => {
    const { s, advance } = store();
    await s.open();
    const t0 = Date.UTC(2026, 0, 1);
    for (let i = 0; i < 24; i++) {
      s.recordHistory({
        tank: 'house',
        t: t0 + i * 60_000,
        levelPct: 50 + i,
        litres: 1000 + i,
        valveOpen: i > 10,
        pumpOn: true,
      });
    }
    advance(60 * 60_000);
    const fine = s.history('house', t0, t0 + 3_600_000, 'fine');
    expect(fine.map((p) => p.t - t0)).toEqual([0, 5, 10, 15, 20].map((m) => m * 60_000));
    expect(fine[0]).toMatchObject({ levelPct: 54, valveOpen: false });
    expect(fine[4]).toMatchObject({ levelPct: 73, valveOpen: true });
    expect(s.history('house', t0, t0 + 3_600_000, 'coarse')).toHaveLength(1);
    s.close();
  });
});

describe('telemetry store writes (an SD card is a consumable)', () => {
  it('commits trend points about once an hour, not on every flush', async () => {
    const { openDatabase } = await import('../../../daemon/storage/sqlite-adapter.js');
    const { s, file, advance } = store();
    await s.open();
    const rows = () => {
      const db = openDatabase(file);
      try {
        return (db.prepare('SELECT COUNT(*) AS n FROM history_fine').get() as { n: number }).n;
      } finally {
        db.close();
      }
    };
    const t0 = Date.UTC(2026, 0, 1);
    for (let i = 0; i < 50; i++) {
      s.recordHistory({
        tank: 'house',
        t: t0 + i * 60_000,
        levelPct: 50,
        litres: 1000,
        valveOpen: false,
        pumpOn: true,
      });
      advance(60_000);
      s.flush();
    }
    expect(rows()).toBe(0);
    for (let i = 50; i < 65; i++) {
      s.recordHistory({
        tank: 'house',
        t: t0 + i * 60_000,
        levelPct: 50,
        litres: 1000,
        valveOpen: false,
        pumpOn: true,
      });
      advance(60_000);
      s.flush();
    }
    // The first hour (12 buckets of 5 minutes) went in one transaction; the rest waits for its hour.
    expect(rows()).toBe(12);
    s.close();
  });
});
