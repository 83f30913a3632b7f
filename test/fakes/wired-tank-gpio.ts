// A GPIO backend wired to a tank, for the probe array: electrodes at heights in water, the common
// electrode on the excitation pin, the sense inputs' pull resistors to ground or to the reversal pin.
// An input reads what the physics gives: a submerged, connected electrode follows the excitation pin;
// a dry or cut one follows its pull. Time is a fake clock advanced by the driver's sleep, so the test can
// integrate how long current flowed each way.

import type { Bias, GpioBackend, InputLines, OutputLine } from '../../drivers/gpio/types.js';

export class WiredTankGpio implements GpioBackend {
  readonly kind = 'sysfs' as const;
  levelMm = 0;
  nowMs = 0;
  /** Pin -> electrode height. */
  readonly electrodes = new Map<number, number>();
  readonly cut = new Set<number>();
  readonly stuckHigh = new Set<number>();
  readonly outputs = new Map<number, boolean>();
  /** ms of current from the common electrode into the water (+) and back (-). */
  chargeMs = 0;
  excitedMs = 0;

  constructor(
    private readonly excitationPin: number,
    private readonly reversePin?: number,
  ) {}

  readonly sleep = async (ms: number): Promise<void> => {
    const exc = this.outputs.get(this.excitationPin) ?? false;
    const ref = this.reversePin === undefined ? false : (this.outputs.get(this.reversePin) ?? false);
    if (exc !== ref) {
      this.chargeMs += exc ? ms : -ms;
      this.excitedMs += ms;
    }
    this.nowMs += ms;
  };

  lineName(pin: number): string {
    return `GPIO${pin}`;
  }

  async openOutput(pin: number, initialHigh: boolean): Promise<OutputLine> {
    this.outputs.set(pin, initialHigh);
    return {
      set: async (high) => void this.outputs.set(pin, high),
      release: async () => void this.outputs.delete(pin),
    };
  }

  async openInputs(pins: readonly number[], _bias: Bias): Promise<InputLines> {
    return {
      read: async () =>
        pins.map((pin) => {
          if (this.stuckHigh.has(pin)) return true;
          const pull = this.reversePin === undefined ? false : (this.outputs.get(this.reversePin) ?? false);
          const height = this.electrodes.get(pin)!;
          const wet = this.levelMm > height && !this.cut.has(pin);
          return wet ? (this.outputs.get(this.excitationPin) ?? false) : pull;
        }),
      release: async () => {},
    };
  }
}
