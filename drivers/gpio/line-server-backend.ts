// GPIO through the character device with the line server (line-server.ts): one python3 process holds
// every output and input line of the daemon and reads or writes them on request, so a relay switch or a
// probe sample starts no process. Offsets on the header's chip are the BCM numbers. When the server has
// gone (killed, crashed), the next call (a probe read, at the latest within a sample interval) starts a
// new one, which requests every open output again at its level; Raspberry Pi kernels keep an output's
// level while no one holds it, so a relay does not drop in between.

import type { LineServer } from './line-server.js';
import {
  checkPinOnChip,
  chipLineName,
  GpioError,
  type Bias,
  type ChipEntry,
  type GpioBackend,
  type InputLines,
  type OutputLine,
} from './types.js';

/** A request on one server: its handle is void once that server has gone. */
interface Held {
  server: LineServer;
  handle: number;
}

export class LineServerGpioBackend implements GpioBackend {
  readonly kind = 'chardev';
  private starting: Promise<LineServer> | undefined;
  /** Requests each open output again on a new server (see openOutput). */
  private readonly openOutputs = new Set<() => Promise<void>>();

  constructor(
    private server: LineServer,
    private readonly startServer: () => Promise<LineServer>,
    private readonly chip: ChipEntry,
    /** Told when a server that had gone is replaced, with how it ended (the daemon logs it). */
    private readonly onRestart: (exited: string) => void = () => {},
  ) {}

  lineName(pin: number): string {
    return chipLineName(this.chip, pin);
  }

  async openOutput(pin: number, initialHigh: boolean): Promise<OutputLine> {
    this.check(pin);
    let level = initialHigh;
    let held: Held | undefined = await this.hold([pin], 'output', [level], 'as-is');
    // After a restart every open output is requested again at once, at its level: no line stays unheld
    // (where another program could take it) until its next change.
    const holdAgain = async () => {
      held = await this.hold([pin], 'output', [level], 'as-is');
    };
    this.openOutputs.add(holdAgain);
    return {
      set: async (high) => {
        if (!held || !held.server.alive) {
          level = high;
          await holdAgain();
          return;
        }
        const [readBack] = await held.server.set(held.handle, [high]);
        if (readBack !== high)
          throw new GpioError(`${this.lineName(pin)}: set ${high ? 1 : 0} but it reads ${readBack ? 1 : 0}`);
        level = high;
      },
      release: async () => {
        this.openOutputs.delete(holdAgain);
        const h = held;
        held = undefined;
        if (h?.server.alive) await h.server.release(h.handle);
      },
    };
  }

  async openInputs(pins: readonly number[], bias: Bias): Promise<InputLines> {
    for (const pin of pins) this.check(pin);
    let held: Held | undefined = await this.hold(pins, 'input', [], bias);
    return {
      read: async () => {
        if (!held || !held.server.alive) held = await this.hold(pins, 'input', [], bias);
        return held.server.get(held.handle, pins.length);
      },
      release: async () => {
        const h = held;
        held = undefined;
        if (h?.server.alive) await h.server.release(h.handle);
      },
    };
  }

  /** Ends the server (tests; the daemon's exit ends it too, by closing its input). */
  close(): Promise<void> {
    return this.server.close();
  }

  private async hold(
    pins: readonly number[],
    direction: 'input' | 'output',
    values: readonly boolean[],
    bias: Bias,
  ): Promise<Held> {
    const server = await this.liveServer();
    try {
      return { server, handle: await server.request(this.chip.name, pins, direction, values, bias) };
    } catch (err) {
      const lines = pins.map((p) => this.lineName(p)).join(', ');
      throw new GpioError(`${lines}: ${(err as Error).message}`, { cause: err });
    }
  }

  /** The running server, or a new one when it has gone (one start at a time), holding the outputs again. */
  private async liveServer(): Promise<LineServer> {
    if (this.server.alive) return this.server;
    this.starting ??= this.restart().finally(() => (this.starting = undefined));
    return this.starting;
  }

  private async restart(): Promise<LineServer> {
    const exited = this.server.exitReason ?? 'gone';
    this.server = await this.startServer();
    this.onRestart(exited);
    // One that fails here is tried again at its next set (and its error is the caller's then).
    for (const holdAgain of this.openOutputs) await holdAgain().catch(() => undefined);
    return this.server;
  }

  private check(pin: number): void {
    checkPinOnChip(this.chip, pin);
  }
}
