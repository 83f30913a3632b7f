// The simulated site as hardware for the daemon (hardware.backend: sim): each device implements the
// same interface as its real driver. The water moves on with the daemon's clock (simulated time when the
// daemon runs faster than real time: hardware.sim.speed) whenever a device
// is touched, so the daemon needs no extra timer for the physics.

import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Config, TankConfig } from '../../daemon/config/schema.js';
import type { Clock } from '../../daemon/clock.js';
import { LocalTime } from '../../daemon/clock.js';
import type {
  DigitalOutput,
  LevelSensor,
  ProbeArray,
  RawLevel,
  TankHardware,
  TemperatureSensor,
} from '../types.js';
import { FAULT_KINDS, FaultSchedule, type Fault, type FaultKind } from './faults.js';
import { seededRandom } from './rng.js';
import { SimulatedTank } from './tank-model.js';

/** Longest physics step: keeps the integration accurate after a long pause (e.g. a stopped daemon). */
const MAX_STEP_MS = 10_000;

export class SimulatedSite {
  private readonly models = new Map<string, SimulatedTank>();
  private readonly localTime: LocalTime;
  private readonly startedAtMs: number;
  private lastSyncMs: number;
  private simElapsedMs = 0;
  private schedule = new FaultSchedule([]);
  private readonly outputStateDir: string | undefined;
  private readonly faultsFile: string | undefined;
  /** Faults listed in the faults file now: "KIND" (every tank) or "KIND:TANK". */
  private fileFaults = new Set<string>();
  private faultsFileStamp = '';

  constructor(
    config: Config,
    private readonly clock: Clock,
  ) {
    const random = seededRandom(config.hardware.sim.seed);
    for (const tank of config.tanks) this.models.set(tank.id, new SimulatedTank(tank, random));
    this.localTime = new LocalTime(config.gateway.timezone);
    this.outputStateDir = config.hardware.sim.outputStateDir;
    this.faultsFile = config.hardware.sim.faultsFile;
    this.startedAtMs = clock.monotonicMs();
    this.lastSyncMs = this.startedAtMs;
  }

  model(tankId: string): SimulatedTank {
    const m = this.models.get(tankId);
    if (!m) throw new Error(`no simulated tank "${tankId}"`);
    return m;
  }

  /** Injects faults (times relative to now), for demos and tests of a running daemon. */
  injectFaults(faults: Fault[]): void {
    this.sync();
    this.schedule = new FaultSchedule([
      ...this.schedule.faults,
      ...faults.map((f) => ({
        ...f,
        startMs: f.startMs + this.simElapsedMs,
        endMs: f.endMs + this.simElapsedMs,
      })),
    ]);
  }

  faultActive(kind: FaultKind, tankId: string): boolean {
    return (
      this.schedule.active(kind, tankId, this.simElapsedMs) ||
      (this.fileFaults.size > 0 && (this.fileFaults.has(kind) || this.fileFaults.has(`${kind}:${tankId}`)))
    );
  }

  /** Re-reads the faults file (hardware.sim.faultsFile) when it changed; unknown lines are ignored. */
  async refreshFaultsFile(): Promise<void> {
    if (!this.faultsFile) return;
    const stamp = await stat(this.faultsFile).then(
      (s) => `${s.mtimeMs}:${s.size}`,
      () => 'none',
    );
    if (stamp === this.faultsFileStamp) return;
    this.faultsFileStamp = stamp;
    const text = stamp === 'none' ? '' : await readFile(this.faultsFile, 'utf8').catch(() => '');
    this.sync(); // the time before the change ran with the old faults
    this.fileFaults = new Set(
      text
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => (FAULT_KINDS as readonly string[]).includes(l.split(':')[0]!)),
    );
  }

  /** Advances every tank to the present. */
  sync(): void {
    const now = this.clock.monotonicMs();
    let remaining = now - this.lastSyncMs;
    this.lastSyncMs = now;
    while (remaining > 0) {
      const step = Math.min(remaining, MAX_STEP_MS);
      this.simElapsedMs += step;
      const wall = this.simWallMs();
      const hour = this.localTime.hourOfDay(wall);
      for (const [id, m] of this.models) m.advance(step, wall, hour, (k) => this.faultActive(k, id));
      remaining -= step;
    }
  }

  hourOfDay(): number {
    return this.localTime.hourOfDay(this.simWallMs());
  }

  private simWallMs(): number {
    return this.clock.wallMs() - (this.clock.monotonicMs() - this.startedAtMs) + this.simElapsedMs;
  }

  private mirror(tankId: string, output: string): string | undefined {
    return this.outputStateDir ? join(this.outputStateDir, tankId, output, 'value') : undefined;
  }

  hardwareFor(tank: TankConfig): TankHardware {
    const model = this.model(tank.id);
    const faults = (k: FaultKind) => this.faultActive(k, tank.id);
    const site = this;
    const level: LevelSensor = {
      description: `simulated ${tank.level.pressure ? 'pressure transmitter' : 'ultrasonic'} (${tank.id})`,
      open: async () => {},
      close: async () => {},
      read: async (): Promise<RawLevel> => {
        await site.refreshFaultsFile();
        site.sync();
        return model.readLevel(faults);
      },
    };
    const airTemperature: TemperatureSensor = {
      description: `simulated air temperature (${tank.id})`,
      open: async () => {},
      close: async () => {},
      readC: async () => {
        site.sync();
        return model.currentAirTemperatureC;
      },
    };
    const probes: ProbeArray | undefined = tank.probes && {
      description: `simulated probes (${tank.id})`,
      open: async () => {},
      close: async () => {},
      sample: async () => {
        site.sync();
        return model.readProbes(faults);
      },
    };
    return {
      level,
      airTemperature,
      probes,
      valves: tank.valves.map(
        (v, i) =>
          new SimulatedOutput(
            `simulated valve ${v.id} (${tank.id}, GPIO${v.pin})`,
            this.mirror(tank.id, v.id),
            (on) => {
              site.sync();
              model.valves[i] = on;
            },
          ),
      ),
      pump:
        tank.pump &&
        new SimulatedOutput(
          `simulated pump (${tank.id}, GPIO${tank.pump.pin})`,
          this.mirror(tank.id, 'pump'),
          (on) => {
            site.sync();
            model.pumpOn = on;
          },
        ),
    };
  }
}

class SimulatedOutput implements DigitalOutput {
  value: boolean | undefined;
  constructor(
    readonly description: string,
    private readonly valueFile: string | undefined,
    private readonly apply: (on: boolean) => void,
  ) {}
  async open(): Promise<void> {
    if (this.valueFile) await mkdir(dirname(this.valueFile), { recursive: true });
    await this.write(false);
  }
  async write(on: boolean): Promise<void> {
    this.apply(on);
    this.value = on;
    if (this.valueFile) await writeFile(this.valueFile, on ? '1' : '0');
  }
  async close(): Promise<void> {
    await this.write(false);
  }
}
