// `smart-tank sim`: runs the controller against the simulated tank over days of simulated time, or a
// whole fault campaign (--campaign RUNS) in parallel on every core.

import { randomInt } from 'node:crypto';
import { loadConfigFile } from '../config/load.js';
import { parseFault } from '../../drivers/sim/faults.js';
import { runCampaign, type CampaignFailure, type CampaignSummary } from '../sim/campaign.js';
import {
  DEFAULT_SIM_TICK_MS,
  runSimulation,
  type SimResult,
  type TankSimResult,
} from '../sim/run-simulation.js';
import { numberOption, parseCommand, UsageError } from './args.js';
import { DEFAULT_CONFIG_FILE, type CliIo } from './io.js';

export { UsageError };

export const SIM_USAGE = `usage: smart-tank sim [--days N] [--seed S] [--fault KIND[@DAY][+HOURS][:TANK]]... [--config FILE] [--tick-s S] [--json]
       smart-tank sim --campaign RUNS [--days N] [--seed S] [--max-faults K] [--jobs J] [--config FILE] [--json]

Runs the real estimator and controller against the simulated tank as fast as the machine allows.
  --days N        simulated days (default 7; a campaign: 60 per run)
  --seed S        random seed (default: hardware.sim.seed of the config; a campaign: a fresh one, printed)
  --fault SPEC    inject a fault; kinds: stuck-ultrasonic, noisy-ultrasonic, ultrasonic-dropout,
                  mains-failure, leak, probe-open, power-cut. Starts on DAY (default 1), lasts HOURS
                  (default: to the end; power-cut: 6), on TANK (default: all tanks)
  --config FILE   gateway config (default ${DEFAULT_CONFIG_FILE})
  --tick-s S      simulated seconds per control step (default ${DEFAULT_SIM_TICK_MS / 1000})
  --json          print one JSON summary object as the last line of stdout
Fault campaign:
  --campaign RUNS runs RUNS simulations, each with its own seed and 1..K random faults (every kind, random
                  start day, duration and tank), in parallel; exit 1 if any run overfilled or ran dry,
                  printing the command that replays each failing run
  --max-faults K  faults per run, at most (default 3)
  --jobs J        worker threads (default: every core)`;

const OPTIONS = {
  days: { type: 'string' },
  seed: { type: 'string' },
  fault: { type: 'string', multiple: true, default: [] as string[] },
  config: { type: 'string', default: DEFAULT_CONFIG_FILE },
  'tick-s': { type: 'string', default: String(DEFAULT_SIM_TICK_MS / 1000) },
  json: { type: 'boolean', default: false },
  campaign: { type: 'string' },
  'max-faults': { type: 'string', default: '3' },
  jobs: { type: 'string' },
} as const;

const DEFAULT_DAYS = 7;
const DEFAULT_CAMPAIGN_DAYS = 60;
/** Progress bars only for runs long enough to wait for. */
const PROGRESS_FROM_DAYS = 30;

export async function simCommand(argv: string[], io: CliIo): Promise<number> {
  const parsed = parseCommand(argv, { usage: SIM_USAGE, options: OPTIONS });
  if (parsed.help) {
    io.out(SIM_USAGE);
    return 0;
  }
  const v = parsed.values;
  const number = (
    name: keyof typeof OPTIONS,
    raw: string | undefined,
    min: number,
    max: number,
    integer = false,
  ) => numberOption(name, raw, { min, max, integer }, SIM_USAGE);
  const runs = number('campaign', v.campaign, 1, 1_000_000, true);
  const days = number('days', v.days, 0.01, 3660) ?? (runs ? DEFAULT_CAMPAIGN_DAYS : DEFAULT_DAYS);
  const seedArg = number('seed', v.seed, 0, 2 ** 31, true);
  const config = await loadConfigFile(v.config);

  if (runs !== undefined) {
    if (v.fault.length > 0)
      throw new UsageError(
        '--fault and --campaign do not go together: a campaign draws its own faults',
        SIM_USAGE,
      );
    const maxFaults = number('max-faults', v['max-faults'], 1, 10, true)!;
    const jobs = number('jobs', v.jobs, 1, 256, true);
    const seed = seedArg ?? randomInt(2 ** 31);
    io.err(
      `fault campaign: ${runs} runs x ${days} days, seed ${seed} (replay the whole campaign with --seed ${seed})`,
    );
    const bar = io.isTTY ? progressBar(io) : undefined;
    const summary = await runCampaign(config, {
      configFile: v.config,
      runs,
      days,
      seed,
      maxFaults,
      jobs,
      onProgress: bar && ((done, total) => bar(done / total)),
    });
    io.out(v.json ? JSON.stringify(summary) : campaignText(summary));
    return summary.failures.length > 0 ? 1 : 0;
  }

  const tickS = number('tick-s', v['tick-s'], 0.1, 600)!;
  const seed = seedArg ?? config.hardware.sim.seed;
  const faults = v.fault.map((spec) => {
    try {
      return parseFault(spec);
    } catch (err) {
      throw new UsageError((err as Error).message, SIM_USAGE);
    }
  });
  for (const f of faults) {
    if (f.tankId && !config.tanks.some((t) => t.id === f.tankId))
      throw new UsageError(`--fault names unknown tank "${f.tankId}"`, SIM_USAGE);
  }
  const progress = io.isTTY && days >= PROGRESS_FROM_DAYS ? progressBar(io) : undefined;
  const result = runSimulation({ config, days, seed, faults, tickMs: tickS * 1000, onProgress: progress });
  io.out(v.json ? JSON.stringify(result) : simText(result));
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

function simText(r: SimResult): string {
  const lines = [`Simulated ${r.simulatedDays} days in ${(r.wallMs / 1000).toFixed(1)} s`];
  for (const t of r.tanks) lines.push('', ...tankText(t));
  return lines.join('\n');
}

function tankText(t: TankSimResult): string[] {
  const alarms =
    Object.entries(t.alarms)
      .map(
        ([k, n]) =>
          `${k} x${n} (day ${(t.alarmDays[k as keyof typeof t.alarmDays] ?? []).join(', ')}${(n ?? 0) > 5 ? ', ...' : ''})`,
      )
      .join('\n                   ') || 'none';
  const high = t.hoursAboveHigh;
  const aboveHigh =
    high.mains + high.rain === 0
      ? 'never'
      : `${high.mains} h after the mains took it there, ${high.rain} h after rain did`;
  return [
    `Tank ${t.id}`,
    `  level            ${t.minLevelPct.toFixed(1)}% .. ${t.maxLevelPct.toFixed(1)}%`,
    `  above high       ${aboveHigh}`,
    `  refills          ${t.refills} (valve opened ${t.valveCycles} times, at most ${t.maxValveOpeningsPerDay} in a day)`,
    `  water in         ${t.mainsLitres} L from the mains, ${t.rainLitres} L from rain`,
    `  water out        ${t.outflowLitres} L`,
    `  pump             started ${t.pumpStarts} times (at most ${t.maxPumpStartsPerDay} in a day); held off ${t.waterDeniedHours} h with water above its restart level`,
    `  overfills        ${t.overfills}`,
    `  rain spills      ${t.rainSpills} (the brim reached by rain with the valve closed: the overflow pipe's job)`,
    `  pump dry runs    ${t.dryRuns}`,
    `  alarms           ${alarms}`,
  ];
}

function campaignText(s: CampaignSummary): string {
  const failures = (list: CampaignFailure[]) =>
    list.map((f) => `  run ${f.run} tank ${f.tank}: ${f.problem}\n    ${f.repro}`);
  const alarms = Object.entries(s.alarms)
    .sort((a, b) => (b[1] ?? 0) - (a[1] ?? 0))
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  return [
    `Fault campaign: ${s.runs} runs x ${s.days} days (seed ${s.seed}, up to ${s.maxFaults} faults each): ${s.tankDays} tank-days in ${(s.wallMs / 1000).toFixed(1)} s (${s.tankDaysPerS} tank-days/s)`,
    `  overfills            ${s.overfills}`,
    `  pump dry runs        ${s.dryRuns}`,
    `  rain spills          ${s.rainSpills} (valve closed: what the overflow pipe is for)`,
    `  valve cycles         per tank-day max ${s.valveCyclesPerTankDay.max}, p99 ${s.valveCyclesPerTankDay.p99}; most in any 24 h ${s.maxValveOpeningsPerDay} (bound ${s.bounds.valveOpeningsPerDay})`,
    ...failures(s.busiestValves).map((l) => `  ${l}`),
    `  pump starts          per tank-day max ${s.pumpStartsPerTankDay.max}, p99 ${s.pumpStartsPerTankDay.p99}; most in any 24 h ${s.maxPumpStartsPerDay} (bound ${s.bounds.pumpStartsPerDay ?? '-'})`,
    `  water denied         ${s.waterDenied.totalHours} h in all, ${s.waterDenied.tanksAffected} tank runs, worst ${s.waterDenied.maxHoursOneTank} h`,
    ...failures(s.waterDenied.worst).map((l) => `  ${l}`),
    `  alarms               ${alarms || 'none'}`,
    s.failures.length === 0
      ? 'PASS: no overfill, no dry run, switching within bounds'
      : `FAIL: ${s.failures.length} problem(s):`,
    ...failures(s.failures),
  ].join('\n');
}
