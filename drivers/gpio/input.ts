// Debounced GPIO inputs: a read samples the lines a few times, a few milliseconds apart, and takes each
// line's majority, so contact bounce, ripple or a splash at the moment of reading does not flip a state.
// (Debouncing across samples, over seconds, is the level estimator's job.)

import type { DigitalInput } from '../types.js';
import { realSleep, type Sleep } from '../timing.js';
import type { Bias, GpioBackend, InputLines } from './types.js';

/** Reads per debounced sample (odd, so there is always a majority). */
export const DEBOUNCE_READS = 3;
/** Gap between those reads: longer than contact bounce (~1 ms), short against a 2 s sample interval. */
export const DEBOUNCE_GAP_MS = 2;

export async function debouncedRead(
  lines: InputLines,
  sleep: Sleep,
  reads = DEBOUNCE_READS,
  gapMs = DEBOUNCE_GAP_MS,
): Promise<boolean[]> {
  const highs: number[] = [];
  for (let r = 0; r < reads; r++) {
    if (r > 0) await sleep(gapMs);
    (await lines.read()).forEach((high, i) => (highs[i] = (highs[i] ?? 0) + (high ? 1 : 0)));
  }
  return highs.map((n) => n * 2 > reads);
}

export class GpioInput implements DigitalInput {
  private lines: InputLines | undefined;

  constructor(
    private readonly gpio: GpioBackend,
    private readonly pin: number,
    private readonly options: { name: string; bias: Bias; activeLow?: boolean; sleep?: Sleep },
  ) {}

  get description(): string {
    return `${this.options.name} on ${this.gpio.lineName(this.pin)}`;
  }

  async open(): Promise<void> {
    this.lines ??= await this.gpio.openInputs([this.pin], this.options.bias);
  }

  async read(): Promise<boolean> {
    if (!this.lines) throw new Error(`${this.description}: not open`);
    const [high] = await debouncedRead(this.lines, this.options.sleep ?? realSleep);
    return high! !== (this.options.activeLow ?? false);
  }

  async close(): Promise<void> {
    const lines = this.lines;
    this.lines = undefined;
    await lines?.release();
  }
}
