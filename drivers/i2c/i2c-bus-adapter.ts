// The only file that loads i2c-bus (a native addon), lazily, so the simulator and most tests never load it.

import { createRequire } from 'node:module';
import type { I2cBus, I2cBusOpener } from './bus.js';

interface I2cBusModule {
  openPromisified(busNumber: number): Promise<I2cBus>;
}

export const openI2cBus: I2cBusOpener = async (busNumber) => {
  const i2c = createRequire(import.meta.url)('i2c-bus') as I2cBusModule;
  return i2c.openPromisified(busNumber);
};
