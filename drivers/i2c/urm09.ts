// DFRobot URM09 (SEN0304), I2C: a register map. Passive mode: write 1 to the command register, wait for
// the measurement, read distance (cm) and temperature (0.1 °C), both big-endian signed. The sensor
// compensates the speed of sound with its own thermometer. Register 0 holds the sensor's own address,
// which tells a URM09 from another chip at the same address.

import type { LevelSensor, RawLevel } from '../types.js';
import { I2cDevice, PlausibilityError, type I2cDeviceOptions } from './device.js';

export const URM09_REG = {
  address: 0x00,
  product: 0x01,
  version: 0x02,
  distance: 0x03,
  temperature: 0x05,
  config: 0x07,
  command: 0x08,
} as const;
export const URM09_MODE_PASSIVE = 0x00;
export const URM09_RANGE_BITS: Record<150 | 300 | 500, number> = { 150: 0x00, 300: 0x10, 500: 0x20 };
export const URM09_CMD_MEASURE = 0x01;
/** Measurement time per range (datasheet: 20/30/40 ms), with margin for the echo of a far wall. */
export const URM09_MEASURE_MS: Record<150 | 300 | 500, number> = { 150: 40, 300: 60, 500: 100 };

export class Urm09 implements LevelSensor {
  private readonly dev: I2cDevice;
  private configured = false;
  /** The sensor's own temperature from the last good reading. */
  temperatureC: number | undefined;

  constructor(
    options: I2cDeviceOptions,
    private readonly rangeCm: 150 | 300 | 500,
  ) {
    this.dev = new I2cDevice(options);
  }

  get description(): string {
    return `DFRobot URM09 on ${this.dev.where} (${this.rangeCm} cm range)`;
  }

  async open(): Promise<void> {
    await this.dev.open();
    this.configured = false;
  }

  close(): Promise<void> {
    return this.dev.close();
  }

  /** Passive mode and range; checked through register 0 so a wrong chip is named, not misread. */
  private async configure(): Promise<void> {
    await this.dev.write([URM09_REG.address]);
    const [self] = await this.dev.read(1);
    if (self !== this.dev.options.address) {
      throw new PlausibilityError(
        `not a URM09: register 0 reads 0x${self!.toString(16)} instead of its address`,
      );
    }
    await this.dev.write([URM09_REG.config, URM09_MODE_PASSIVE | URM09_RANGE_BITS[this.rangeCm]]);
    this.configured = true;
  }

  async read(): Promise<RawLevel> {
    const r = await this.dev.retrying(async () => {
      if (!this.configured) await this.configure();
      await this.dev.write([URM09_REG.command, URM09_CMD_MEASURE]);
      await this.dev.options.sleep(URM09_MEASURE_MS[this.rangeCm]);
      await this.dev.write([URM09_REG.distance]);
      const data = await this.dev.read(4);
      const cm = data.readInt16BE(0);
      this.temperatureC = data.readInt16BE(2) / 10;
      if (cm <= 0 || cm > this.rangeCm) throw new PlausibilityError(`no echo or out of range (${cm} cm)`);
      return cm * 10;
    });
    if (!r.ok) this.configured = false; // after a power glitch the sensor is back in its default mode
    return r.ok ? { ok: true, distanceMm: r.value } : r;
  }
}
