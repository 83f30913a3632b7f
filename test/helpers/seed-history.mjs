// Fills a gateway's trend history (<stateDir>/telemetry.db) with days of simulated farm life, run by the
// real controller on the simulated tank (daemon/sim), so the dashboard's trends, daily use and days-left
// estimate have realistic data before the daemon starts. Plain JavaScript on the built daemon (dist/),
// so the bench (bare node) and the tests share it. Needs `npm run build`.

import { join } from 'node:path';

const dist = new URL('../../dist/', import.meta.url);
const SAMPLE_MS = 60_000;

/**
 * @param {object} config a validated config (daemon/config/load.ts validateConfig)
 * @param {{days: number, endWallMs?: number, seed?: number, tickMs?: number}} options
 */
export async function seedHistory(config, options) {
  const { runSimulation } = await import(new URL('daemon/sim/run-simulation.js', dist).href);
  const { TelemetryStore } = await import(new URL('daemon/storage/telemetry-store.js', dist).href);
  const endWallMs = options.endWallMs ?? Date.now();
  const startWallMs = endWallMs - options.days * 86_400_000;
  const store = new TelemetryStore(
    {
      file: config.mqtt.store.file ?? join(config.gateway.stateDir, 'telemetry.db'),
      maxOutboxRows: config.mqtt.store.maxOutboxRows,
      fineDays: config.mqtt.store.fineDays,
      coarseDays: config.mqtt.store.coarseDays,
    },
    {
      info() {},
      warn() {},
      error() {},
      debug() {},
      child() {
        return this;
      },
    },
    () => endWallMs,
  );
  await store.open();
  // Coarser sampling than a live gateway: a month is simulated in about a second, and a trend point
  // every 5 minutes does not need a reading every 2 s.
  const coarse = {
    ...config,
    tanks: config.tanks.map((t) => ({
      ...t,
      level: {
        ...t.level,
        ...(t.level.ultrasonic ? { ultrasonic: { ...t.level.ultrasonic, sampleIntervalMs: SAMPLE_MS } } : {}),
        ...(t.level.pressure ? { pressure: { ...t.level.pressure, sampleIntervalMs: SAMPLE_MS } } : {}),
        filter: { ...t.level.filter, staleAfterS: (SAMPLE_MS / 1000) * 10 },
      },
    })),
  };
  let points = 0;
  /** @type {Record<string, number>} */
  const finalLevelPct = {};
  runSimulation({
    config: coarse,
    days: options.days,
    seed: options.seed ?? 1,
    startWallMs,
    tickMs: options.tickMs ?? 120_000,
    onStep: (step) => {
      // One point per step is plenty: the store keeps the last of each 5-minute bucket.
      if (step.elapsedMs % 120_000 !== 0) return;
      store.recordHistory({
        tank: step.tankId,
        t: startWallMs + step.elapsedMs,
        levelPct: Math.round(step.model.levelPct * 10) / 10,
        litres: Math.round(step.model.litres),
        valveOpen: step.decision.outputs.valveOpen,
        pumpOn: step.decision.outputs.pumpOn,
      });
      finalLevelPct[step.tankId] = step.model.levelPct;
      points++;
    },
  });
  store.close();
  return { points, startWallMs, endWallMs, finalLevelPct };
}
