// Audit lines that an attacker could make by the thousand (denied publishes, subscriptions) are written
// at most `perMinute` times a minute per user and kind; the rest are counted and summed up in one
// `suppressed` line when the next minute's first one comes (so the SD card and the log stay bounded).

import { MINUTE_MS } from '../units.js';
import type { AuditEntry } from './audit-log.js';

export class AuditThrottle {
  private readonly windows = new Map<string, { startMs: number; written: number; dropped: number }>();

  constructor(
    private readonly audit: (entry: AuditEntry) => void,
    private readonly now: () => number,
    private readonly perMinute: number,
  ) {}

  record(entry: AuditEntry): void {
    const key = `${entry.kind}\u0000${entry.who}`;
    const now = this.now();
    let w = this.windows.get(key);
    if (!w || now - w.startMs >= MINUTE_MS) {
      if (w && w.dropped > 0) {
        this.audit({
          kind: 'suppressed',
          who: entry.who,
          from: entry.from,
          what: `${entry.kind} lines over ${this.perMinute} a minute`,
          result: `${w.dropped} not written`,
        });
      }
      w = { startMs: now, written: 0, dropped: 0 };
      this.windows.set(key, w);
      if (this.windows.size > 10_000) this.windows.clear();
    }
    if (w.written >= this.perMinute) {
      w.dropped++;
      return;
    }
    w.written++;
    this.audit(entry);
  }
}
