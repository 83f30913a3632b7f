// Shared by the scenario tests: weeks of simulated farm life on the shipped example (a 2,000 L house tank
// and a 45,000 L farm tank with a night refill window), the real estimator and controller against the
// simulated tank.

import { expect } from 'vitest';
import { parseFault } from '../../drivers/sim/faults.js';
import { runSimulation, type SimResult, type SimStep } from '../../daemon/sim/run-simulation.js';
import { exampleConfig } from '../helpers/config.js';

/**
 * A scenario simulates weeks of farm life in-process: ~10 s on an idle core of this machine's kind, but
 * CI machines are shared and the suite runs files in parallel, so the bound is generous.
 */
export const SCENARIO_TIMEOUT_MS = 240_000;
export const WEEKS = 3;
export const DAYS = WEEKS * 7;

export function run(
  faults: string[] = [],
  onStep?: (s: SimStep) => void,
  seed = 7,
  config = exampleConfig(),
): SimResult {
  return runSimulation({ config, days: DAYS, seed, faults: faults.map(parseFault), onStep });
}

export function expectSafe(result: SimResult): void {
  for (const t of result.tanks) {
    expect(t.overfills, `${t.id} overfills`).toBe(0);
    expect(t.dryRuns, `${t.id} pump dry runs`).toBe(0);
  }
}
