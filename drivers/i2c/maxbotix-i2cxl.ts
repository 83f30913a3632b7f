// MaxBotix I2CXL-MaxSonar-WR (MB7040/MB7047): write the range command, wait for the ranging to finish,
// read two bytes, big-endian centimetres. While ranging the sensor does not answer on the bus (NAK).
// Objects nearer than 20 cm read as 20 cm; 765 cm means nothing was seen.

import type { LevelSensor, RawLevel } from '../types.js';
import { I2cDevice, PlausibilityError, type I2cDeviceOptions } from './device.js';

export const MAXBOTIX_CMD_RANGE = 0x51;
/** Datasheet: command a reading ~80 ms before reading it; 100 ms lets the echoes die down. */
export const MAXBOTIX_RANGING_MS = 100;
export const MAXBOTIX_MIN_CM = 20;
/** The value the sensor reports when no echo came back. */
export const MAXBOTIX_NO_ECHO_CM = 765;

export class MaxbotixI2cxl implements LevelSensor {
  private readonly dev: I2cDevice;

  constructor(options: I2cDeviceOptions) {
    this.dev = new I2cDevice(options);
  }

  get description(): string {
    return `MaxBotix I2CXL-MaxSonar-WR on ${this.dev.where}`;
  }

  open(): Promise<void> {
    return this.dev.open();
  }

  close(): Promise<void> {
    return this.dev.close();
  }

  async read(): Promise<RawLevel> {
    const r = await this.dev.retrying(async () => {
      await this.dev.write([MAXBOTIX_CMD_RANGE]);
      await this.dev.options.sleep(MAXBOTIX_RANGING_MS);
      const cm = (await this.dev.read(2)).readUInt16BE(0);
      if (cm >= MAXBOTIX_NO_ECHO_CM)
        throw new PlausibilityError(`no echo (${cm} cm): nothing in range, or the beam is blocked`);
      if (cm < MAXBOTIX_MIN_CM)
        throw new PlausibilityError(`implausible range ${cm} cm (the sensor reports 20 cm minimum)`);
      return cm * 10;
    });
    return r.ok ? { ok: true, distanceMm: r.value } : r;
  }
}
