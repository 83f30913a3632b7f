// What the I2C chips share: the bus from the pool, a timeout on every transfer (a stuck bus must not hang
// the control loop), bounded retries, and failures as reading quality with the cause in words.

import { TimeoutError, withTimeout, type Sleep } from '../timing.js';
import { i2cErrorText, type I2cBus, type I2cBusPool } from './bus.js';

/** One transfer of a few bytes takes well under a millisecond at 100 kHz; the kernel gives up after 1 s. */
export const I2C_TRANSFER_TIMEOUT_MS = 1500;
/** Attempts per reading: a NAK from noise or a chip still busy gets a second chance, not a tenth. */
export const I2C_MAX_ATTEMPTS = 3;
export const I2C_RETRY_DELAY_MS = 20;

export interface I2cDeviceOptions {
  pool: I2cBusPool;
  busNumber: number;
  address: number;
  sleep: Sleep;
}

export class I2cDevice {
  private bus: I2cBus | undefined;

  constructor(readonly options: I2cDeviceOptions) {}

  get where(): string {
    return `I2C bus ${this.options.busNumber} address 0x${this.options.address.toString(16).padStart(2, '0')}`;
  }

  async open(): Promise<void> {
    this.bus ??= await this.options.pool.acquire(this.options.busNumber);
  }

  async close(): Promise<void> {
    if (!this.bus) return;
    this.bus = undefined;
    await this.options.pool.release(this.options.busNumber);
  }

  async write(bytes: readonly number[]): Promise<void> {
    const buf = Buffer.from(bytes);
    const { bytesWritten } = await this.transfer((bus) =>
      bus.i2cWrite(this.options.address, buf.length, buf),
    );
    if (bytesWritten !== buf.length) throw new Error(`short write (${bytesWritten} of ${buf.length} bytes)`);
  }

  async read(length: number): Promise<Buffer> {
    const buf = Buffer.alloc(length);
    const { bytesRead } = await this.transfer((bus) => bus.i2cRead(this.options.address, length, buf));
    if (bytesRead !== length) throw new Error(`short read (${bytesRead} of ${length} bytes)`);
    return buf;
  }

  private async transfer<T>(op: (bus: I2cBus) => Promise<T>): Promise<T> {
    if (!this.bus) throw new Error(`${this.where}: not open`);
    try {
      return await withTimeout(
        op(this.bus),
        I2C_TRANSFER_TIMEOUT_MS,
        `no answer within ${I2C_TRANSFER_TIMEOUT_MS} ms: bus stuck`,
      );
    } catch (err) {
      throw new Error(i2cErrorText(err, this.options.address), { cause: err });
    }
  }

  /** Runs `attempt` up to I2C_MAX_ATTEMPTS times; the last error is returned in words, never thrown. */
  async retrying<T>(
    attempt: () => Promise<T>,
  ): Promise<{ ok: true; value: T } | { ok: false; error: string }> {
    let last = '';
    for (let i = 0; i < I2C_MAX_ATTEMPTS; i++) {
      if (i > 0) await this.options.sleep(I2C_RETRY_DELAY_MS);
      try {
        return { ok: true, value: await attempt() };
      } catch (err) {
        last = (err as Error).message;
        // The chip answered with nonsense, or the bus hung: asking again gives the same, only later.
        if (err instanceof PlausibilityError || (err as Error).cause instanceof TimeoutError) break;
      }
    }
    return { ok: false, error: `${this.where}: ${last}` };
  }
}

/** The chip answered, but with something that cannot be a measurement. */
export class PlausibilityError extends Error {
  override name = 'PlausibilityError';
}
