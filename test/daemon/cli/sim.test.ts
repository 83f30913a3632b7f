import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { EXAMPLE_CONFIG_FILE } from '../../helpers/config.js';

const CLI = new URL('../../../dist/daemon/cli/smart-tank.js', import.meta.url).pathname;

function smartTank(args: string[]) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000 });
}

describe('smart-tank sim (built CLI)', () => {
  it('prints one JSON summary object as the last line of stdout', () => {
    const r = smartTank([
      'sim',
      '--days',
      '3',
      '--seed',
      '5',
      '--config',
      EXAMPLE_CONFIG_FILE,
      '--fault',
      'leak@1',
      '--json',
    ]);
    expect(r.status, r.stderr).toBe(0);
    const last = r.stdout.trim().split('\n').pop()!;
    const summary = JSON.parse(last);
    expect(summary).toMatchObject({ simulatedDays: 3, wallMs: expect.any(Number) });
    expect(summary.tanks.map((t: { id: string }) => t.id)).toEqual(['house', 'farm']);
    for (const t of summary.tanks) {
      expect(Object.keys(t).sort()).toEqual(
        [
          'alarmDays',
          'alarms',
          'dryRuns',
          'hoursAboveHigh',
          'id',
          'inflowLitres',
          'mainsLitres',
          'maxLevelPct',
          'maxPumpStartsPerDay',
          'maxValveOpeningsPerDay',
          'minLevelPct',
          'outflowLitres',
          'overfills',
          'overflows',
          'pumpStarts',
          'rainLitres',
          'rainSpills',
          'refills',
          'valveCycles',
          'waterDeniedHours',
        ].sort(),
      );
      expect(t.alarms).toHaveProperty('leak');
    }
  });

  it('prints a readable summary without --json', () => {
    const r = smartTank(['sim', '--days', '1', '--config', EXAMPLE_CONFIG_FILE]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Simulated 1 days in [\d.]+ s/);
    expect(r.stdout).toMatch(/Tank house\n  level +[\d.]+% \.\. [\d.]+%/);
  });

  it('refuses bad arguments with a clear message and exit 2', () => {
    const r = smartTank(['sim', '--days', 'many', '--config', EXAMPLE_CONFIG_FILE]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--days must be a number/);
    const f = smartTank(['sim', '--fault', 'flood', '--config', EXAMPLE_CONFIG_FILE]);
    expect(f.status).toBe(2);
    expect(f.stderr).toMatch(/unknown fault kind "flood"/);
  });
});
