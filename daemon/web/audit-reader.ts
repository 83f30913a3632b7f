// Reads the audit log for the dashboard: the most recent entries and whether the hash chain holds. The
// chain is verified incrementally (only what was appended since the last read), so an admin opening the
// health page does not make the Pi re-hash a year of log each time. A last line without its newline is
// being written (or was torn by a power cut): it is left for the log's own recovery, not judged here.

import { open, stat } from 'node:fs/promises';
import { GENESIS, hashRecord, type AuditRecord } from '../security/audit-log.js';

export interface ChainStatus {
  ok: boolean;
  /** Entries verified. */
  lines: number;
  /** The first line that does not fit, and why. */
  problem?: { line: number; reason: string };
}

const KEEP_RECENT = 200;
const READ_CHUNK_BYTES = 256 * 1024;

export class AuditReader {
  private offset = 0;
  private lines = 0;
  private prev = GENESIS;
  private seq = 0;
  private problem: ChainStatus['problem'];
  private recent: AuditRecord[] = [];
  private fileId = '';
  private reading: Promise<void> | undefined;

  constructor(private readonly file: string) {}

  /** The newest entries first, and the chain's status. */
  async read(limit: number): Promise<{ chain: ChainStatus; entries: AuditRecord[] }> {
    this.reading ??= this.catchUp().finally(() => (this.reading = undefined));
    await this.reading;
    return {
      chain: {
        ok: this.problem === undefined,
        lines: this.lines,
        ...(this.problem ? { problem: this.problem } : {}),
      },
      entries: this.recent.slice(-Math.min(limit, KEEP_RECENT)).reverse(),
    };
  }

  private async catchUp(): Promise<void> {
    let info;
    try {
      info = await stat(this.file);
    } catch {
      return; // no log yet
    }
    const id = `${info.ino}`;
    if (id !== this.fileId || info.size < this.offset) {
      // A new or truncated file: start over (truncation itself breaks the chain at line 1).
      this.fileId = id;
      this.offset = 0;
      this.lines = 0;
      this.prev = GENESIS;
      this.seq = 0;
      this.problem = undefined;
      this.recent = [];
    }
    if (info.size === this.offset) return;
    const handle = await open(this.file, 'r');
    try {
      let carry = '';
      let position = this.offset;
      while (position < info.size) {
        const buffer = Buffer.alloc(Math.min(READ_CHUNK_BYTES, info.size - position));
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
        if (bytesRead === 0) break;
        position += bytesRead;
        const text = carry + buffer.subarray(0, bytesRead).toString('utf8');
        const lastNl = text.lastIndexOf('\n');
        carry = lastNl < 0 ? text : text.slice(lastNl + 1);
        if (lastNl >= 0) {
          for (const line of text.slice(0, lastNl).split('\n')) this.take(line);
          this.offset = position - Buffer.byteLength(carry);
        }
      }
    } finally {
      await handle.close();
    }
  }

  private take(line: string): void {
    if (line === '') return;
    const n = this.lines + 1;
    this.lines = n;
    let record: AuditRecord;
    try {
      record = JSON.parse(line) as AuditRecord;
    } catch {
      this.fail(n, 'not valid JSON');
      return;
    }
    this.recent.push(record);
    if (this.recent.length > KEEP_RECENT * 2) this.recent = this.recent.slice(-KEEP_RECENT);
    if (this.problem) return;
    if (n === 1 && (record.seq !== 1 || record.prev !== GENESIS))
      return this.fail(n, 'the log does not start at the beginning of the chain');
    if (record.prev !== this.prev) return this.fail(n, 'does not follow the previous line');
    if (record.seq !== this.seq + 1) return this.fail(n, `sequence ${record.seq} after ${this.seq}`);
    const { hash, ...rest } = record;
    if (hashRecord(rest) !== hash) return this.fail(n, 'content does not match its hash (edited)');
    this.prev = hash;
    this.seq = record.seq;
  }

  private fail(line: number, reason: string): void {
    this.problem ??= { line, reason };
  }
}
