// `smart-tank sim`: runs the controller against the simulated tank over days of simulated time.

import { parseArgs } from 'node:util';
import { loadConfigFile } from '../config/load.js';
import { parseFault } from '../../drivers/sim/faults.js';
import { DEFAULT_SIM_TICK_MS, runSimulation, type SimResult } from '../sim/run-simulation.js';
import { DEFAULT_CONFIG_FILE, type CliIo } from './io.js';
import { UsageError } from './args.js';

export { UsageError };

export const SIM_USAGE = `usage: smart-tank sim [--days N] [--seed S] [--fault KIND[@DAY][+HOURS][:TANK]]... [--config FILE] [--tick-s S] [--json]

Runs the real estimator and controller against the simulated tank as fast as the machine allows.
  --days N      simulated days (default 7)
  --seed S      random seed (default: hardware.sim.seed of the config)
  --fault SPEC  inject a fault; kinds: stuck-ultrasonic, noisy-ultrasonic, ultrasonic-dropout,
                mains-failure, leak, probe-open, power-cut. Starts on DAY (default 1), lasts HOURS
                (default: to the end; power-cut: 6), on TANK (default: all tanks)
  --config FILE gateway config (default ${DEFAULT_CONFIG_FILE})
  --tick-s S    simulated seconds per control step (default ${DEFAULT_SIM_TICK_MS / 1000})
  --json        print one JSON summary object as the last line of stdout`;

export async function simCommand(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      days: { type: 'string', default: '7' },
      seed: { type: 'string' },
      fault: { type: 'string', multiple: true, default: [] },
      config: { type: 'string', default: DEFAULT_CONFIG_FILE },
      'tick-s': { type: 'string', default: String(DEFAULT_SIM_TICK_MS / 1000) },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    io.out(SIM_USAGE);
    return 0;
  }
  const days = Number(values.days);
  if (!(days > 0 && days <= 3660))
    throw new UsageError(`--days must be a number of days between 0 and 3660, got "${values.days}"`);
  const tickS = Number(values['tick-s']);
  if (!(tickS >= 0.1 && tickS <= 600))
    throw new UsageError(`--tick-s must be between 0.1 and 600, got "${values['tick-s']}"`);
  const config = await loadConfigFile(values.config);
  const seed = values.seed !== undefined ? Number(values.seed) : config.hardware.sim.seed;
  if (!Number.isInteger(seed)) throw new UsageError(`--seed must be an integer, got "${values.seed}"`);
  const faults = values.fault.map((spec) => {
    try {
      return parseFault(spec);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
  });
  for (const f of faults) {
    if (f.tankId && !config.tanks.some((t) => t.id === f.tankId))
      throw new UsageError(`--fault names unknown tank "${f.tankId}"`);
  }

  const progress = io.isTTY && days >= 30 ? progressBar(io) : undefined;
  const result = runSimulation({ config, days, seed, faults, tickMs: tickS * 1000, onProgress: progress });
  if (values.json) io.out(JSON.stringify(result));
  else io.out(summary(result));
  return 0;
}

function progressBar(io: CliIo): (fraction: number) => void {
  const width = 30;
  return (fraction) => {
    const filled = Math.round(fraction * width);
    io.progress(
      `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${Math.round(fraction * 100)}%${fraction >= 1 ? '\n' : ''}`,
    );
  };
}

function summary(r: SimResult): string {
  const lines = [`Simulated ${r.simulatedDays} days in ${(r.wallMs / 1000).toFixed(1)} s`];
  for (const t of r.tanks) {
    const alarms =
      Object.entries(t.alarms)
        .map(([k, n]) => `${k} x${n}`)
        .join(', ') || 'none';
    lines.push(
      '',
      `Tank ${t.id}`,
      `  level            ${t.minLevelPct.toFixed(1)}% .. ${t.maxLevelPct.toFixed(1)}%`,
      `  refills          ${t.refills} (valve opened ${t.valveCycles} times)`,
      `  water in / out   ${t.inflowLitres} L / ${t.outflowLitres} L`,
      `  overflows        ${t.overflows}`,
      `  pump dry runs    ${t.dryRuns}`,
      `  alarms           ${alarms}`,
    );
  }
  return lines.join('\n');
}
