// Every config the project ships (the example and the Pi examples an installer starts from) must run its
// tanks for 60 simulated days of normal use without a single alarm: a fill-time guard too short for the
// tank, or a threshold too close to a probe, shows up here as an alarm a farmer would be woken by.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../daemon/config/load.js';
import { runSimulation } from '../../daemon/sim/run-simulation.js';
import { SCENARIO_TIMEOUT_MS } from './simulate.js';

const SHIPPED = [
  'daemon/config/example.yaml',
  'hardware/examples/pi-a02yyuw.yaml',
  'hardware/examples/pi-pressure-urm09.yaml',
];
const DAYS = 60;

describe(`shipped configs over ${DAYS} simulated days`, { timeout: SCENARIO_TIMEOUT_MS }, () => {
  it.each(SHIPPED)('%s: no alarm, no overfill, no dry run, one valve opening per refill', (file) => {
    const config = parseConfig(readFileSync(file, 'utf8'), file);
    const result = runSimulation({ config, days: DAYS, seed: 11, faults: [] });
    expect(result.tanks.map((t) => t.id)).toEqual(config.tanks.map((t) => t.id));
    for (const t of result.tanks) {
      expect(t.alarms, `${file} ${t.id} alarms`).toEqual({});
      expect(t.overfills, `${file} ${t.id} overfills`).toBe(0);
      expect(t.dryRuns, `${file} ${t.id} dry runs`).toBe(0);
      expect(t.refills, `${file} ${t.id} refills`).toBeGreaterThan(DAYS / 7);
      expect(t.waterDeniedHours, `${file} ${t.id} water denied`).toBe(0);
      // A fill paused by the end of a refill window reopens once; anything more is chatter.
      expect(t.valveCycles, `${file} ${t.id} valve openings`).toBeLessThanOrEqual(t.refills + DAYS / 7);
    }
  });
});
