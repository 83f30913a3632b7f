// One worker thread of a fault campaign: loads the config once, then simulates each run plan it is sent
// and posts the result back (or the error, so the campaign can say which run failed).

import { parentPort, workerData } from 'node:worker_threads';
import { loadConfigFile } from '../config/load.js';
import { parseFault } from '../../drivers/sim/faults.js';
import { runSimulation } from './run-simulation.js';
import type { RunPlan } from './campaign.js';

const { configFile, days } = workerData as { configFile: string; days: number };
const config = await loadConfigFile(configFile);

parentPort!.on('message', (plan: RunPlan) => {
  try {
    const result = runSimulation({ config, days, seed: plan.seed, faults: plan.faults.map(parseFault) });
    parentPort!.postMessage({ ok: true, result });
  } catch (err) {
    parentPort!.postMessage({ ok: false, error: (err as Error).stack ?? String(err) });
  }
});
