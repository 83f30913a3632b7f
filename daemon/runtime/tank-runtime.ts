// One tank's IO shell around TankCore: read the devices, step the core, drive the outputs. Outputs are
// driven to their safe state (valves closed, pump off) at start and at stop; a failed sensor read is a
// reading quality, never a crash; a failed output write is fatal (the caller drives everything safe
// and exits, and the boot-time pin defaults keep the relays off until the daemon is back).

import { levelSampleIntervalMs, type TankConfig } from '../config/schema.js';
import type { Clock, LocalTime } from '../clock.js';
import type { CommandOutcome, TankCommand } from '../control/commands.js';
import type { ControllerState, Decision, Outputs } from '../control/types.js';
import type { RawLevel } from '../level/estimator.js';
import type { Logger } from '../log.js';
import { tankDevices, type DigitalOutput, type TankHardware } from '../../drivers/types.js';
import { TankCore } from './tank-core.js';
import { tankShape } from '../level/geometry.js';

export class OutputError extends Error {
  override name = 'OutputError';
}

export interface TankRuntimeDeps {
  tank: TankConfig;
  hardware: TankHardware;
  clock: Clock;
  localTime: LocalTime;
  log: Logger;
}

export class TankRuntime {
  private core: TankCore | undefined;
  private nextSampleAtMs = -Infinity;
  private probesFailing = false;

  constructor(private readonly deps: TankRuntimeDeps) {}

  get id(): string {
    return this.deps.tank.id;
  }

  get tank(): TankConfig {
    return this.deps.tank;
  }

  get capacityLitres(): number {
    return tankShape(this.deps.tank.geometry).capacityLitres;
  }

  get started(): TankCore {
    if (!this.core) throw new Error(`tank ${this.id} is not started`);
    return this.core;
  }

  /** Opens the devices (each driver sets its outputs safe on open) and confirms the safe state. */
  async start(restored?: ControllerState): Promise<void> {
    for (const device of tankDevices(this.deps.hardware)) {
      try {
        await device.open();
      } catch (err) {
        throw new Error(`tank ${this.id}: cannot open ${device.description}: ${(err as Error).message}`, {
          cause: err,
        });
      }
    }
    await this.driveOutputs({ valveOpen: false, pumpOn: false }, true);
    this.core = new TankCore(this.deps.tank, this.deps.clock.monotonicMs(), restored);
  }

  /**
   * Fills the estimator's median window with a quick burst of readings, so the first control tick
   * already has a level (instead of waiting medianWindow sample intervals with the refill held off).
   */
  private async prime(): Promise<void> {
    const { hardware, clock, tank } = this.deps;
    const timeoutMs = Math.max(500, levelSampleIntervalMs(tank));
    let good = 0;
    let failedInARow = 0;
    // A full window of good samples, whatever the first tick's own sample brings; a sensor failing twice
    // in a row will show as stale instead of holding up the start.
    while (good < tank.level.filter.medianWindow && failedInARow < 2) {
      const raw = await guarded<RawLevel>(hardware.level.read(), timeoutMs, (e) => ({ ok: false, error: e }));
      failedInARow = raw.ok ? 0 : failedInARow + 1;
      if (raw.ok) good++;
      this.started.ingest({ atMs: clock.monotonicMs(), raw });
    }
  }

  /** Takes over the state of the previous run (after start(), which left the outputs safe). */
  restore(state: ControllerState): void {
    this.core = new TankCore(this.deps.tank, this.deps.clock.monotonicMs(), state);
  }

  /** Primes the level (see prime()) and runs the first control tick. */
  async firstTick(): Promise<Decision> {
    await this.prime();
    return this.tick();
  }

  /** Whether a sample is due; tanks may sample at different intervals. */
  due(nowMs: number): boolean {
    return nowMs >= this.nextSampleAtMs;
  }

  async tick(): Promise<Decision> {
    const core = this.started;
    const { clock, hardware } = this.deps;
    const intervalMs = levelSampleIntervalMs(this.deps.tank);
    const atMs = clock.monotonicMs();
    this.nextSampleAtMs = atMs + intervalMs;
    const timeoutMs = Math.max(500, intervalMs);

    const [raw, airTemperatureC, probesWet] = await Promise.all([
      guarded<RawLevel>(hardware.level.read(), timeoutMs, (e) => ({ ok: false, error: e })),
      hardware.airTemperature
        ? guarded(hardware.airTemperature.readC(), timeoutMs, () => undefined)
        : undefined,
      hardware.probes ? guarded(hardware.probes.sample(), timeoutMs, (e) => this.probeFailure(e)) : undefined,
    ]);
    if (probesWet && this.probesFailing) {
      this.probesFailing = false;
      this.deps.log.info('probe reads recovered', { tank: this.id });
    }
    const decision = core.step({ atMs, raw, airTemperatureC, probesWet }, this.minuteOfDay());
    await this.driveOutputs(decision.outputs, false);
    return decision;
  }

  /** Applies an operator command and acts on it at once (no wait for the next sample). */
  async command(command: TankCommand, by: string): Promise<{ outcome: CommandOutcome; decision?: Decision }> {
    const core = this.started;
    const outcome = core.command(command, this.deps.clock.monotonicMs(), by);
    if (!outcome.accepted) return { outcome };
    const decision = core.reconsider(this.deps.clock.monotonicMs(), this.minuteOfDay());
    await this.driveOutputs(decision.outputs, false);
    return { outcome, decision };
  }

  /** Drives every output off. Never throws: tries each output, reports the ones that failed. */
  async safeState(): Promise<Error[]> {
    const failures: Error[] = [];
    for (const out of this.outputs()) {
      try {
        await out.write(false);
      } catch (err) {
        failures.push(
          new Error(`tank ${this.id}: ${out.description}: ${(err as Error).message}`, { cause: err }),
        );
      }
    }
    return failures;
  }

  async stop(): Promise<Error[]> {
    const failures = await this.safeState();
    for (const device of tankDevices(this.deps.hardware)) {
      try {
        await device.close();
      } catch (err) {
        failures.push(
          new Error(`tank ${this.id}: closing ${device.description}: ${(err as Error).message}`, {
            cause: err,
          }),
        );
      }
    }
    return failures;
  }

  private outputs(): DigitalOutput[] {
    const { valves, pump } = this.deps.hardware;
    return pump ? [...valves, pump] : [...valves];
  }

  private async driveOutputs(outputs: Outputs, force: boolean): Promise<void> {
    const { valves, pump } = this.deps.hardware;
    const writes: [DigitalOutput, boolean][] = valves.map((v) => [v, outputs.valveOpen]);
    if (pump) writes.push([pump, outputs.pumpOn]);
    for (const [out, on] of writes) {
      if (!force && out.value === on) continue;
      try {
        await out.write(on);
      } catch (err) {
        throw new OutputError(
          `tank ${this.id}: cannot drive ${out.description} ${on ? 'on' : 'off'}: ${(err as Error).message}`,
          {
            cause: err,
          },
        );
      }
    }
  }

  private minuteOfDay(): number | undefined {
    const { clock, localTime } = this.deps;
    return clock.wallSynced() ? localTime.minuteOfDay(clock.wallMs()) : undefined;
  }

  private probeFailure(error: string): undefined {
    // Logged once per failure episode: the reading quality and alarms carry it from there.
    if (!this.probesFailing) this.deps.log.warn('probe read failed', { tank: this.id, error });
    this.probesFailing = true;
    return undefined;
  }
}

/** A device call that cannot hang the control loop or throw into it. */
async function guarded<T>(
  promise: Promise<T>,
  timeoutMs: number,
  onError: (message: string) => T,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(onError(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([
      promise.catch((err: unknown) => onError((err as Error).message ?? String(err))),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
