// UART ultrasonic rangers (A02YYUW; JSN-SR04T v3 and AJ-SR04M in serial mode). Auto mode: the sensor
// sends a frame every ~100 ms and a reading takes the first good frame that arrives after it was asked
// for (never an old one: a silent sensor must not freeze the level). Triggered mode: each reading sends
// the trigger byte, with bounded retries. Silence, noise, bad checksums and out-of-range values come
// back as a failed reading that says which, never as an exception.

import type { LevelSensor, RawLevel } from '../types.js';
import { FrameParser } from './frames.js';
import { serialErrorText, type SerialLink, type SerialOpener } from './serial.js';

/** Auto mode: frames come every 100-300 ms; a second of nothing is silence. */
export const AUTO_FRAME_TIMEOUT_MS = 1000;
/** Triggered mode: the answer comes within ~100 ms of the trigger. */
export const TRIGGER_ANSWER_TIMEOUT_MS = 300;
export const TRIGGER_ATTEMPTS = 3;

export interface UartRangerOptions {
  model: string;
  port: string;
  baudRate: number;
  openSerial: SerialOpener;
  /** Measurable range of the model (sensor face to water). */
  minMm: number;
  maxMm: number;
  /** Triggered mode: the byte that starts a measurement. */
  triggerByte?: number;
}

export class UartRanger implements LevelSensor {
  private link: SerialLink | undefined;
  private readonly parser: FrameParser;
  private waiter: ((distanceMm: number) => void) | undefined;

  constructor(private readonly options: UartRangerOptions) {
    this.parser = new FrameParser((mm) => this.waiter?.(mm));
  }

  get description(): string {
    const o = this.options;
    const mode = o.triggerByte !== undefined ? `triggered by 0x${o.triggerByte.toString(16)}` : 'auto';
    return `${o.model} on ${o.port} (${o.baudRate} baud, ${mode})`;
  }

  async open(): Promise<void> {
    if (this.link) return;
    const { port, baudRate, openSerial } = this.options;
    try {
      this.link = await openSerial(port, baudRate);
    } catch (err) {
      throw new Error(serialErrorText(err, port), { cause: err });
    }
    this.link.onData((chunk) => this.parser.push(chunk));
  }

  async close(): Promise<void> {
    const link = this.link;
    this.link = undefined;
    this.waiter = undefined;
    await link?.close();
  }

  async read(): Promise<RawLevel> {
    const link = this.link;
    if (!link) return { ok: false, error: `${this.description}: not open` };
    const o = this.options;
    this.parser.resetStats();
    let distance: number | undefined;
    if (o.triggerByte === undefined) {
      distance = await this.nextFrame(AUTO_FRAME_TIMEOUT_MS);
    } else {
      for (let i = 0; i < TRIGGER_ATTEMPTS && distance === undefined; i++) {
        try {
          await link.write(Buffer.from([o.triggerByte]));
        } catch (err) {
          return { ok: false, error: `${o.model}: ${(err as Error).message}` };
        }
        distance = await this.nextFrame(TRIGGER_ANSWER_TIMEOUT_MS);
      }
    }
    if (distance === undefined) return { ok: false, error: `${o.model} on ${o.port}: ${this.why()}` };
    if (distance < o.minMm || distance > o.maxMm) {
      return {
        ok: false,
        error: `${o.model} on ${o.port}: reads ${distance} mm, outside its ${o.minMm}-${o.maxMm} mm range (no echo, or too close)`,
      };
    }
    return { ok: true, distanceMm: distance };
  }

  /** The first good frame to arrive within `timeoutMs`, or undefined. */
  private nextFrame(timeoutMs: number): Promise<number | undefined> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        resolve(undefined);
      }, timeoutMs);
      this.waiter = (mm) => {
        clearTimeout(timer);
        this.waiter = undefined;
        resolve(mm);
      };
    });
  }

  private why(): string {
    const s = this.parser.stats;
    if (s.bytes === 0)
      return 'no data (silent: check power, sensor TX to Pi RX, the baud rate, and that the serial console is off)';
    if (s.badChecksums > 0)
      return `${s.badChecksums} frame(s) with a bad checksum (noise on the line or a long cable)`;
    if (this.parser.pending > 0 && s.junk === 0) return 'an incomplete frame, then silence';
    return `${s.bytes} byte(s) without a valid frame (wrong baud rate, or not a ${this.options.model})`;
  }
}
