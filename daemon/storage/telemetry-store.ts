// Telemetry kept on the SD card, in one SQLite file:
//  - the outbox: state changes and events that could not be published (broker or tunnel down), sent in
//    order with their original timestamps when the broker is back. Bounded: past maxOutboxRows the oldest
//    tank states that a newer state of the same tank supersedes go first, then the oldest rows.
//  - the trend history for the dashboard: one point per tank per 5 minutes for fineDays, one per hour
//    for coarseDays.
//  - the event history for the dashboard (alarms raised and cleared, valve, pump, mode, fills), kept
//    fineDays. Events are rare (tens a day), so they are committed with the next outbox flush.
// Writes are batched because every SQLite commit writes pages: outbox messages every few seconds (only
// during an outage), trend points about once an hour.

import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from '../log.js';
import { openDatabase, type Database } from './sqlite-adapter.js';

export interface OutboxMessage {
  seq: number;
  topic: string;
  payload: string;
  retain: boolean;
}

export interface HistoryPoint {
  tank: string;
  /** Wall-clock ms. */
  t: number;
  levelPct: number;
  litres: number;
  valveOpen: boolean;
  pumpOn: boolean;
}

/** A tank event as kept in the history: `event` is the TankEventPayload's JSON. */
export interface StoredEvent {
  tank: string;
  /** Wall-clock ms. */
  t: number;
  type: string;
  event: string;
}

export interface TelemetryStoreOptions {
  file: string;
  maxOutboxRows: number;
  fineDays: number;
  coarseDays: number;
}

const FINE_MS = 5 * 60_000;
const COARSE_MS = 60 * 60_000;
const DAY_MS = 86_400_000;
export const STORE_FLUSH_MS = 5000;
/** Trend points are committed about once an hour (a crash loses at most that much of the trend). */
const HISTORY_FLUSH_MS = 60 * 60_000;

export class TelemetryStore {
  private db: Database | undefined;
  private pending: { topic: string; payload: string; retain: boolean; at: number }[] = [];
  private pendingHistory = new Map<string, HistoryPoint>();
  private oldestPendingHistoryMs = 0;
  private pendingEvents: StoredEvent[] = [];
  private rows = 0;
  private lastPruneMs = 0;

  constructor(
    private readonly options: TelemetryStoreOptions,
    private readonly log: Logger,
    private readonly wallMs: () => number,
  ) {}

  async open(): Promise<void> {
    await mkdir(dirname(this.options.file), { recursive: true });
    const db = openDatabase(this.options.file);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec(`
      CREATE TABLE IF NOT EXISTS outbox (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        topic TEXT NOT NULL,
        payload TEXT NOT NULL,
        retain INTEGER NOT NULL,
        created_ms INTEGER NOT NULL
      );
      CREATE TABLE IF NOT EXISTS history_fine (
        tank TEXT NOT NULL, t INTEGER NOT NULL, level_pct REAL, litres REAL, valve INTEGER, pump INTEGER,
        PRIMARY KEY (tank, t)
      ) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS history_coarse (
        tank TEXT NOT NULL, t INTEGER NOT NULL, level_pct REAL, litres REAL, valve INTEGER, pump INTEGER,
        PRIMARY KEY (tank, t)
      ) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        tank TEXT NOT NULL, t INTEGER NOT NULL, type TEXT NOT NULL, event TEXT NOT NULL
      );
      CREATE INDEX IF NOT EXISTS events_t ON events (t);
    `);
    this.db = db;
    this.rows = (db.prepare('SELECT COUNT(*) AS n FROM outbox').get() as { n: number }).n;
    if (this.rows > 0)
      this.log.info('telemetry outbox holds messages from before the start', { messages: this.rows });
  }

  /** Messages waiting, written or not. */
  get outboxSize(): number {
    return this.rows + this.pending.length;
  }

  enqueue(topic: string, payload: string, retain: boolean): void {
    this.pending.push({ topic, payload, retain, at: this.wallMs() });
  }

  /** Keeps the latest point of each tank per 5-minute bucket until the next flush. */
  recordHistory(point: HistoryPoint): void {
    if (this.pendingHistory.size === 0) this.oldestPendingHistoryMs = point.t;
    this.pendingHistory.set(`${point.tank}\u0000${Math.floor(point.t / FINE_MS)}`, point);
  }

  /** Keeps a tank event for the dashboard's history (committed with the next flush). */
  recordEvent(event: StoredEvent): void {
    this.pendingEvents.push(event);
  }

  /**
   * Writes what is pending in one transaction and applies the bounds. Outbox messages go at once (they
   * exist only during an outage); trend points wait up to HISTORY_FLUSH_MS, so that a running gateway
   * commits history about once an hour instead of every few seconds (`force`: now).
   */
  flush(force = false): void {
    const db = this.db;
    if (!db) return;
    const historyDue =
      this.pendingHistory.size > 0 &&
      (force || this.wallMs() - this.oldestPendingHistoryMs >= HISTORY_FLUSH_MS);
    if (this.pending.length === 0 && this.pendingEvents.length === 0 && !historyDue) return;
    const insert = db.prepare('INSERT INTO outbox (topic, payload, retain, created_ms) VALUES (?, ?, ?, ?)');
    const fine = db.prepare('INSERT OR REPLACE INTO history_fine VALUES (?, ?, ?, ?, ?, ?)');
    const coarse = db.prepare('INSERT OR REPLACE INTO history_coarse VALUES (?, ?, ?, ?, ?, ?)');
    const insertEvent = db.prepare('INSERT INTO events (tank, t, type, event) VALUES (?, ?, ?, ?)');
    const pending = this.pending;
    const events = this.pendingEvents;
    const history = historyDue ? [...this.pendingHistory.values()] : [];
    this.pending = [];
    this.pendingEvents = [];
    if (historyDue) this.pendingHistory.clear();
    db.transaction(() => {
      for (const m of pending) insert.run(m.topic, m.payload, m.retain ? 1 : 0, m.at);
      for (const e of events) insertEvent.run(e.tank, e.t, e.type, e.event);
      for (const p of history) {
        const row = [p.levelPct, p.litres, p.valveOpen ? 1 : 0, p.pumpOn ? 1 : 0];
        fine.run(p.tank, Math.floor(p.t / FINE_MS) * FINE_MS, ...row);
        coarse.run(p.tank, Math.floor(p.t / COARSE_MS) * COARSE_MS, ...row);
      }
    })();
    this.rows += pending.length;
    if (this.rows > this.options.maxOutboxRows) this.bound();
    if (historyDue) this.pruneHistory();
  }

  /** The oldest waiting messages (after writing what is pending). */
  peek(limit: number): OutboxMessage[] {
    this.flush();
    if (!this.db || this.rows === 0) return [];
    return (
      this.db.prepare('SELECT seq, topic, payload, retain FROM outbox ORDER BY seq LIMIT ?').all(limit) as {
        seq: number;
        topic: string;
        payload: string;
        retain: number;
      }[]
    ).map((r) => ({ seq: r.seq, topic: r.topic, payload: r.payload, retain: r.retain === 1 }));
  }

  /** Removes sent messages. */
  remove(seqs: readonly number[]): void {
    if (!this.db || seqs.length === 0) return;
    const del = this.db.prepare('DELETE FROM outbox WHERE seq = ?');
    this.db.transaction(() => {
      for (const s of seqs) del.run(s);
    })();
    this.rows = Math.max(0, this.rows - seqs.length);
  }

  /**
   * Trend points of one tank between two wall times, oldest first: what is committed plus what waits in
   * memory for the next commit (a read commits nothing: the dashboard must not wear the SD card).
   */
  history(tank: string, fromMs: number, toMs: number, resolution: 'fine' | 'coarse'): HistoryPoint[] {
    if (!this.db) return [];
    const table = resolution === 'fine' ? 'history_fine' : 'history_coarse';
    const rows = this.db
      .prepare(
        `SELECT t, level_pct, litres, valve, pump FROM ${table} WHERE tank = ? AND t >= ? AND t <= ? ORDER BY t`,
      )
      .raw()
      .all(tank, fromMs, toMs) as [number, number, number, number, number][];
    const points: HistoryPoint[] = rows.map(([t, levelPct, litres, valve, pump]) => ({
      tank,
      t,
      levelPct,
      litres,
      valveOpen: valve === 1,
      pumpOn: pump === 1,
    }));
    const bucketMs = resolution === 'fine' ? FINE_MS : COARSE_MS;
    const waiting = new Map<number, HistoryPoint>();
    for (const p of this.pendingHistory.values()) {
      if (p.tank !== tank) continue;
      const t = Math.floor(p.t / bucketMs) * bucketMs;
      if (t < fromMs || t > toMs) continue;
      const seen = waiting.get(t);
      if (!seen || seen.t <= p.t) waiting.set(t, p);
    }
    if (waiting.size === 0) return points;
    const byTime = new Map(points.map((p) => [p.t, p]));
    for (const [t, p] of waiting) byTime.set(t, { ...p, t });
    return [...byTime.values()].sort((a, b) => a.t - b.t);
  }

  /** Tank events since a wall time, newest first (committed and waiting). */
  events(sinceMs: number, limit: number, tank?: string): StoredEvent[] {
    if (!this.db) return [];
    const waiting = this.pendingEvents
      .filter((e) => e.t >= sinceMs && (tank === undefined || e.tank === tank))
      .reverse();
    const stored = this.db
      .prepare(
        `SELECT tank, t, type, event FROM events WHERE t >= ? ${tank === undefined ? '' : 'AND tank = ?'}
         ORDER BY seq DESC LIMIT ?`,
      )
      .all(...(tank === undefined ? [sinceMs, limit] : [sinceMs, tank, limit])) as StoredEvent[];
    return [...waiting, ...stored].slice(0, limit);
  }

  close(): void {
    try {
      this.flush(true);
    } finally {
      this.db?.close();
      this.db = undefined;
    }
  }

  private bound(): void {
    const db = this.db!;
    const excess = this.rows - this.options.maxOutboxRows;
    const superseded = db
      .prepare(
        `DELETE FROM outbox WHERE seq IN (
           SELECT seq FROM outbox WHERE retain = 1
             AND seq NOT IN (SELECT MAX(seq) FROM outbox WHERE retain = 1 GROUP BY topic)
           ORDER BY seq LIMIT ?)`,
      )
      .run(excess).changes;
    let dropped = superseded;
    if (excess - superseded > 0) {
      dropped += db
        .prepare('DELETE FROM outbox WHERE seq IN (SELECT seq FROM outbox ORDER BY seq LIMIT ?)')
        .run(excess - superseded).changes;
    }
    this.rows -= dropped;
    this.log.warn('telemetry outbox full: oldest messages dropped', {
      dropped,
      supersededStates: superseded,
      kept: this.rows,
    });
  }

  private pruneHistory(): void {
    const now = this.wallMs();
    if (now - this.lastPruneMs < DAY_MS / 24) return;
    this.lastPruneMs = now;
    this.db!.prepare('DELETE FROM history_fine WHERE t < ?').run(now - this.options.fineDays * DAY_MS);
    this.db!.prepare('DELETE FROM history_coarse WHERE t < ?').run(now - this.options.coarseDays * DAY_MS);
    this.db!.prepare('DELETE FROM events WHERE t < ?').run(now - this.options.fineDays * DAY_MS);
  }
}
