// The only file that loads onoff (sysfs GPIO, a native epoll addon), imported lazily so the simulator and
// most tests never load it. Exposes just what the sysfs backend needs, with polarity left to us: onoff's
// activeLow is forced off so a value left in active_low by another program cannot invert our relays.

import { createRequire } from 'node:module';

export interface SysfsLine {
  writeSync(high: boolean): void;
  readSync(): boolean;
  unexport(): void;
}

export interface SysfsGpioLib {
  /** Exports `sysfsNumber` as an output at the given level ("high"/"low" set direction and level at once). */
  output(sysfsNumber: number, initialHigh: boolean): SysfsLine;
  input(sysfsNumber: number): SysfsLine;
}

interface OnoffGpio {
  writeSync(value: 0 | 1): void;
  readSync(): 0 | 1;
  unexport(): void;
}
interface OnoffModule {
  Gpio: new (gpio: number, direction: string, options: { activeLow: boolean }) => OnoffGpio;
}

export async function loadOnoff(): Promise<SysfsGpioLib> {
  // onoff is CommonJS; createRequire keeps the load lazy and synchronous-free for the caller.
  const { Gpio } = createRequire(import.meta.url)('onoff') as OnoffModule;
  const wrap = (g: OnoffGpio): SysfsLine => ({
    writeSync: (high) => g.writeSync(high ? 1 : 0),
    readSync: () => g.readSync() === 1,
    unexport: () => g.unexport(),
  });
  return {
    output: (n, initialHigh) => wrap(new Gpio(n, initialHigh ? 'high' : 'low', { activeLow: false })),
    input: (n) => wrap(new Gpio(n, 'in', { activeLow: false })),
  };
}
