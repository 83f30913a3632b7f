// Dashboard sessions: a random token in an HttpOnly cookie, known to the gateway only by its SHA-256 (the
// sessions file holds no usable secret), with idle and absolute expiry. The CSRF token is derived from
// the session token (HMAC), so nothing else needs keeping. Sessions survive a daemon restart (the
// farmer's open page reconnects by itself): the file is written on login and logout, and for activity
// at most every PERSIST_ACTIVITY_MS (an SD card wears with every write).

import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Logger } from '../log.js';
import { readFileIfExists, writeFileAtomic } from '../runtime/atomic-file.js';

export interface SessionRecord {
  /** SHA-256 of the token, hex. */
  idHash: string;
  user: string;
  createdMs: number;
  lastSeenMs: number;
  /** The client address at login (for the audit of a logout, and for people). */
  address: string;
}

export interface SessionPolicy {
  idleMs: number;
  absoluteMs: number;
  maxPerUser: number;
}

export interface SessionStoreDeps {
  /** undefined: in memory only (tests). */
  file: string | undefined;
  policy: SessionPolicy;
  /** Wall-clock ms (expiry must hold across restarts). */
  now: () => number;
  log: Logger;
}

const TOKEN_BYTES = 32;
/** Activity alone is written at most this often. */
export const PERSIST_ACTIVITY_MS = 10 * 60_000;
const FILE_VERSION = 1;

export class SessionStore {
  private readonly sessions = new Map<string, SessionRecord>();
  private dirty = false;
  private activityDirty = false;
  private lastWriteMs = -Infinity;
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly deps: SessionStoreDeps) {}

  get size(): number {
    return this.sessions.size;
  }

  async load(): Promise<void> {
    const { file, log } = this.deps;
    if (!file) return;
    const text = await readFileIfExists(file);
    if (!text) return;
    try {
      const parsed = JSON.parse(text) as { version?: number; sessions?: SessionRecord[] };
      for (const s of parsed.sessions ?? []) {
        if (typeof s.idHash === 'string' && typeof s.user === 'string' && this.alive(s))
          this.sessions.set(s.idHash, s);
      }
    } catch (err) {
      // A damaged file costs the farmers a login, nothing more.
      log.warn('sessions file unreadable: everyone logs in again', { file, error: err as Error });
    }
  }

  /** A new session (never reusing a token a client brought: no fixation). Returns the cookie's token. */
  create(user: string, address: string): { token: string; record: SessionRecord } {
    const token = randomBytes(TOKEN_BYTES).toString('base64url');
    const now = this.deps.now();
    const record: SessionRecord = {
      idHash: hashToken(token),
      user,
      createdMs: now,
      lastSeenMs: now,
      address,
    };
    this.sessions.set(record.idHash, record);
    this.trimUser(user);
    this.dirty = true;
    void this.persist();
    return { token, record };
  }

  /** The live session of a cookie's token, or undefined; counts as activity. */
  resolve(token: string | undefined): SessionRecord | undefined {
    if (!token || token.length > 128) return undefined;
    const idHash = hashToken(token);
    const record = this.sessions.get(idHash);
    if (!record) return undefined;
    if (!this.alive(record)) {
      this.sessions.delete(idHash);
      this.dirty = true;
      void this.persist();
      return undefined;
    }
    record.lastSeenMs = this.deps.now();
    this.activityDirty = true;
    if (this.deps.now() - this.lastWriteMs >= PERSIST_ACTIVITY_MS) void this.persist();
    return record;
  }

  /** Whether the session is still valid, without counting as activity (long-lived streams). */
  valid(record: SessionRecord): boolean {
    return this.sessions.get(record.idHash) === record && this.alive(record);
  }

  destroy(token: string): SessionRecord | undefined {
    const idHash = hashToken(token);
    const record = this.sessions.get(idHash);
    if (!record) return undefined;
    this.sessions.delete(idHash);
    this.dirty = true;
    void this.persist();
    return record;
  }

  /** Ends every session of users that no longer exist or may no longer log in. */
  retain(userExists: (user: string) => boolean): void {
    for (const [k, s] of this.sessions) {
      if (!userExists(s.user)) {
        this.sessions.delete(k);
        this.dirty = true;
      }
    }
    if (this.dirty) void this.persist();
  }

  /** Writes pending changes (also activity) now. */
  async flush(): Promise<void> {
    this.activityDirty = this.activityDirty || this.dirty;
    await this.persist(true);
  }

  private alive(s: SessionRecord): boolean {
    const now = this.deps.now();
    const { idleMs, absoluteMs } = this.deps.policy;
    // A clock that went back (a Pi without RTC, before NTP) leaves times in the future: they count as now,
    // so a session never lives longer than its limits measured from the moment that was noticed.
    if (s.createdMs > now) s.createdMs = now;
    if (s.lastSeenMs > now) s.lastSeenMs = now;
    return now - s.lastSeenMs < idleMs && now - s.createdMs < absoluteMs;
  }

  /** The oldest sessions of a user beyond maxPerUser end. */
  private trimUser(user: string): void {
    const mine = [...this.sessions.values()].filter((s) => s.user === user);
    mine.sort((a, b) => a.lastSeenMs - b.lastSeenMs);
    for (const s of mine.slice(0, Math.max(0, mine.length - this.deps.policy.maxPerUser)))
      this.sessions.delete(s.idHash);
  }

  private persist(includeActivity = false): Promise<void> {
    const { file, log } = this.deps;
    if (!file || (!this.dirty && !(includeActivity && this.activityDirty) && !this.activityDue())) {
      return this.writing;
    }
    this.dirty = false;
    this.activityDirty = false;
    this.lastWriteMs = this.deps.now();
    for (const [k, s] of this.sessions) if (!this.alive(s)) this.sessions.delete(k);
    const content = JSON.stringify({ version: FILE_VERSION, sessions: [...this.sessions.values()] }) + '\n';
    this.writing = this.writing
      .then(() => writeFileAtomic(file, content))
      .then(
        () => undefined,
        (err: unknown) => log.warn('cannot write the sessions file', { file, error: err as Error }),
      );
    return this.writing;
  }

  private activityDue(): boolean {
    return this.activityDirty && this.deps.now() - this.lastWriteMs >= PERSIST_ACTIVITY_MS;
  }
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** The CSRF token of a session: sent by the page in a header with every state-changing request. */
export function csrfTokenFor(sessionToken: string): string {
  return createHmac('sha256', sessionToken).update('smart-tank csrf').digest('base64url');
}

export function csrfTokenMatches(sessionToken: string, presented: string | undefined): boolean {
  if (!presented) return false;
  const expected = Buffer.from(csrfTokenFor(sessionToken));
  const given = Buffer.from(presented);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
