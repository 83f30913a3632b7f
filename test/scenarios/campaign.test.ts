// The fault campaign in the test suite: fresh random seeds on every run (printed, so a red run can be
// replayed), random mixes of 1-3 faults of every kind, on the shipped example, through the built CLI on
// worker threads. The promise: no overfill, no dry run, switching within its daily bounds.

import { spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { CampaignSummary } from '../../daemon/sim/campaign.js';
import { CLI } from '../helpers/daemon.js';
import { EXAMPLE_CONFIG_FILE } from '../helpers/config.js';

/** 17 runs x 60 days x 2 tanks = 2,040 tank-days. */
const RUNS = 17;
const DAYS = 60;
const MIN_TANK_DAYS = 2000;
/** ~2 minutes on two idle cores of this machine's kind; CI machines are shared and slower. */
const CAMPAIGN_DEADLINE_MS = 15 * 60_000;

function campaign(seed: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const args = [CLI, 'sim', '--campaign', String(RUNS), '--days', String(DAYS), '--seed', String(seed)];
    const child = spawn(process.execPath, [...args, '--config', EXAMPLE_CONFIG_FILE, '--json'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('fault campaign (random seeds, random fault mixes)', () => {
  it(
    `${RUNS} runs x ${DAYS} days: no overfill, no dry run, valve and pump starts within their daily bounds`,
    async () => {
      const seed = randomInt(2 ** 31);
      console.log(
        `fault campaign seed ${seed}: replay with smart-tank sim --campaign ${RUNS} --days ${DAYS} --seed ${seed}`,
      );
      const { code, stdout, stderr } = await campaign(seed);
      const summary = JSON.parse(stdout.trim().split('\n').pop()!) as CampaignSummary;
      const failures = summary.failures.map((f) => `${f.problem}: ${f.repro}`).join('\n');
      expect(summary.tankDays).toBeGreaterThanOrEqual(MIN_TANK_DAYS);
      expect(summary.seed).toBe(seed);
      expect(failures, `campaign seed ${seed}`).toBe('');
      expect(summary.overfills).toBe(0);
      expect(summary.dryRuns).toBe(0);
      expect(summary.maxValveOpeningsPerDay).toBeLessThanOrEqual(summary.bounds.valveOpeningsPerDay);
      expect(summary.maxPumpStartsPerDay).toBeLessThanOrEqual(summary.bounds.pumpStartsPerDay!);
      expect(code, stderr).toBe(0);
      // Every kind of fault was drawn: the alarms that name them were raised somewhere in the campaign.
      expect(Object.keys(summary.alarms)).toEqual(
        expect.arrayContaining(['sensor-stale', 'unclean-restart', 'sensor-disagree']),
      );
    },
    CAMPAIGN_DEADLINE_MS,
  );
});
