import { describe, expect, it } from 'vitest';
import { FrameTooLarge, MqttFrameGuard } from '../../../daemon/telemetry/mqtt-frame-guard.js';

function feed(guard: MqttFrameGuard, chunks: Buffer[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const out: Buffer[] = [];
    guard.on('data', (b: Buffer) => out.push(b));
    guard.on('error', reject);
    guard.on('end', () => resolve(Buffer.concat(out)));
    for (const c of chunks) guard.write(c);
    guard.end();
  });
}

/** A PUBLISH packet with a payload of n bytes. */
function publish(n: number): Buffer {
  const topic = Buffer.from('\u0000\u0001t');
  const body = Buffer.concat([topic, Buffer.alloc(n, 0x61)]);
  const len: number[] = [];
  let x = body.length;
  do {
    let b = x % 128;
    x = Math.floor(x / 128);
    if (x > 0) b |= 0x80;
    len.push(b);
  } while (x > 0);
  return Buffer.concat([Buffer.from([0x30, ...len]), body]);
}

describe('MQTT frame guard', () => {
  it('passes packets under the limit through unchanged, across chunk boundaries', async () => {
    const stream = Buffer.concat([publish(10), publish(300), publish(0)]);
    const chunks = [
      stream.subarray(0, 2),
      stream.subarray(2, 7),
      stream.subarray(7, 200),
      stream.subarray(200),
    ];
    expect(await feed(new MqttFrameGuard(1000), chunks)).toEqual(stream);
  });

  it('cuts a connection that announces a packet over the limit, from its header alone', async () => {
    const header = publish(5000).subarray(0, 3);
    await expect(feed(new MqttFrameGuard(1000), [publish(10), header])).rejects.toBeInstanceOf(FrameTooLarge);
  });

  it('cuts a malformed length (more than 4 bytes)', async () => {
    await expect(
      feed(new MqttFrameGuard(1000), [Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01])]),
    ).rejects.toThrow(/malformed/);
  });
});
