// Fake time for the supervisors' unit tests: timers and Date are faked (vitest), the file system stays real
// (config and status files in a temp directory), so each step lets real IO finish before going on.

import { vi } from 'vitest';
import type { Clock } from '../../../../daemon/clock.js';

// Captured before any test fakes the timers.
const realSetTimeout = globalThis.setTimeout;

export const T0 = Date.UTC(2026, 0, 1, 6, 0, 0);

export function useFakeTime(): void {
  vi.useFakeTimers({
    toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'],
    now: T0,
  });
}

/** Monotonic time is fake time since T0; the wall clock may be made to jump without it. */
export class TestClock implements Clock {
  private wallJumpMs = 0;
  monotonicMs(): number {
    return Date.now() - this.wallJumpMs - T0;
  }
  wallMs(): number {
    return Date.now();
  }
  wallSynced(): boolean {
    return true;
  }
  /** The wall clock jumps (NTP sync on a Pi without RTC); the monotonic clock does not. */
  jumpWall(ms: number): void {
    this.wallJumpMs += ms;
    vi.setSystemTime(Date.now() + ms);
  }
}

/** Lets real IO (file reads and writes) complete. */
export async function flushIo(): Promise<void> {
  for (let i = 0; i < 4; i++) await new Promise((r) => realSetTimeout(r, 1));
}

/**
 * Real IO on a loaded machine (a CI run, a CPU hog) can take longer than flushIo's few milliseconds: what
 * must follow from IO at once, without fake time passing, is waited for here, up to this real deadline.
 */
export const REAL_IO_DEADLINE_MS = 10_000;

/** Waits in real time, fake time standing still, until `done()`; fails after REAL_IO_DEADLINE_MS. */
export async function untilIo(done: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const start = Date.now();
  const realNow = () => performance.timeOrigin + performance.now();
  const startReal = realNow();
  while (!(await done())) {
    if (realNow() - startReal > REAL_IO_DEADLINE_MS)
      throw new Error(
        `not ${what} within ${REAL_IO_DEADLINE_MS} ms of real time (fake time at ${Date.now() - start} ms)`,
      );
    await new Promise((r) => realSetTimeout(r, 5));
  }
}

export async function advance(ms: number, stepMs = 250): Promise<void> {
  for (let t = 0; t < ms; t += stepMs) {
    await vi.advanceTimersByTimeAsync(Math.min(stepMs, ms - t));
    await flushIo();
  }
}

/** Advances until `done()`; returns the fake milliseconds it took. Fails after `maxMs`. */
export async function advanceUntil(
  done: () => boolean,
  maxMs: number,
  what: string,
  stepMs = 250,
): Promise<number> {
  let t = 0;
  while (!done()) {
    if (t >= maxMs) throw new Error(`not ${what} within ${maxMs} ms (fake time)`);
    await vi.advanceTimersByTimeAsync(stepMs);
    await flushIo();
    t += stepMs;
  }
  return t;
}
