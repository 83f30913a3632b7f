// The audit log: append-only JSON lines, each carrying the SHA-256 of the previous line's hash and its
// own content, so an edited, inserted or removed line breaks the chain at that point. `smart-tank audit
// verify` walks the chain and names the first bad line. The head (seq, hash) also goes out in the system
// telemetry, so a copy of the whole chain rewritten by someone with write access can be noticed remotely.

import { createHash } from 'node:crypto';
import { open, readFile, mkdir, writeFile, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Clock } from '../clock.js';

export const GENESIS = '0'.repeat(64);
/** Lines are made durable at most this long after they were written (an SD card wears with each fsync). */
const SYNC_DELAY_MS = 1000;
/**
 * Every text field of an entry is cut to this length: names, client ids, topics and reasons may come from
 * an attacker, and each line goes to the SD card.
 */
export const MAX_FIELD_CHARS = 256;
/** The `detail` object of an entry, as JSON, at most this long. */
export const MAX_DETAIL_CHARS = 2048;

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
  | 'suppressed'
  | 'denied'
  | 'subscribe'
  | 'session'
  | 'recovery'
  | 'tamper';

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

  get isOpen(): boolean {
    return this.handle !== undefined;
  }

  get headSeq(): number {
    return this.head.seq;
  }

  get headHash(): string {
    return this.head.hash;
  }

  /**
   * Opens the log for appending, after the last whole line. A tail torn by a crash or power cut (an
   * unfinished line, or zeros the file system left) is set aside in `<file>.torn-<time>`, cut off, and the
   * recovery is the first entry written: the log goes on, and nothing whole is lost. (A line edited in
   * the middle is not touched here: `smart-tank audit verify` reports it.)
   */
  async open(): Promise<{ recovered?: { bytes: number; savedAs: string } }> {
    await mkdir(dirname(this.file), { recursive: true });
    const bytes = await readFile(this.file).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return Buffer.alloc(0);
      throw err;
    });
    const { wholeBytes, last } = wholeLines(bytes);
    if (last) this.head = { seq: last.seq, hash: last.hash };
    let recovered: { bytes: number; savedAs: string } | undefined;
    if (wholeBytes < bytes.length) {
      const savedAs = `${this.file}.torn-${new Date(this.clock.wallMs()).toISOString().replace(/[:.]/g, '-')}`;
      await writeFile(savedAs, bytes.subarray(wholeBytes), { mode: 0o640 });
      const h = await open(this.file, 'r+');
      await h.truncate(wholeBytes);
      await h.sync();
      await h.close();
      recovered = { bytes: bytes.length - wholeBytes, savedAs };
    }
    this.handle = await open(this.file, 'a', 0o640);
    if (recovered) {
      await this.append({
        kind: 'recovery',
        who: 'gateway',
        from: 'local',
        what: 'audit log tail torn by a crash or power cut',
        result: `${recovered.bytes} bytes after line ${this.head.seq} set aside in ${recovered.savedAs}`,
      });
    }
    return { recovered };
  }

  /** Appends an entry; entries are written in call order. Text fields are bounded (MAX_FIELD_CHARS). */
  append(entry: AuditEntry): Promise<void> {
    const unhashed: Omit<AuditRecord, 'hash'> = {
      seq: this.head.seq + 1,
      time: new Date(this.clock.wallMs()).toISOString(),
      timeSynced: this.clock.wallSynced(),
      ...bounded(entry),
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

  /** The hash of line `seq` as the file holds it now (read at start, to check a recorded head). */
  async hashAt(seq: number): Promise<string | undefined> {
    const text = await readFile(this.file, 'utf8').catch(() => '');
    for (const line of text.split('\n')) {
      const record = parseRecord(line);
      if (record?.seq === seq) return record.hash;
    }
    return undefined;
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

/**
 * Where the whole lines of a log end, and its last record: a whole line ends in a newline and parses as a
 * record. Whatever follows the last one is a torn tail.
 */
export function wholeLines(bytes: Buffer): { wholeBytes: number; last?: AuditRecord } {
  let end = bytes.lastIndexOf(0x0a) + 1; // after the last newline
  while (end > 0) {
    const start = bytes.lastIndexOf(0x0a, end - 2) + 1;
    const record = parseRecord(bytes.subarray(start, end - 1).toString('utf8'));
    if (record) return { wholeBytes: end, last: record };
    // A newline-ended line that is not a record at the very end: zeros or a torn write. Step back.
    end = start;
  }
  return { wholeBytes: 0 };
}

function parseRecord(line: string): AuditRecord | undefined {
  try {
    const r = JSON.parse(line) as AuditRecord;
    return typeof r === 'object' && r !== null && typeof r.seq === 'number' && typeof r.hash === 'string'
      ? r
      : undefined;
  } catch {
    return undefined;
  }
}

/** The entry with every text field cut to MAX_FIELD_CHARS and its detail to MAX_DETAIL_CHARS. */
export function bounded(entry: AuditEntry): AuditEntry {
  const out: AuditEntry = {
    ...entry,
    who: clip(entry.who),
    from: clip(entry.from),
    what: clip(entry.what),
    result: clip(entry.result),
  };
  if (entry.detail !== undefined) {
    const json = JSON.stringify(entry.detail);
    if (json.length > MAX_DETAIL_CHARS)
      out.detail = { cut: true, chars: json.length, start: json.slice(0, 200) };
  }
  return out;
}

/** Cuts attacker-controlled text to `max` characters, saying how long it was. */
export function clip(text: string, max = MAX_FIELD_CHARS): string {
  return text.length <= max ? text : `${text.slice(0, max)}…(${text.length} chars)`;
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
