// How the control loop keeps its time: each tick's duration and how late it started against its
// schedule, over the last ticks, as percentiles for the system telemetry (a loop starved by a flooded
// broker or a slow SD card shows here before the watchdog has to act). Real (performance) time.

/** Percentiles over this many recent ticks (at 2 s per tick: the last ten minutes). */
const WINDOW_TICKS = 300;

export interface LoopTiming {
  ticks: number;
  tickP50Ms: number;
  tickP99Ms: number;
  tickMaxMs: number;
  /** How much later than scheduled ticks started. */
  lateP99Ms: number;
}

export class LoopTimer {
  private readonly durations: number[] = [];
  private readonly lateness: number[] = [];
  private count = 0;

  record(durationMs: number, lateMs: number): void {
    this.count++;
    push(this.durations, durationMs);
    push(this.lateness, Math.max(0, lateMs));
  }

  summary(): LoopTiming {
    const d = [...this.durations].sort((a, b) => a - b);
    const l = [...this.lateness].sort((a, b) => a - b);
    return {
      ticks: this.count,
      tickP50Ms: round(pick(d, 0.5)),
      tickP99Ms: round(pick(d, 0.99)),
      tickMaxMs: round(d[d.length - 1] ?? 0),
      lateP99Ms: round(pick(l, 0.99)),
    };
  }
}

function push(window: number[], x: number): void {
  window.push(x);
  if (window.length > WINDOW_TICKS) window.shift();
}

function pick(sorted: number[], q: number): number {
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
