// Sensirion SHT3x air temperature over I2C: single-shot measurement (high repeatability, no clock
// stretching: the Pi's I2C controller handles stretching badly), read 6 bytes, each 16-bit word followed
// by a CRC-8 that must match. The chip NAKs a read until the measurement is done. A failure gives
// `undefined`: the estimator then uses the sensor's assumed temperature.

import type { TemperatureSensor } from '../types.js';
import { I2cDevice, PlausibilityError, type I2cDeviceOptions } from './device.js';

export const SHT3X_CMD_SINGLE_SHOT_HIGH = [0x24, 0x00] as const;
/** Datasheet: 15.5 ms max for high repeatability. */
export const SHT3X_MEASURE_MS = 16;

/** CRC-8, polynomial 0x31, init 0xFF (datasheet section 4.12). */
export function sht3xCrc(bytes: Uint8Array | readonly number[]): number {
  let crc = 0xff;
  for (const b of bytes) {
    crc ^= b;
    for (let i = 0; i < 8; i++) crc = crc & 0x80 ? ((crc << 1) ^ 0x31) & 0xff : (crc << 1) & 0xff;
  }
  return crc;
}

export class Sht3x implements TemperatureSensor {
  private readonly dev: I2cDevice;
  /** Why the last reading failed, for `hw check` and logs. */
  lastError: string | undefined;

  constructor(options: I2cDeviceOptions) {
    this.dev = new I2cDevice(options);
  }

  get description(): string {
    return `Sensirion SHT3x on ${this.dev.where}`;
  }

  open(): Promise<void> {
    return this.dev.open();
  }

  close(): Promise<void> {
    return this.dev.close();
  }

  async readC(): Promise<number | undefined> {
    const r = await this.dev.retrying(async () => {
      await this.dev.write([...SHT3X_CMD_SINGLE_SHOT_HIGH]);
      await this.dev.options.sleep(SHT3X_MEASURE_MS);
      const data = await this.dev.read(6);
      if (sht3xCrc(data.subarray(0, 2)) !== data[2] || sht3xCrc(data.subarray(3, 5)) !== data[5])
        throw new Error('checksum mismatch (noise on the bus or long wires)');
      const c = -45 + (175 * data.readUInt16BE(0)) / 65535;
      if (c < -40 || c > 125) throw new PlausibilityError(`implausible temperature ${c.toFixed(1)} °C`);
      return Math.round(c * 10) / 10;
    });
    this.lastError = r.ok ? undefined : r.error;
    return r.ok ? r.value : undefined;
  }
}
