// Builds each tank's hardware for the configured backend. The simulated site implements the same
// interfaces as the real drivers; nothing else in the daemon knows which one it runs on.

import type { Config } from './config/schema.js';
import type { Clock } from './clock.js';
import type { Logger } from './log.js';
import { SimulatedSite } from '../drivers/sim/devices.js';
import type { TankHardware } from '../drivers/types.js';
import type { PiEnvironment } from '../drivers/pi/build.js';

export interface BuiltHardware {
  tanks: Record<string, TankHardware>;
  /** Present on the simulator backend: tests and demos can inject faults into it. */
  site?: SimulatedSite;
  /** Present on the pi backend: which GPIO backend drives the pins, and why. */
  gpio?: { backend: 'sysfs' | 'chardev'; reason: string };
}

/** `pi`: what the real drivers reach outside the process (tests and `hw check` hand in fakes). */
export async function buildHardware(
  config: Config,
  clock: Clock,
  log: Logger,
  pi: PiEnvironment = {},
): Promise<BuiltHardware> {
  switch (config.hardware.backend) {
    case 'sim': {
      const site = new SimulatedSite(config, clock);
      log.info('hardware: simulated tank', {
        seed: config.hardware.sim.seed,
        speed: config.hardware.sim.speed,
      });
      return { tanks: Object.fromEntries(config.tanks.map((t) => [t.id, site.hardwareFor(t)])), site };
    }
    case 'pi': {
      // Lazy: the drivers and their native addons load only on a real Pi.
      const { buildPiHardware } = await import('../drivers/pi/build.js');
      const built = await buildPiHardware(config, log, pi);
      return { tanks: built.tanks, gpio: { backend: built.gpio.backend.kind, reason: built.gpio.reason } };
    }
  }
}
