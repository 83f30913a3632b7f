// GPIO through sysfs (/sys/class/gpio) with onoff: Raspberry Pi OS Bookworm and older. Pins are exported
// under their offset sysfs number (sysfs-chips.ts). Bias cannot be set through sysfs: inputs rely on the
// config.txt `gpio=` lines (hardware/README.md) for their pull resistors.

import type { SysfsGpioLib, SysfsLine } from './onoff-adapter.js';
import { sysfsNumber, type GpioChipInfo } from './sysfs-chips.js';
import {
  errorCode,
  GpioError,
  type Bias,
  type GpioBackend,
  type InputLines,
  type OutputLine,
} from './types.js';

export class SysfsGpioBackend implements GpioBackend {
  readonly kind = 'sysfs';

  constructor(
    private readonly lib: SysfsGpioLib,
    private readonly chip: GpioChipInfo,
  ) {}

  lineName(pin: number): string {
    return `GPIO${pin} (sysfs ${sysfsNumber(this.chip, pin)})`;
  }

  async openOutput(pin: number, initialHigh: boolean): Promise<OutputLine> {
    const line = this.export(pin, (n) => this.lib.output(n, initialHigh));
    return {
      set: async (high) => {
        try {
          line.writeSync(high);
        } catch (err) {
          throw new GpioError(`${this.lineName(pin)}: write failed: ${(err as Error).message}`, {
            cause: err,
          });
        }
      },
      release: async () => line.unexport(),
    };
  }

  async openInputs(pins: readonly number[], _bias: Bias): Promise<InputLines> {
    const lines: SysfsLine[] = [];
    try {
      for (const pin of pins) lines.push(this.export(pin, (n) => this.lib.input(n)));
    } catch (err) {
      for (const l of lines) l.unexport();
      throw err;
    }
    return {
      read: async () => lines.map((l) => l.readSync()),
      release: async () => {
        for (const l of lines) l.unexport();
      },
    };
  }

  private export(pin: number, open: (n: number) => SysfsLine): SysfsLine {
    const n = sysfsNumber(this.chip, pin);
    try {
      return open(n);
    } catch (err) {
      throw new GpioError(
        `${this.lineName(pin)}: ${sysfsHint(errorCode(err), n)} (${(err as Error).message})`,
        {
          cause: err,
        },
      );
    }
  }
}

function sysfsHint(code: string | undefined, n: number): string {
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return 'no permission on /sys/class/gpio: run the daemon as a user in the gpio group (sudo adduser USER gpio)';
    case 'EBUSY':
      return 'the pin is in use by a kernel driver (I2C, SPI, UART, 1-wire overlay) or another program';
    case 'EINVAL':
      return `the kernel refused sysfs number ${n}: not a GPIO of this chip`;
    case 'ENOENT':
      return `gpio${n} did not appear after export: the kernel refused the number or udev is slow`;
    default:
      return 'cannot export';
  }
}
