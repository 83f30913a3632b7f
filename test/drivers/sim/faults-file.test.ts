// The simulator's faults file (hardware.sim.faultsFile): a running daemon's simulated devices fail while
// a fault is listed there, for demos and for tests that drive the daemon as a process.

import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../daemon/clock.js';
import { SimulatedSite } from '../../../drivers/sim/devices.js';
import { exampleConfig } from '../../helpers/config.js';
import { tempDir } from '../../helpers/daemon.js';

describe('simulator faults file', () => {
  it('a listed fault acts on its tank while listed; unknown lines are ignored', async () => {
    const file = join(tempDir('sim-faults-'), 'faults');
    const config = exampleConfig();
    config.hardware.sim.faultsFile = file;
    const clock = new ManualClock();
    const site = new SimulatedSite(config, clock);
    const house = site.hardwareFor(config.tanks[0]!);
    const read = async () => {
      clock.advance(2000);
      return house.level.read();
    };
    expect((await read()).ok).toBe(true);
    writeFileSync(file, 'no-such-fault\nultrasonic-dropout:house\n');
    expect(site.faultActive('ultrasonic-dropout', 'farm')).toBe(false);
    for (let i = 0; i < 5; i++) expect((await read()).ok).toBe(false);
    expect(site.faultActive('ultrasonic-dropout', 'house')).toBe(true);
    rmSync(file);
    expect((await read()).ok).toBe(true);
    writeFileSync(file, 'ultrasonic-dropout\n');
    await read();
    expect(site.faultActive('ultrasonic-dropout', 'farm')).toBe(true);
  });
});
