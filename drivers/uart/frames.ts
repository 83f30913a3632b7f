// The 4-byte frame of the A02YYUW and of the JSN-SR04T / AJ-SR04M in serial mode:
//   0xFF, distance high byte, distance low byte, (0xFF + high + low) & 0xFF   -- distance in mm.
// The parser resynchronizes on the header after noise, a partial frame or a bad checksum, and counts
// what it threw away so a failed reading can say why.

export const FRAME_HEADER = 0xff;
export const FRAME_LENGTH = 4;

export function frameChecksum(high: number, low: number): number {
  return (FRAME_HEADER + high + low) & 0xff;
}

export function encodeFrame(distanceMm: number): Buffer {
  const high = (distanceMm >> 8) & 0xff;
  const low = distanceMm & 0xff;
  return Buffer.from([FRAME_HEADER, high, low, frameChecksum(high, low)]);
}

export interface FrameStats {
  bytes: number;
  frames: number;
  badChecksums: number;
  /** Bytes dropped while looking for a header. */
  junk: number;
}

export class FrameParser {
  private buffer: Buffer = Buffer.alloc(0);
  stats: FrameStats = { bytes: 0, frames: 0, badChecksums: 0, junk: 0 };

  constructor(private readonly onFrame: (distanceMm: number) => void) {}

  /** Bytes of an incomplete frame waiting for the rest. */
  get pending(): number {
    return this.buffer.length;
  }

  resetStats(): void {
    this.stats = { bytes: 0, frames: 0, badChecksums: 0, junk: 0 };
  }

  push(chunk: Buffer): void {
    this.stats.bytes += chunk.length;
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    let i = 0;
    while (this.buffer.length - i >= FRAME_LENGTH) {
      if (this.buffer[i] !== FRAME_HEADER) {
        this.stats.junk++;
        i++;
        continue;
      }
      const high = this.buffer[i + 1]!;
      const low = this.buffer[i + 2]!;
      if (this.buffer[i + 3] !== frameChecksum(high, low)) {
        // Skip only the header: the real frame may start inside these bytes.
        this.stats.badChecksums++;
        i++;
        continue;
      }
      this.stats.frames++;
      this.onFrame((high << 8) | low);
      i += FRAME_LENGTH;
    }
    // Keep a possible partial frame; drop leading non-header bytes now.
    let rest = this.buffer.subarray(i);
    const header = rest.indexOf(FRAME_HEADER);
    if (header < 0) {
      this.stats.junk += rest.length;
      rest = Buffer.alloc(0);
    } else if (header > 0) {
      this.stats.junk += header;
      rest = rest.subarray(header);
    }
    this.buffer = Buffer.from(rest);
  }
}
