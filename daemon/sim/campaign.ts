// A fault campaign: many simulations with random seeds and random mixes of faults (every kind, random
// start, duration and tank, power cuts included), run in parallel on worker threads, summed up into what
// the safety promise is judged by: overfills, dry runs, switching per day, water denied, alarms. Every
// failing run comes with the exact `smart-tank sim` line that replays it.

import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Config } from '../config/schema.js';
import { packageRoot } from '../package-root.js';
import { roundTo } from '../units.js';
import { FAULT_KINDS, type FaultKind } from '../../drivers/sim/faults.js';
import { seededRandom } from '../../drivers/sim/rng.js';
import type { SimResult, TankSimResult } from './run-simulation.js';

export interface CampaignOptions {
  configFile: string;
  runs: number;
  days: number;
  /** Master seed: every run's seed and fault mix is drawn from it (same seed, same campaign). */
  seed: number;
  maxFaults: number;
  /** Worker threads (default: every core). */
  jobs?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface RunPlan {
  index: number;
  seed: number;
  /** Fault specs as `--fault` takes them. */
  faults: string[];
}

export interface RunOutcome {
  plan: RunPlan;
  result: SimResult;
}

export interface CampaignFailure {
  run: number;
  tank: string;
  problem: string;
  repro: string;
}

export interface CampaignSummary {
  runs: number;
  days: number;
  seed: number;
  maxFaults: number;
  tankDays: number;
  wallMs: number;
  tankDaysPerS: number;
  overfills: number;
  rainSpills: number;
  dryRuns: number;
  /** Per tank and run: valve openings / pump starts per simulated day on average. */
  valveCyclesPerTankDay: { max: number; p99: number };
  pumpStartsPerTankDay: { max: number; p99: number };
  /** Most openings / starts seen in any rolling 24 hours, against the configured bounds. */
  maxValveOpeningsPerDay: number;
  maxPumpStartsPerDay: number;
  bounds: { valveOpeningsPerDay: number; pumpStartsPerDay: number | null };
  /** The runs that switched the fill valve most in a day, to look at. */
  busiestValves: CampaignFailure[];
  /** Hours the pump was held off while water stood above its restart level. */
  waterDenied: {
    totalHours: number;
    maxHoursOneTank: number;
    tanksAffected: number;
    worst: CampaignFailure[];
  };
  alarms: Partial<Record<string, number>>;
  failures: CampaignFailure[];
}

/** Power cuts last from a quarter of an hour to half a day; other faults to the end or up to four days. */
const POWER_CUT_HOURS = { min: 0.25, max: 12 };
const FAULT_HOURS = { min: 1, max: 96 };
const WORST_SHOWN = 3;

/** Draws every run's seed and fault mix from the master seed (pure: same inputs, same plan). */
export function planCampaign(
  config: Config,
  o: Pick<CampaignOptions, 'runs' | 'days' | 'seed' | 'maxFaults'>,
): RunPlan[] {
  const random = seededRandom(o.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const between = (min: number, max: number) => min + random() * (max - min);
  const tanks = config.tanks.map((t) => t.id);
  return Array.from({ length: o.runs }, (_, index) => {
    const seed = Math.floor(random() * 2 ** 31);
    const count = 1 + Math.floor(random() * o.maxFaults);
    const faults = Array.from({ length: count }, () => {
      const kind: FaultKind = pick(FAULT_KINDS);
      const day = roundTo(between(0, o.days), 2);
      if (kind === 'power-cut')
        return `${kind}@${day}+${roundTo(between(POWER_CUT_HOURS.min, POWER_CUT_HOURS.max), 2)}`;
      const hours = random() < 0.5 ? '' : `+${roundTo(between(FAULT_HOURS.min, FAULT_HOURS.max), 1)}`;
      const tank = random() < 0.5 ? `:${pick(tanks)}` : '';
      return `${kind}@${day}${hours}${tank}`;
    });
    return { index, seed, faults };
  });
}

export function reproLine(plan: RunPlan, days: number, configFile: string): string {
  const faults = plan.faults.map((f) => `--fault ${f}`).join(' ');
  return `smart-tank sim --days ${days} --seed ${plan.seed} ${faults} --config ${configFile} --json`;
}

/** tsc's output (the bundled daemon in dist/daemon/cli/ has no file beside it to start a thread from). */
const WORKER_FILE = join(packageRoot(), 'dist', 'daemon', 'sim', 'campaign-worker.js');

/** Runs the plans on a pool of worker threads; results come back in plan order. */
export async function runCampaign(config: Config, o: CampaignOptions): Promise<CampaignSummary> {
  const started = performance.now();
  const plans = planCampaign(config, o);
  const jobs = Math.max(1, Math.min(o.jobs ?? availableParallelism(), plans.length));
  const results: RunOutcome[] = new Array(plans.length);
  let next = 0;
  let done = 0;
  const worker = async () => {
    const w = new Worker(WORKER_FILE, {
      workerData: { configFile: o.configFile, days: o.days },
    });
    try {
      while (next < plans.length) {
        const plan = plans[next++]!;
        results[plan.index] = { plan, result: await simulateIn(w, plan) };
        o.onProgress?.(++done, plans.length);
      }
    } finally {
      await w.terminate();
    }
  };
  await Promise.all(Array.from({ length: jobs }, worker));
  return summarize(config, o, results, performance.now() - started);
}

function simulateIn(w: Worker, plan: RunPlan): Promise<SimResult> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: { ok: true; result: SimResult } | { ok: false; error: string }) => {
      w.off('error', onError);
      if (m.ok) resolve(m.result);
      else reject(new Error(`campaign run ${plan.index} (seed ${plan.seed}): ${m.error}`));
    };
    const onError = (err: Error) => {
      w.off('message', onMessage);
      reject(
        new Error(`campaign run ${plan.index} (seed ${plan.seed}): worker failed: ${err.message}`, {
          cause: err,
        }),
      );
    };
    w.once('message', onMessage);
    w.once('error', onError);
    w.postMessage(plan);
  });
}

export function summarize(
  config: Config,
  o: Pick<CampaignOptions, 'runs' | 'days' | 'seed' | 'maxFaults' | 'configFile'>,
  outcomes: RunOutcome[],
  wallMs: number,
): CampaignSummary {
  const tanks: { plan: RunPlan; t: TankSimResult }[] = outcomes.flatMap(({ plan, result }) =>
    result.tanks.map((t) => ({ plan, t })),
  );
  const sum = (f: (t: TankSimResult) => number) => tanks.reduce((a, x) => a + f(x.t), 0);
  const failures: CampaignFailure[] = [];
  const fail = (plan: RunPlan, t: TankSimResult, problem: string) =>
    failures.push({ run: plan.index, tank: t.id, problem, repro: reproLine(plan, o.days, o.configFile) });
  const valveBound = Math.max(...config.tanks.map((t) => t.control.maxValveOpeningsPerDay));
  const pumpBounds = config.tanks.flatMap((t) => (t.pump ? [t.pump.maxStartsPerDay] : []));
  const pumpBound = pumpBounds.length > 0 ? Math.max(...pumpBounds) : null;
  for (const { plan, t } of tanks) {
    if (t.overfills > 0) fail(plan, t, `${t.overfills} overfill(s)`);
    if (t.dryRuns > 0) fail(plan, t, `${t.dryRuns} pump dry run(s)`);
    if (t.maxValveOpeningsPerDay > valveBound)
      fail(plan, t, `${t.maxValveOpeningsPerDay} valve openings in a day`);
    if (pumpBound !== null && t.maxPumpStartsPerDay > pumpBound)
      fail(plan, t, `${t.maxPumpStartsPerDay} pump starts in a day`);
  }
  const busiest = [...tanks]
    .sort((a, b) => b.t.maxValveOpeningsPerDay - a.t.maxValveOpeningsPerDay)
    .slice(0, WORST_SHOWN)
    .map(({ plan, t }) => ({
      run: plan.index,
      tank: t.id,
      problem: `valve opened ${t.maxValveOpeningsPerDay} times in a day (${t.valveCycles} in ${o.days} days)`,
      repro: reproLine(plan, o.days, o.configFile),
    }));
  const denied = tanks
    .filter((x) => x.t.waterDeniedHours > 0)
    .sort((a, b) => b.t.waterDeniedHours - a.t.waterDeniedHours);
  const alarms: Partial<Record<string, number>> = {};
  for (const { t } of tanks)
    for (const [k, n] of Object.entries(t.alarms)) alarms[k] = (alarms[k] ?? 0) + (n ?? 0);
  const tankDays = tanks.length * o.days;
  return {
    runs: outcomes.length,
    days: o.days,
    seed: o.seed,
    maxFaults: o.maxFaults,
    tankDays,
    wallMs: Math.round(wallMs),
    tankDaysPerS: roundTo(tankDays / (wallMs / 1000)),
    overfills: sum((t) => t.overfills),
    rainSpills: sum((t) => t.rainSpills),
    dryRuns: sum((t) => t.dryRuns),
    valveCyclesPerTankDay: maxAndP99(tanks.map((x) => x.t.valveCycles / o.days)),
    pumpStartsPerTankDay: maxAndP99(tanks.map((x) => x.t.pumpStarts / o.days)),
    maxValveOpeningsPerDay: Math.max(0, ...tanks.map((x) => x.t.maxValveOpeningsPerDay)),
    maxPumpStartsPerDay: Math.max(0, ...tanks.map((x) => x.t.maxPumpStartsPerDay)),
    bounds: { valveOpeningsPerDay: valveBound, pumpStartsPerDay: pumpBound },
    busiestValves: busiest,
    waterDenied: {
      totalHours: roundTo(sum((t) => t.waterDeniedHours)),
      maxHoursOneTank: denied[0]?.t.waterDeniedHours ?? 0,
      tanksAffected: denied.length,
      worst: denied.slice(0, WORST_SHOWN).map(({ plan, t }) => ({
        run: plan.index,
        tank: t.id,
        problem: `pump held off ${t.waterDeniedHours} h with water above its restart level`,
        repro: reproLine(plan, o.days, o.configFile),
      })),
    },
    alarms,
    failures,
  };
}

function maxAndP99(values: number[]): { max: number; p99: number } {
  if (values.length === 0) return { max: 0, p99: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const p99 = sorted[Math.min(sorted.length - 1, Math.ceil(0.99 * sorted.length) - 1)]!;
  return { max: roundTo(sorted[sorted.length - 1]!, 2), p99: roundTo(p99, 2) };
}
