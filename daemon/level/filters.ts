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
 * Rejects echo spikes: a sample further than `thresholdMm` from the reference is held back until
 * `confirmSamples` such samples agree with each other, which is how a real step change (a fill starting
 * at full mains pressure, a sensor re-mounted) differs from a droplet or a ladder rung.
 */
export class SpikeGate {
  private readonly pending: number[] = [];
  constructor(
    private readonly thresholdMm: number,
    private readonly confirmSamples: number,
  ) {}

  /** Whether this sample is believed; a rejected one may still count towards confirming a step. */
  accept(reference: number | undefined, value: number): boolean {
    if (reference === undefined || Math.abs(value - reference) <= this.thresholdMm) {
      this.pending.length = 0;
      return true;
    }
    if (
      this.pending.length > 0 &&
      Math.abs(value - this.pending[this.pending.length - 1]!) > this.thresholdMm
    ) {
      this.pending.length = 0;
    }
    this.pending.push(value);
    if (this.pending.length >= this.confirmSamples) {
      this.pending.length = 0;
      return true;
    }
    return false;
  }

  reset(): void {
    this.pending.length = 0;
  }
}

/** Share of "bad" events among the last `size` events. */
export class RatioWindow {
  private readonly flags: boolean[] = [];
  private bad = 0;
  constructor(private readonly size: number) {}
  push(isBad: boolean): void {
    this.flags.push(isBad);
    if (isBad) this.bad++;
    if (this.flags.length > this.size && this.flags.shift()) this.bad--;
  }
  get ratio(): number {
    return this.flags.length === 0 ? 0 : this.bad / this.flags.length;
  }
  get full(): boolean {
    return this.flags.length >= this.size;
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
