// A fake I2C bus that behaves like the chips on it: each chip is a register map with the chip's timing
// (measurements take time on a fake clock the drivers' `sleep` advances), and the bus fails the way a
// real one does (errno codes from the kernel: ENXIO/EREMOTEIO for a NAK, a transfer that never ends for
// a stuck bus). Drivers see only the I2cBus interface that i2c-bus implements.

import type { I2cBus } from '../../drivers/i2c/bus.js';
import { sht3xCrc } from '../../drivers/i2c/sht3x.js';

export class FakeTime {
  nowMs = 0;
  readonly sleep = async (ms: number): Promise<void> => {
    this.nowMs += ms;
  };
}

export interface FakeChip {
  /** A write transaction (register pointer and data); throw errno() to NAK. */
  write(bytes: Buffer): void;
  /** A read transaction of `length` bytes. */
  read(length: number): Buffer;
}

export function errno(code: string, message = code): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code });
}

export class FakeI2cBus implements I2cBus {
  readonly chips = new Map<number, FakeChip>();
  /** SDA held low: every transfer hangs, as on a real bus with a latched-up slave (until the kernel times out). */
  stuck = false;
  closed = false;
  transfers = 0;

  i2cWrite(address: number, length: number, buffer: Buffer): Promise<{ bytesWritten: number }> {
    if (this.stuck) return this.hang();
    return this.run(() => {
      this.chip(address).write(Buffer.from(buffer.subarray(0, length)));
      return { bytesWritten: length };
    });
  }

  i2cRead(address: number, length: number, buffer: Buffer): Promise<{ bytesRead: number }> {
    if (this.stuck) return this.hang();
    return this.run(() => {
      this.chip(address).read(length).copy(buffer);
      return { bytesRead: length };
    });
  }

  /** The real ioctl blocks until the kernel gives up; a latched-up slave holding SDA low looks like this. */
  private hang<T>(): Promise<T> {
    this.transfers++;
    return new Promise<T>(() => {});
  }

  private async run<T>(op: () => T): Promise<T> {
    return op();
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private chip(address: number): FakeChip {
    this.transfers++;
    if (this.closed) throw errno('EBADF', 'bus closed');
    const chip = this.chips.get(address);
    // Nobody acknowledges the address: the kernel's i2c-bcm2835 returns ENXIO ("No such device or address").
    if (!chip) throw errno('ENXIO', 'No such device or address');
    return chip;
  }
}

/** MaxBotix I2CXL-MaxSonar: 0x51 starts ranging; it NAKs while ranging; reads return the last range in cm. */
export class FakeMaxbotix implements FakeChip {
  targetCm = 150;
  private rangingUntil = -Infinity;
  private lastCm: number | undefined;
  /** Fail every transaction with a NAK (a sensor with a broken I2C pin, or the wrong address). */
  nak = false;
  ranges = 0;

  constructor(
    private readonly time: FakeTime,
    /** Ranging time of the real sensor (~80 ms for full range). */
    private readonly rangingMs = 80,
  ) {}

  private busy(): void {
    if (this.nak || this.time.nowMs < this.rangingUntil) throw errno('EREMOTEIO', 'Remote I/O error');
  }

  write(bytes: Buffer): void {
    this.busy();
    if (bytes[0] === 0x51) {
      this.rangingUntil = this.time.nowMs + this.rangingMs;
      this.lastCm = this.targetCm;
      this.ranges++;
    }
  }

  read(length: number): Buffer {
    this.busy();
    const out = Buffer.alloc(length);
    // Before the first range command the sensor answers with its two info bytes, not a range.
    if (this.lastCm === undefined) out.writeUInt16BE(0x0000, 0);
    else out.writeUInt16BE(this.lastCm, 0);
    return out;
  }
}

/** DFRobot URM09 register map: passive mode measures on command, the result appears after the measure time. */
export class FakeUrm09 implements FakeChip {
  readonly regs = Buffer.alloc(9);
  private pointer = 0;
  targetCm = 120;
  temperatureC = 23.4;
  private pending: { at: number; cm: number } | undefined;

  constructor(
    private readonly time: FakeTime,
    address = 0x11,
    private readonly measureMs = 40,
  ) {
    this.regs[0] = address;
    this.regs[1] = 0x01; // product id
    this.regs[2] = 0x10; // version
    this.regs[7] = 0x80; // power-on default: automatic mode, 150 cm
  }

  private settle(): void {
    if (this.pending && this.time.nowMs >= this.pending.at) {
      this.regs.writeInt16BE(this.pending.cm, 3);
      this.regs.writeInt16BE(Math.round(this.temperatureC * 10), 5);
      this.pending = undefined;
    }
  }

  write(bytes: Buffer): void {
    this.settle();
    this.pointer = bytes[0]!;
    for (let i = 1; i < bytes.length; i++) {
      const reg = this.pointer + i - 1;
      if (reg === 8 && bytes[i] === 0x01 && (this.regs[7]! & 0x80) === 0) {
        this.pending = { at: this.time.nowMs + this.measureMs, cm: this.targetCm };
      } else if (reg < this.regs.length) this.regs[reg] = bytes[i]!;
    }
  }

  read(length: number): Buffer {
    this.settle();
    const out = Buffer.alloc(length);
    this.regs.copy(out, 0, this.pointer, this.pointer + length);
    return out;
  }
}

/** ADS1115: config register starts a single-shot conversion that completes after 1/data-rate. */
export class FakeAds1115 implements FakeChip {
  /** Volts at AIN0-AIN3. */
  readonly inputs = [0, 0, 0, 0];
  private config = 0x8583; // power-on default
  private conversion = 0;
  private pointer = 0;
  private doneAt = -Infinity;
  private pendingRaw = 0;
  conversions = 0;

  constructor(private readonly time: FakeTime) {}

  private settle(): void {
    if (this.time.nowMs >= this.doneAt && (this.config & 0x8000) === 0) {
      this.conversion = this.pendingRaw;
      this.config |= 0x8000;
    }
  }

  write(bytes: Buffer): void {
    this.settle();
    this.pointer = bytes[0]! & 0x03;
    if (bytes.length === 3 && this.pointer === 1) {
      const value = bytes.readUInt16BE(1);
      this.config = value & 0x7fff; // OS reads 0 while converting
      if (value & 0x8000) {
        const mux = (value >> 12) & 0x7;
        const fsr = [6.144, 4.096, 2.048, 1.024, 0.512, 0.256, 0.256, 0.256][(value >> 9) & 0x7]!;
        const sps = [8, 16, 32, 64, 128, 250, 475, 860][(value >> 5) & 0x7]!;
        const volts = mux >= 4 ? this.inputs[mux - 4]! : 0;
        this.pendingRaw = Math.max(-32768, Math.min(32767, Math.round((volts / fsr) * 32768)));
        this.doneAt = this.time.nowMs + 1000 / sps;
        this.conversions++;
      }
    }
  }

  read(length: number): Buffer {
    this.settle();
    const out = Buffer.alloc(length);
    if (this.pointer === 0) out.writeInt16BE(this.conversion, 0);
    else if (this.pointer === 1) out.writeUInt16BE(this.config, 0);
    return out;
  }
}

/** SHT3x: a measurement command; the chip NAKs reads until the measurement is done; words carry CRC-8. */
export class FakeSht3x implements FakeChip {
  temperatureC = 21.5;
  humidityPct = 60;
  /** Corrupt the temperature CRC (noise on a long cable). */
  corruptCrc = false;
  private readyAt: number | undefined;

  constructor(private readonly time: FakeTime) {}

  write(bytes: Buffer): void {
    if (bytes[0] === 0x24 && bytes[1] === 0x00) this.readyAt = this.time.nowMs + 12.5;
  }

  read(length: number): Buffer {
    if (this.readyAt === undefined || this.time.nowMs < this.readyAt)
      throw errno('EREMOTEIO', 'Remote I/O error');
    this.readyAt = undefined;
    const t = Math.round(((this.temperatureC + 45) / 175) * 65535);
    const rh = Math.round((this.humidityPct / 100) * 65535);
    const word = (v: number) => [v >> 8, v & 0xff];
    const tBytes = word(t);
    const rhBytes = word(rh);
    const out = Buffer.from([
      ...tBytes,
      sht3xCrc(tBytes) ^ (this.corruptCrc ? 0x5a : 0),
      ...rhBytes,
      sht3xCrc(rhBytes),
    ]);
    return out.subarray(0, length);
  }
}
