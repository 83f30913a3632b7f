// GPIO through the character device (/dev/gpiochipN) with the gpiod tools: Raspberry Pi OS Trixie and
// the Pi 5, where /sys/class/gpio is gone (onoff issue #206). Offsets on the header's chip are the BCM
// numbers. A level change goes to the line's interactive gpioset where libgpiod 2 has that mode; else it
// restarts that line's gpioset (the plain tools cannot change a held line's value), and Raspberry Pi
// kernels keep an output's level when its holder lets go, so the relay does not drop between the two
// processes; config.txt `gpio=` lines cover the time before the daemon. Inputs: one gpioget per sample.

import type { GpiodTools, HeldLine } from './gpiod-tools.js';
import {
  checkPinOnChip,
  chipLineName,
  GpioError,
  type Bias,
  type ChipEntry,
  type GpioBackend,
  type InputLines,
  type OutputLine,
} from './types.js';

export class ChardevGpioBackend implements GpioBackend {
  readonly kind = 'chardev';

  constructor(
    private readonly tools: GpiodTools,
    private readonly chip: ChipEntry,
  ) {}

  lineName(pin: number): string {
    return chipLineName(this.chip, pin);
  }

  async openOutput(pin: number, initialHigh: boolean): Promise<OutputLine> {
    this.check(pin);
    let level = initialHigh;
    let held: HeldLine | undefined = await this.tools.hold(this.chip.name, pin, level);
    return {
      set: async (high) => {
        if (held?.alive && high === level) return;
        if (held?.alive && held.set) {
          // An unconfirmed change falls through to a new gpioset at the wanted level.
          const changed = await held.set(high).then(
            () => true,
            () => false,
          );
          if (changed) {
            level = high;
            return;
          }
        }
        await held?.release();
        held = undefined;
        try {
          held = await this.tools.hold(this.chip.name, pin, high);
        } catch (err) {
          throw new GpioError(`${this.lineName(pin)}: ${(err as Error).message}`, { cause: err });
        }
        level = high;
      },
      release: async () => {
        await held?.release();
        held = undefined;
      },
    };
  }

  async openInputs(pins: readonly number[], bias: Bias): Promise<InputLines> {
    for (const pin of pins) this.check(pin);
    // One gpioget for all lines: one process per sample instead of one per electrode.
    const read = () => this.tools.get(this.chip.name, pins, bias);
    await read(); // requests the lines once now, so a busy or missing line fails at open
    return { read, release: async () => {} };
  }

  private check(pin: number): void {
    checkPinOnChip(this.chip, pin);
  }
}
