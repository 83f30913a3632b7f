// The dashboard's reads of the telemetry store: a trend read sees the points still waiting for the
// hourly commit and commits nothing (the SD card), and the event history keeps alarms and switching
// for the alarm page, newest first, across a restart.

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../daemon/log.js';
import { openDatabase } from '../../../daemon/storage/sqlite-adapter.js';
import { TelemetryStore } from '../../../daemon/storage/telemetry-store.js';
import { tempDir } from '../../helpers/daemon.js';

const T0 = Date.UTC(2026, 0, 1);

function store(file = join(tempDir('store-reads-'), 'telemetry.db')) {
  let now = T0;
  const s = new TelemetryStore(
    { file, maxOutboxRows: 100, fineDays: 30, coarseDays: 730 },
    silentLogger,
    () => now,
  );
  return { s, file, advance: (ms: number) => (now += ms) };
}

const rows = (file: string, table: string) => {
  const db = openDatabase(file);
  try {
    return (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
  } finally {
    db.close();
  }
};

describe('telemetry store reads for the dashboard', () => {
  it('a trend read includes the points waiting for the commit, and commits nothing', async () => {
    const { s, file } = store();
    await s.open();
    for (let i = 0; i < 20; i++)
      s.recordHistory({
        tank: 'house',
        t: T0 + i * 60_000,
        levelPct: 50 + i,
        litres: 1000 + i,
        valveOpen: i > 10,
        pumpOn: true,
      });
    const fine = s.history('house', T0, T0 + 3_600_000, 'fine');
    expect(fine.map((p) => [p.t - T0, p.levelPct])).toEqual([
      [0, 54],
      [300_000, 59],
      [600_000, 64],
      [900_000, 69],
    ]);
    expect(s.history('house', T0, T0 + 3_600_000, 'coarse')).toMatchObject([{ t: T0, levelPct: 69 }]);
    expect(s.history('farm', T0, T0 + 3_600_000, 'fine')).toEqual([]);
    expect(rows(file, 'history_fine')).toBe(0);
    s.close();
  });

  it('committed and waiting points together, a waiting point replacing its bucket', async () => {
    const { s, advance } = store();
    await s.open();
    s.recordHistory({ tank: 'house', t: T0, levelPct: 10, litres: 1, valveOpen: false, pumpOn: false });
    s.flush(true);
    s.recordHistory({
      tank: 'house',
      t: T0 + 60_000,
      levelPct: 11,
      litres: 2,
      valveOpen: false,
      pumpOn: false,
    });
    s.recordHistory({
      tank: 'house',
      t: T0 + 600_000,
      levelPct: 12,
      litres: 3,
      valveOpen: false,
      pumpOn: false,
    });
    advance(0);
    expect(s.history('house', T0, T0 + 3_600_000, 'fine').map((p) => p.levelPct)).toEqual([11, 12]);
    s.close();
  });

  it('keeps tank events, newest first, committed with the next flush and read across a restart', async () => {
    const { s, file } = store();
    await s.open();
    s.recordEvent({ tank: 'house', t: T0, type: 'alarm', event: '{"n":1}' });
    s.recordEvent({ tank: 'farm', t: T0 + 1, type: 'valve', event: '{"n":2}' });
    expect(s.events(T0, 10).map((e) => e.event)).toEqual(['{"n":2}', '{"n":1}']);
    s.flush();
    expect(rows(file, 'events')).toBe(2);
    s.recordEvent({ tank: 'house', t: T0 + 2, type: 'pump', event: '{"n":3}' });
    expect(s.events(T0, 10, 'house').map((e) => e.event)).toEqual(['{"n":3}', '{"n":1}']);
    expect(s.events(T0 + 1, 10).map((e) => e.event)).toEqual(['{"n":3}', '{"n":2}']);
    expect(s.events(T0, 1)).toHaveLength(1);
    s.close();
    const again = store(file);
    await again.s.open();
    expect(again.s.events(T0, 10).map((e) => e.event)).toEqual(['{"n":3}', '{"n":2}', '{"n":1}']);
    again.s.close();
  });
});
