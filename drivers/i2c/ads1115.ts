// ADS1115 16-bit ADC reading a hydrostatic pressure transmitter: single-shot conversions on one
// single-ended input, 4-20 mA across a shunt or 0-5 V through a divider, turned into the water column
// above the transmitter. A broken loop (< 3.6 mA, NAMUR NE 43) or a short (> 21 mA) is a fault, not a level.

import type { LevelSensor, RawLevel } from '../types.js';
import { I2cDevice, PlausibilityError, type I2cDeviceOptions } from './device.js';

export const ADS1115_REG = { conversion: 0x00, config: 0x01 } as const;
/** Config bits: start a single conversion / conversion done (read). */
export const ADS1115_OS = 0x8000;
/** MUX for AINn against GND: 0b100 + n, bits 14:12. */
export const ads1115Mux = (channel: number) => (0b100 + channel) << 12;
/** PGA ±4.096 V (bits 11:9 = 001): covers 3.0 V from a 20 mA loop on 150 Ω and a 3.3 V divider output. */
export const ADS1115_PGA_4V096 = 0b001 << 9;
export const ADS1115_FULL_SCALE_V = 4.096;
export const ADS1115_MODE_SINGLE = 0x0100;
/** 128 samples per second (bits 7:5 = 100): 7.8 ms per conversion. */
export const ADS1115_DR_128 = 0b100 << 5;
export const ADS1115_CONVERSION_MS = 9;
export const ADS1115_COMPARATOR_OFF = 0b11;
/** Polls of the done bit before giving up on a conversion. */
const MAX_POLLS = 5;

/** Loop current outside this is a fault (NAMUR NE 43): below, a cut wire; above, a short. */
export const LOOP_MIN_MA = 3.6;
export const LOOP_MAX_MA = 21;

export interface TransmitterConfig {
  channel: number;
  input: '4-20mA' | '0-5V';
  shuntOhms: number;
  dividerRatio: number;
  samples: number;
  /** Water column at full-scale output. */
  fullScaleMm: number;
}

export class Ads1115PressureSensor implements LevelSensor {
  private readonly dev: I2cDevice;

  constructor(
    options: I2cDeviceOptions,
    private readonly transmitter: TransmitterConfig,
  ) {
    this.dev = new I2cDevice(options);
  }

  get description(): string {
    const t = this.transmitter;
    const input = t.input === '4-20mA' ? `4-20 mA on ${t.shuntOhms} Ω` : `0-5 V, divider ${t.dividerRatio}`;
    return `ADS1115 AIN${t.channel} on ${this.dev.where} (${input})`;
  }

  open(): Promise<void> {
    return this.dev.open();
  }

  close(): Promise<void> {
    return this.dev.close();
  }

  async read(): Promise<RawLevel> {
    const r = await this.dev.retrying(async () => {
      const volts: number[] = [];
      for (let i = 0; i < this.transmitter.samples; i++) volts.push(await this.convert());
      return this.columnMm(median(volts));
    });
    return r.ok ? { ok: true, columnMm: r.value } : r;
  }

  /** One single-shot conversion, in volts at the ADC input. */
  async convert(): Promise<number> {
    const config =
      ADS1115_OS |
      ads1115Mux(this.transmitter.channel) |
      ADS1115_PGA_4V096 |
      ADS1115_MODE_SINGLE |
      ADS1115_DR_128 |
      ADS1115_COMPARATOR_OFF;
    await this.dev.write([ADS1115_REG.config, config >> 8, config & 0xff]);
    for (let poll = 0; ; poll++) {
      await this.dev.options.sleep(ADS1115_CONVERSION_MS);
      await this.dev.write([ADS1115_REG.config]);
      if ((await this.dev.read(2)).readUInt16BE(0) & ADS1115_OS) break;
      if (poll + 1 >= MAX_POLLS) throw new Error('conversion did not finish (ADC busy or not an ADS1115)');
    }
    await this.dev.write([ADS1115_REG.conversion]);
    return ((await this.dev.read(2)).readInt16BE(0) * ADS1115_FULL_SCALE_V) / 32768;
  }

  private columnMm(volts: number): number {
    const t = this.transmitter;
    if (t.input === '4-20mA') {
      const mA = (volts / t.shuntOhms) * 1000;
      if (mA < LOOP_MIN_MA)
        throw new PlausibilityError(`loop current ${mA.toFixed(2)} mA: wire cut or transmitter unpowered`);
      if (mA > LOOP_MAX_MA)
        throw new PlausibilityError(`loop current ${mA.toFixed(2)} mA: short circuit or wrong shunt`);
      return ((mA - 4) / 16) * t.fullScaleMm;
    }
    const sensorV = volts / t.dividerRatio;
    if (sensorV < -0.1 || sensorV > 5.25)
      throw new PlausibilityError(
        `transmitter output ${sensorV.toFixed(2)} V is outside 0-5 V: check wiring and divider`,
      );
    return (sensorV / 5) * t.fullScaleMm;
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
