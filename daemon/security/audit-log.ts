// The audit log: append-only JSON lines, each carrying the SHA-256 of the previous line's hash and its
// own content, so an edited, inserted or removed line breaks the chain at that point. `smart-tank audit
// verify` walks the chain and names the first bad line. The head (seq, hash) also goes out in the system
// telemetry, so a copy of the whole chain rewritten by someone with write access can be noticed remotely.

import { createHash } from 'node:crypto';
import { open, readFile, mkdir, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Clock } from '../clock.js';

export const GENESIS = '0'.repeat(64);
/** Lines are made durable at most this long after they were written (an SD card wears with each fsync). */
const SYNC_DELAY_MS = 1000;

export type AuditKind =
  | 'command'
  | 'login'
  | 'login-failed'
  | 'lockout'
  | 'mode'
  | 'config'
  | 'safety'
  | 'start'
  | 'stop'
  | 'suppressed';

export interface AuditEntry {
  kind: AuditKind;
  /** The user (or "gateway" for the daemon itself). */
  who: string;
  /** Where it came from: client address and id, or "local". */
  from: string;
  what: string;
  result: string;
  detail?: Record<string, unknown>;
}

export interface AuditRecord extends AuditEntry {
  seq: number;
  time: string;
  timeSynced: boolean;
  prev: string;
  hash: string;
}

export function hashRecord(record: Omit<AuditRecord, 'hash'>): string {
  return createHash('sha256').update(record.prev).update(JSON.stringify(record)).digest('hex');
}

export class AuditLog {
  private handle: FileHandle | undefined;
  private head = { seq: 0, hash: GENESIS };
  private syncTimer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    readonly file: string,
    private readonly clock: Clock,
  ) {}

  get headSeq(): number {
    return this.head.seq;
  }

  get headHash(): string {
    return this.head.hash;
  }

  async open(): Promise<void> {
    await mkdir(dirname(this.file), { recursive: true });
    const text = await readFile(this.file, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return '';
      throw err;
    });
    const lines = text.split('\n').filter(Boolean);
    const last = lines[lines.length - 1];
    if (last) {
      const record = JSON.parse(last) as AuditRecord;
      this.head = { seq: record.seq, hash: record.hash };
    }
    this.handle = await open(this.file, 'a', 0o640);
  }

  /** Appends an entry; entries are written in call order. */
  append(entry: AuditEntry): Promise<void> {
    const unhashed: Omit<AuditRecord, 'hash'> = {
      seq: this.head.seq + 1,
      time: new Date(this.clock.wallMs()).toISOString(),
      timeSynced: this.clock.wallSynced(),
      ...entry,
      prev: this.head.hash,
    };
    const record: AuditRecord = { ...unhashed, hash: hashRecord(unhashed) };
    this.head = { seq: record.seq, hash: record.hash };
    const line = JSON.stringify(record) + '\n';
    this.writing = this.writing.then(async () => {
      if (!this.handle) throw new Error(`audit log ${this.file} is not open`);
      await this.handle.write(line);
      this.scheduleSync();
    });
    return this.writing;
  }

  async close(): Promise<void> {
    await this.writing.catch(() => {});
    clearTimeout(this.syncTimer);
    this.syncTimer = undefined;
    if (this.handle) {
      await this.handle.datasync().catch(() => {});
      await this.handle.close();
      this.handle = undefined;
    }
  }

  private scheduleSync(): void {
    if (this.syncTimer) return;
    this.syncTimer = setTimeout(() => {
      this.syncTimer = undefined;
      void this.handle?.datasync().catch(() => {});
    }, SYNC_DELAY_MS);
  }
}

export type VerifyResult =
  { ok: true; lines: number; head: string } | { ok: false; line: number; problem: string };

/** Checks the chain of an audit log's text; names the first line that does not fit. */
export function verifyAuditText(text: string): VerifyResult {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  let prev = GENESIS;
  let seq = 0;
  for (let i = 0; i < lines.length; i++) {
    const n = i + 1;
    let record: AuditRecord;
    try {
      record = JSON.parse(lines[i]!) as AuditRecord;
    } catch {
      return { ok: false, line: n, problem: 'not valid JSON' };
    }
    if (typeof record !== 'object' || record === null || typeof record.hash !== 'string') {
      return { ok: false, line: n, problem: 'not an audit record' };
    }
    if (i === 0) {
      seq = record.seq - 1;
      prev = record.prev;
      if (record.seq !== 1 || record.prev !== GENESIS)
        return {
          ok: false,
          line: n,
          problem: 'the log does not start at the beginning of the chain (lines removed at the start?)',
        };
    }
    if (record.prev !== prev)
      return {
        ok: false,
        line: n,
        problem: 'does not follow the previous line (a line was removed, inserted or reordered)',
      };
    if (record.seq !== seq + 1) return { ok: false, line: n, problem: `sequence ${record.seq} after ${seq}` };
    const { hash, ...rest } = record;
    if (hashRecord(rest) !== hash)
      return { ok: false, line: n, problem: 'content does not match its hash (the line was edited)' };
    prev = hash;
    seq = record.seq;
  }
  return { ok: true, lines: lines.length, head: prev };
}
