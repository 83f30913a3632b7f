// Two clocks. Control intervals use the monotonic clock, which never jumps; wall time (refill windows,
// telemetry timestamps, command freshness) is trusted only once the system clock is synchronized: a Pi
// has no RTC, boots with a stale time and may reach an NTP server only through the VPN tunnel.

import { existsSync } from 'node:fs';
import { timeZone, type TimeZone } from './time-zone.js';

export interface Clock {
  /** Clock milliseconds per real millisecond: 1, except on the simulator run faster than real time. */
  readonly rate?: number;
  /** Milliseconds on CLOCK_MONOTONIC (since boot, shared by processes): only differences mean anything. */
  monotonicMs(): number;
  /** Wall-clock milliseconds since the epoch; possibly wrong until `wallSynced()`. */
  wallMs(): number;
  wallSynced(): boolean;
}

/** systemd-timesyncd touches this file once the clock is synchronized (systemd >= 239). */
export const TIMESYNCD_FLAG = '/run/systemd/timesync/synchronized';
/** No real clock reads earlier than this build's era: a time before it is certainly unsynchronized. */
const PLAUSIBLE_WALL_FLOOR_MS = Date.UTC(2025, 0, 1);
const SYNC_RECHECK_MS = 10_000;

export type SyncSource = 'timesyncd' | 'assume-synced';

export class SystemClock implements Clock {
  private syncedCache: { value: boolean; checkedAtMs: number } | undefined;

  constructor(
    private readonly source: SyncSource,
    private readonly flagFile = TIMESYNCD_FLAG,
  ) {}

  monotonicMs(): number {
    return Number(process.hrtime.bigint() / 1_000_000n);
  }

  wallMs(): number {
    return Date.now();
  }

  wallSynced(): boolean {
    if (this.wallMs() < PLAUSIBLE_WALL_FLOOR_MS) return false;
    if (this.source === 'assume-synced') return true;
    // Once synchronized it stays so for this boot; before that, look again every few seconds.
    const now = this.monotonicMs();
    if (
      this.syncedCache &&
      (this.syncedCache.value || now - this.syncedCache.checkedAtMs < SYNC_RECHECK_MS)
    ) {
      return this.syncedCache.value;
    }
    const value = existsSync(this.flagFile);
    this.syncedCache = { value, checkedAtMs: now };
    return value;
  }
}

/**
 * The system clock run `rate` times faster from the moment it was made: the daemon on the simulated
 * tank (hardware.sim.speed) lives in simulated time throughout — control intervals, filters, timers and
 * timestamps — so an accelerated demo behaves exactly like a real day, only sooner.
 */
export class AcceleratedClock implements Clock {
  private readonly startMono: number;
  private readonly startWall: number;

  constructor(
    private readonly base: Clock,
    readonly rate: number,
  ) {
    this.startMono = base.monotonicMs();
    this.startWall = base.wallMs();
  }

  monotonicMs(): number {
    return this.startMono + (this.base.monotonicMs() - this.startMono) * this.rate;
  }

  wallMs(): number {
    return this.startWall + (this.base.monotonicMs() - this.startMono) * this.rate;
  }

  wallSynced(): boolean {
    return this.base.wallSynced();
  }
}

/** A clock the simulator and tests move by hand. */
export class ManualClock implements Clock {
  constructor(
    private mono = 0,
    private wall = Date.UTC(2026, 0, 1),
    public synced = true,
  ) {}
  monotonicMs(): number {
    return this.mono;
  }
  wallMs(): number {
    return this.wall;
  }
  wallSynced(): boolean {
    return this.synced;
  }
  advance(ms: number): void {
    this.mono += ms;
    this.wall += ms;
  }
  setWall(ms: number): void {
    this.wall = ms;
  }
}

/**
 * Local minute of the day in a time zone. The UTC offset is looked up once and reused until the next
 * quarter hour boundary (offsets change only at DST transitions, on those boundaries).
 */
export class LocalTime {
  private readonly zone: TimeZone;
  private offsetMs = 0;
  private validUntilMs = -Infinity;
  private validFromMs = Infinity;

  constructor(timeZoneName: string) {
    this.zone = timeZone(timeZoneName);
  }

  minuteOfDay(wallMs: number): number {
    const local = wallMs + this.offsetAt(wallMs);
    const dayMs = 86_400_000;
    return Math.floor((((local % dayMs) + dayMs) % dayMs) / 60_000);
  }

  /** Local hour with fraction (0-24), for daily profiles. */
  hourOfDay(wallMs: number): number {
    const local = wallMs + this.offsetAt(wallMs);
    const dayMs = 86_400_000;
    return (((local % dayMs) + dayMs) % dayMs) / 3_600_000;
  }

  private offsetAt(wallMs: number): number {
    if (wallMs >= this.validFromMs && wallMs < this.validUntilMs) return this.offsetMs;
    this.offsetMs = this.zone.offsetMsAt(wallMs);
    const quarter = 15 * 60_000;
    this.validFromMs = Math.floor(wallMs / quarter) * quarter;
    this.validUntilMs = this.validFromMs + quarter;
    return this.offsetMs;
  }
}
