// A UART sensor on a real pseudo-terminal pair (socat): the driver opens one end through the real
// serialport library, the fake sensor writes the sensor's byte frames into the other end and hears the
// trigger bytes the driver sends. Needs socat (Debian package socat, installed by test/setup/system-deps.mjs).

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSerialPort } from '../../drivers/uart/serialport-adapter.js';
import type { SerialLink } from '../../drivers/uart/serial.js';

export interface PtyPair {
  /** The end the driver opens, like /dev/serial0. */
  piPath: string;
  /** The sensor's end. */
  sensorPath: string;
  close(): Promise<void>;
}

export async function ptyPair(): Promise<PtyPair> {
  if (spawnSync('sh', ['-c', 'command -v socat']).status !== 0)
    throw new Error('socat is missing: install the Debian package socat (apt-get install socat)');
  const dir = mkdtempSync(join(tmpdir(), 'pty-'));
  const piPath = join(dir, 'serial0');
  const sensorPath = join(dir, 'sensor');
  const socat: ChildProcess = spawn(
    'socat',
    [`pty,raw,echo=0,link=${sensorPath}`, `pty,raw,echo=0,link=${piPath}`],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  socat.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<void>((resolve) => socat.on('close', () => resolve()));
  socat.on('error', () => {});
  const deadline = Date.now() + 5000;
  while (!(existsSync(piPath) && existsSync(sensorPath))) {
    if (Date.now() > deadline) {
      socat.kill();
      throw new Error(`socat did not create the pty pair within 5 s: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  return {
    piPath,
    sensorPath,
    close: async () => {
      socat.kill('SIGTERM');
      await exited;
    },
  };
}

/** The sensor side: writes frames, sees what the driver sends. */
export class FakeSerialSensor {
  readonly received: number[] = [];
  private link: SerialLink | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Called with each byte the driver sends (a trigger). */
  onByte: ((byte: number) => void) | undefined;

  static async attach(path: string, baudRate = 9600): Promise<FakeSerialSensor> {
    const sensor = new FakeSerialSensor();
    sensor.link = await openSerialPort(path, baudRate);
    sensor.link.onData((chunk) => {
      for (const b of chunk) {
        sensor.received.push(b);
        sensor.onByte?.(b);
      }
    });
    return sensor;
  }

  send(bytes: Buffer | number[]): Promise<void> {
    return this.link!.write(Buffer.from(bytes));
  }

  /** Sends `frame()` every `periodMs`, like a sensor in auto mode (until stop()). */
  stream(frame: () => Buffer | number[], periodMs = 100): void {
    this.stop();
    this.timer = setInterval(() => void this.send(frame()).catch(() => {}), periodMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  async close(): Promise<void> {
    this.stop();
    await this.link?.close();
  }
}
