// Small signal-processing pieces for the level estimator. Each one does one thing and keeps its own
// state; the estimator composes them. Time constants are in seconds of signal time, so the same filter
// behaves the same at any sample rate (the simulator runs slower ticks than a Pi).

const scratch = new Float64Array(64);

/** Median of a short window (insertion sort into a scratch buffer: windows are <= 31 samples). */
export function median(values: readonly number[]): number {
  const n = values.length;
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    let j = i - 1;
    while (j >= 0 && scratch[j]! > v) {
      scratch[j + 1] = scratch[j]!;
      j--;
    }
    scratch[j + 1] = v;
  }
  const mid = n >> 1;
  return n % 2 === 1 ? scratch[mid]! : (scratch[mid - 1]! + scratch[mid]!) / 2;
}

/** One step of exponential smoothing with time constant tauS over an interval dtMs. */
export function smooth(previous: number | undefined, value: number, dtMs: number, tauS: number): number {
  if (previous === undefined || tauS <= 0) return value;
  const alpha = 1 - Math.exp(-dtMs / (tauS * 1000));
  return previous + alpha * (value - previous);
}

/** Exponential smoothing with a fixed time constant; remembers the weight of the last interval (samples come evenly). */
export class Smoother {
  private lastDtMs = NaN;
  private alpha = 1;
  constructor(private readonly tauS: number) {}
  step(previous: number | undefined, value: number, dtMs: number): number {
    if (previous === undefined || this.tauS <= 0) return value;
    if (dtMs !== this.lastDtMs) {
      this.lastDtMs = dtMs;
      this.alpha = 1 - Math.exp(-dtMs / (this.tauS * 1000));
    }
    return previous + this.alpha * (value - previous);
  }
}

/** The last `size` values, oldest first. */
export class Window {
  private readonly values: number[] = [];
  constructor(private readonly size: number) {}
  push(value: number): void {
    this.values.push(value);
    if (this.values.length > this.size) this.values.shift();
  }
  get items(): readonly number[] {
    return this.values;
  }
  clear(): void {
    this.values.length = 0;
  }
}

/**
 * Rejects echo spikes by physics: water cannot move faster than `maxRateMmPerMin`, so a sample further
 * from the reference than `thresholdMm` plus what that rate allows since the last accepted sample is a
 * false echo (a droplet, a ladder rung, the inlet pipe). After a long gap the allowance grows, so a level
 * that really moved while the sensor was silent is accepted again.
 */
export function plausible(
  reference: number | undefined,
  value: number,
  msSinceAccepted: number,
  thresholdMm: number,
  maxRateMmPerMin: number,
): boolean {
  if (reference === undefined) return true;
  return Math.abs(value - reference) <= thresholdMm + (maxRateMmPerMin * msSinceAccepted) / 60_000;
}

/** Share of "bad" events among the last `size` events (a ring buffer: this runs on every sample). */
export class RatioWindow {
  private readonly flags: Uint8Array;
  private next = 0;
  private count = 0;
  private bad = 0;
  constructor(size: number) {
    this.flags = new Uint8Array(size);
  }
  push(isBad: boolean): void {
    if (this.count === this.flags.length) this.bad -= this.flags[this.next]!;
    else this.count++;
    this.flags[this.next] = isBad ? 1 : 0;
    if (isBad) this.bad++;
    this.next = (this.next + 1) % this.flags.length;
  }
  get ratio(): number {
    return this.count === 0 ? 0 : this.bad / this.count;
  }
  get full(): boolean {
    return this.count >= this.flags.length;
  }
}

/** A boolean input that changes state only after `samples` consecutive readings of the other state. */
export class Debounced {
  private count = 0;
  value: boolean | undefined;
  constructor(private readonly samples: number) {}
  push(raw: boolean): boolean {
    // The first reading is taken at once: there is no earlier state to protect.
    if (this.value === undefined || raw === this.value) {
      this.value = raw;
      this.count = 0;
    } else if (++this.count >= this.samples) {
      this.value = raw;
      this.count = 0;
    }
    return this.value;
  }
}
