// Builds each tank's hardware for the configured backend. The simulated site implements the same
// interfaces as the real drivers; nothing else in the daemon knows which one it runs on.

import type { Config } from './config/schema.js';
import type { Clock } from './clock.js';
import type { Logger } from './log.js';
import { SimulatedSite } from '../drivers/sim/devices.js';
import type { TankHardware } from '../drivers/types.js';

export interface BuiltHardware {
  tanks: Record<string, TankHardware>;
  /** Present on the simulator backend: tests and demos can inject faults into it. */
  site?: SimulatedSite;
}

export async function buildHardware(config: Config, clock: Clock, log: Logger): Promise<BuiltHardware> {
  switch (config.hardware.backend) {
    case 'sim': {
      const site = new SimulatedSite(config, clock);
      log.info('hardware: simulated tank', {
        seed: config.hardware.sim.seed,
        speed: config.hardware.sim.speed,
      });
      return { tanks: Object.fromEntries(config.tanks.map((t) => [t.id, site.hardwareFor(t)])), site };
    }
    case 'pi':
      throw new Error('hardware.backend "pi": the real GPIO/I2C/UART drivers are not built yet; use "sim"');
  }
}
