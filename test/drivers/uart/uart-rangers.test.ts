import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeFrame, FrameParser } from '../../../drivers/uart/frames.js';
import { UartRanger } from '../../../drivers/uart/ranger.js';
import { openSerialPort } from '../../../drivers/uart/serialport-adapter.js';
import { FakeSerialSensor, ptyPair, type PtyPair } from '../../fakes/serial-sensor.js';

let pty: PtyPair;
let sensor: FakeSerialSensor;
let ranger: UartRanger | undefined;

beforeEach(async () => {
  pty = await ptyPair();
  sensor = await FakeSerialSensor.attach(pty.sensorPath);
});

afterEach(async () => {
  await ranger?.close();
  ranger = undefined;
  await sensor.close();
  await pty.close();
});

const a02 = () =>
  new UartRanger({
    model: 'A02YYUW',
    port: pty.piPath,
    baudRate: 9600,
    openSerial: openSerialPort,
    minMm: 30,
    maxMm: 4500,
  });

describe('A02YYUW (auto mode, frames 0xFF H L SUM every ~100 ms) over a real pty', () => {
  it('reads the distance from the next good frame', async () => {
    ranger = a02();
    await ranger.open();
    sensor.stream(() => encodeFrame(1234), 50);
    expect(await ranger.read()).toEqual({ ok: true, distanceMm: 1234 });
  });

  it('resynchronizes through garbage, partial frames and bad checksums', async () => {
    ranger = a02();
    await ranger.open();
    const good = encodeFrame(2001);
    const badSum = Buffer.from([0xff, 0x07, 0xd1, 0x00]);
    const partial = encodeFrame(999).subarray(0, 2);
    sensor.stream(() => Buffer.concat([Buffer.from([0x12, 0x34, 0xff]), badSum, partial, good]), 60);
    expect(await ranger.read()).toEqual({ ok: true, distanceMm: 2001 });
  });

  it('silence is a failed reading that says so, within the timeout', async () => {
    ranger = a02();
    await ranger.open();
    const started = Date.now();
    const r = await ranger.read();
    expect(Date.now() - started).toBeLessThan(2000);
    expect(r).toEqual({
      ok: false,
      error: expect.stringMatching(/no data \(silent: check power, sensor TX to Pi RX/),
    });
  });

  it('only bad checksums: the reading says checksum, not silence', async () => {
    ranger = a02();
    await ranger.open();
    sensor.stream(() => [0xff, 0x03, 0xe8, 0x42], 50);
    expect(await ranger.read()).toEqual({
      ok: false,
      error: expect.stringMatching(/frame\(s\) with a bad checksum/),
    });
  });

  it('a partial frame and then silence', async () => {
    ranger = a02();
    await ranger.open();
    await sensor.send([0xff, 0x03]);
    expect(await ranger.read()).toEqual({
      ok: false,
      error: expect.stringMatching(/an incomplete frame, then silence/),
    });
  });

  it('noise without any header (wrong baud rate) is named', async () => {
    ranger = a02();
    await ranger.open();
    sensor.stream(() => [0x11, 0x22, 0x33, 0x44, 0x55], 50);
    expect(await ranger.read()).toEqual({
      ok: false,
      error: expect.stringMatching(/without a valid frame \(wrong baud rate/),
    });
  });

  it('a value outside the sensor range is a failed reading', async () => {
    ranger = a02();
    await ranger.open();
    sensor.stream(() => encodeFrame(10), 50);
    expect(await ranger.read()).toEqual({
      ok: false,
      error: expect.stringMatching(/reads 10 mm, outside its 30-4500 mm range/),
    });
  });

  it('a missing port names the config.txt fix', async () => {
    ranger = new UartRanger({
      model: 'A02YYUW',
      port: '/dev/nonexistent-serial',
      baudRate: 9600,
      openSerial: openSerialPort,
      minMm: 30,
      maxMm: 4500,
    });
    await expect(ranger.open()).rejects.toThrow(/does not exist: enable the UART \(enable_uart=1/);
    ranger = undefined;
  });
});

describe('JSN-SR04T in triggered serial mode over a real pty', () => {
  const jsn = () =>
    new UartRanger({
      model: 'JSN-SR04T',
      port: pty.piPath,
      baudRate: 9600,
      openSerial: openSerialPort,
      minMm: 200,
      maxMm: 6000,
      triggerByte: 0x55,
    });

  it('sends the trigger byte and reads the answer', async () => {
    ranger = jsn();
    await ranger.open();
    sensor.onByte = (b) => {
      if (b === 0x55) void sensor.send(encodeFrame(1777));
    };
    expect(await ranger.read()).toEqual({ ok: true, distanceMm: 1777 });
    expect(sensor.received).toEqual([0x55]);
  });

  it('retries a bounded number of times when the sensor misses triggers, then says silent', async () => {
    ranger = jsn();
    await ranger.open();
    let triggers = 0;
    sensor.onByte = (b) => {
      if (b !== 0x55) return;
      triggers++;
      if (triggers === 2) void sensor.send(encodeFrame(800)); // ignores the first trigger
    };
    expect(await ranger.read()).toEqual({ ok: true, distanceMm: 800 });
    sensor.onByte = undefined;
    expect(await ranger.read()).toEqual({ ok: false, error: expect.stringMatching(/no data/) });
    expect(sensor.received.filter((b) => b === 0x55)).toHaveLength(2 + 3);
  });
});

describe('frame parser', () => {
  it('counts what it discards', () => {
    const frames: number[] = [];
    const p = new FrameParser((mm) => frames.push(mm));
    p.push(Buffer.from([0x00, 0xff, 0x01]));
    p.push(Buffer.from([0x02, 0x02, 0xff, 0x00, 0x10, 0x0f]));
    expect(frames).toEqual([0x0102, 0x0010]);
    expect(p.stats).toMatchObject({ frames: 2, junk: 1, badChecksums: 0 });
  });
});
