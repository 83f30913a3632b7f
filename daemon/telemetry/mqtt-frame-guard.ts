// Refuses MQTT packets larger than a limit at the transport, before the broker buffers them: a client
// announcing a 256 MB PUBLISH on a Pi with 512 MB of RAM is cut off after reading its 5-byte header.

import { Duplex, Transform, type TransformCallback } from 'node:stream';
import type { Socket } from 'node:net';

export class FrameTooLarge extends Error {
  override name = 'FrameTooLarge';
}

/** Passes bytes through unchanged while following MQTT packet boundaries (fixed header + length). */
export class MqttFrameGuard extends Transform {
  private state: 'type' | 'length' | 'body' = 'type';
  private length = 0;
  private multiplier = 1;
  private lengthBytes = 0;
  private remaining = 0;

  constructor(private readonly maxPacketBytes: number) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, callback: TransformCallback): void {
    let i = 0;
    while (i < chunk.length) {
      if (this.state === 'type') {
        i++;
        this.state = 'length';
        this.length = 0;
        this.multiplier = 1;
        this.lengthBytes = 0;
      } else if (this.state === 'length') {
        const b = chunk[i++]!;
        this.length += (b & 0x7f) * this.multiplier;
        this.multiplier *= 128;
        this.lengthBytes++;
        if (this.lengthBytes > 4) return callback(new FrameTooLarge('malformed MQTT remaining length'));
        if ((b & 0x80) === 0) {
          if (this.length > this.maxPacketBytes) {
            return callback(
              new FrameTooLarge(
                `MQTT packet of ${this.length} bytes exceeds the ${this.maxPacketBytes}-byte limit`,
              ),
            );
          }
          this.remaining = this.length;
          this.state = this.remaining > 0 ? 'body' : 'type';
        }
      } else {
        const take = Math.min(this.remaining, chunk.length - i);
        i += take;
        this.remaining -= take;
        if (this.remaining === 0) this.state = 'type';
      }
    }
    callback(null, chunk);
  }
}

/** The socket as the broker sees it: reads through the guard, writes straight to the socket. */
export function guardedConnection(
  socket: Socket,
  maxPacketBytes: number,
  onViolation: (err: Error) => void,
): Duplex {
  const guard = new MqttFrameGuard(maxPacketBytes);
  guard.on('error', (err) => {
    // Only a violation is worth reporting; an aborted stream is just a connection going away.
    if (err instanceof FrameTooLarge) onViolation(err);
    socket.destroy();
  });
  socket.pipe(guard);
  const conn = Duplex.from({ readable: guard, writable: socket });
  // The broker reads the peer address from its connection.
  Object.defineProperty(conn, 'remoteAddress', { value: socket.remoteAddress });
  conn.on('close', () => socket.destroy());
  socket.on('close', () => conn.destroy());
  return conn;
}
