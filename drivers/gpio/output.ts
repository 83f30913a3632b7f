// A relay or MOSFET output on a GPIO line. `on` means energized; active-low boards (most opto relay
// modules and HATs) are driven low for on. Safe (off) from the moment the line is requested, and again on
// close, before the line is released.

import type { DigitalOutput } from '../types.js';
import type { GpioBackend, OutputLine } from './types.js';

export class GpioOutput implements DigitalOutput {
  private line: OutputLine | undefined;
  value: boolean | undefined;

  constructor(
    private readonly gpio: GpioBackend,
    private readonly pin: number,
    private readonly activeLow: boolean,
    private readonly name: string,
  ) {}

  get description(): string {
    return `${this.name} on ${this.gpio.lineName(this.pin)}${this.activeLow ? ', active-low' : ''}`;
  }

  private level(on: boolean): boolean {
    return on !== this.activeLow;
  }

  async open(): Promise<void> {
    if (this.line) return;
    this.line = await this.gpio.openOutput(this.pin, this.level(false));
    this.value = false;
  }

  async write(on: boolean): Promise<void> {
    if (!this.line) throw new Error(`${this.description}: not open`);
    await this.line.set(this.level(on));
    this.value = on;
  }

  async close(): Promise<void> {
    const line = this.line;
    if (!line) return;
    this.line = undefined;
    try {
      await line.set(this.level(false));
      this.value = false;
    } finally {
      await line.release();
    }
  }
}
