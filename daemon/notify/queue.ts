// Notifications waiting to be sent, and what was already told, in SQLite (<stateDir>/notify.db): a
// message waits here while the mail server or the webhook is down and survives a restart; the alarms
// already told survive it too, so a restart repeats nothing. Writes happen only when something is told
// or sent (a few a day).

import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { NotifySeverity } from '../config/notify-schema.js';
import { openDatabase, type Database } from '../storage/sqlite-adapter.js';
import type { QueueItem } from './policy.js';

export interface QueuedRow {
  id: number;
  recipient: string;
  item: QueueItem;
}

export class NotifyQueue {
  private db: Database | undefined;

  constructor(
    private readonly file: string,
    private readonly maxRows: number,
  ) {}

  async open(): Promise<void> {
    await mkdir(dirname(this.file), { recursive: true });
    const db = openDatabase(this.file);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec(`
      CREATE TABLE IF NOT EXISTS queue (
        id INTEGER PRIMARY KEY AUTOINCREMENT, recipient TEXT NOT NULL, created_ms INTEGER NOT NULL, item TEXT NOT NULL
      );
      CREATE TABLE IF NOT EXISTS told (
        tank TEXT NOT NULL, alarm TEXT NOT NULL, severity TEXT NOT NULL, PRIMARY KEY (tank, alarm)
      ) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
    `);
    this.db = db;
  }

  close(): void {
    this.db?.close();
    this.db = undefined;
  }

  /** Adds items for recipients and records the alarm changes they tell, in one transaction. */
  add(
    rows: { recipient: string; item: QueueItem }[],
    told: { tank: string; alarm: string; severity?: NotifySeverity; active: boolean }[],
    nowMs: number,
  ): number {
    const db = this.need();
    const insert = db.prepare('INSERT INTO queue (recipient, created_ms, item) VALUES (?, ?, ?)');
    const set = db.prepare('INSERT OR REPLACE INTO told VALUES (?, ?, ?)');
    const unset = db.prepare('DELETE FROM told WHERE tank = ? AND alarm = ?');
    let dropped = 0;
    db.transaction(() => {
      for (const r of rows) insert.run(r.recipient, nowMs, JSON.stringify(r.item));
      for (const t of told) {
        if (t.active) set.run(t.tank, t.alarm, t.severity ?? 'warning');
        else unset.run(t.tank, t.alarm);
      }
      const excess = this.size - this.maxRows;
      if (excess > 0)
        dropped = db
          .prepare('DELETE FROM queue WHERE id IN (SELECT id FROM queue ORDER BY id LIMIT ?)')
          .run(excess).changes;
    })();
    return dropped;
  }

  /** What was told per tank: alarm -> severity. */
  told(): Map<string, Map<string, NotifySeverity>> {
    const out = new Map<string, Map<string, NotifySeverity>>();
    for (const r of this.need().prepare('SELECT tank, alarm, severity FROM told').all() as {
      tank: string;
      alarm: string;
      severity: NotifySeverity;
    }[]) {
      let m = out.get(r.tank);
      if (!m) out.set(r.tank, (m = new Map()));
      m.set(r.alarm, r.severity);
    }
    return out;
  }

  /** Waiting items of one recipient, oldest first. */
  pending(recipient: string): QueuedRow[] {
    return (
      this.need()
        .prepare('SELECT id, recipient, item FROM queue WHERE recipient = ? ORDER BY id')
        .all(recipient) as {
        id: number;
        recipient: string;
        item: string;
      }[]
    ).map((r) => ({ id: r.id, recipient: r.recipient, item: JSON.parse(r.item) as QueueItem }));
  }

  recipients(): string[] {
    return (this.need().prepare('SELECT DISTINCT recipient FROM queue').all() as { recipient: string }[]).map(
      (r) => r.recipient,
    );
  }

  remove(ids: readonly number[]): void {
    const db = this.need();
    const del = db.prepare('DELETE FROM queue WHERE id = ?');
    db.transaction(() => {
      for (const id of ids) del.run(id);
    })();
  }

  /** Drops what waits for recipients no longer configured. */
  dropExcept(recipients: readonly string[]): number {
    const keep = new Set(recipients);
    const gone = this.recipients().filter((r) => !keep.has(r));
    const del = this.need().prepare('DELETE FROM queue WHERE recipient = ?');
    let n = 0;
    for (const r of gone) n += del.run(r).changes;
    return n;
  }

  get size(): number {
    return (this.need().prepare('SELECT COUNT(*) AS n FROM queue').get() as { n: number }).n;
  }

  meta(key: string): string | undefined {
    return (
      this.need().prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined
    )?.value;
  }

  setMeta(key: string, value: string): void {
    this.need().prepare('INSERT OR REPLACE INTO meta VALUES (?, ?)').run(key, value);
  }

  private need(): Database {
    if (!this.db) throw new Error(`notification queue ${this.file} is not open`);
    return this.db;
  }
}
