// Loads the YAML config, validates it against the schema and the cross-field rules, and reports every
// problem at once as `path: message` with the exact key path.

import { readFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import type * as z from './zod.js';
import { thresholdProblems, type ThresholdKey, type ThresholdValues } from '../control/thresholds.js';
import { allowedKeysAt, didYouMean, wrongTypeText, YAML_HINTS } from './issue-text.js';
import { percentOf, tankShape, type TankShape } from '../level/geometry.js';
import { configSchema, levelSampleIntervalMs, type Config, type TankConfig } from './schema.js';
import { checkHardware, reservedPins } from './hardware-checks.js';
import { unknownNotifyTanks } from './notify-schema.js';
import { timeZoneProblem } from '../time-zone.js';

export interface ConfigProblem {
  path: string;
  message: string;
}

export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: ConfigProblem[],
  ) {
    super(
      problems.length === 1 && problems[0]!.path === ''
        ? `${source}: ${problems[0]!.message}`
        : `${source}: ${problems.length} problem(s) in config:\n` + problems.map(formatProblem).join('\n'),
    );
    this.name = 'ConfigError';
  }
}

export function formatProblem(p: ConfigProblem): string {
  return `${p.path || '(root)'}: ${p.message}`;
}

/** What to do about a config file that is not there: said in one line, where it is read. */
export const MISSING_CONFIG_HINT =
  'give the config with --config FILE (in a checkout: --config daemon/config/example.yaml, the one npm start uses; on a Pi: /etc/smart-tank/config.yaml, written by the device bundle)';

export async function loadConfigFile(file: string): Promise<Config> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    const message = missing
      ? `no such file: ${MISSING_CONFIG_HINT}`
      : `cannot read file (${(err as Error).message})`;
    throw new ConfigError(file, [{ path: '', message }]);
  }
  return parseConfig(text, file);
}

export function parseConfig(yamlText: string, source = 'config'): Config {
  const doc = parseDocument(yamlText, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    // The first syntax error alone: the ones after it are usually its echoes, and nothing else is checked.
    const e = doc.errors[0]!;
    const hint = YAML_HINTS[e.code];
    throw new ConfigError(source, [
      {
        path: '',
        message: `YAML syntax error at line ${e.linePos?.[0]?.line ?? '?'}: ${e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}${hint ? ` (${hint})` : ''}`,
      },
    ]);
  }
  return validateConfig(doc.toJS() ?? {}, source);
}

export function validateConfig(input: unknown, source = 'config'): Config {
  const result = configSchema.safeParse(input, { reportInput: true });
  if (!result.success) throw new ConfigError(source, result.error.issues.flatMap(issueToProblems));
  const problems = crossChecks(result.data, input);
  if (problems.length > 0) throw new ConfigError(source, problems);
  return result.data;
}

export function issueToProblems(issue: z.core.$ZodIssue): ConfigProblem[] {
  const path = formatPath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    const allowed = allowedKeysAt(configSchema, issue.path);
    return issue.keys.map((key) => {
      const path = formatPath([...issue.path, key]);
      // A key of another variant (an openvpn key under kind: wireguard) is known, just not here.
      if (allowed.includes(key)) return { path, message: 'unknown key for this kind (check the kind: key)' };
      const meant = didYouMean(key, allowed);
      return { path, message: `unknown key${meant ? ` (did you mean ${meant}?)` : ''}` };
    });
  }
  if (issue.code === 'invalid_type') return [{ path, message: wrongTypeText(issue.expected, issue.input) }];
  return [{ path, message: issue.message }];
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out;
}

/** Rules that span several keys; each names the key that should change (one the user wrote, if any). */
function crossChecks(config: Config, input: unknown): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const add = (path: (string | number)[], message: string) =>
    problems.push({ path: formatPath(path), message });

  const zoneProblem = timeZoneProblem(config.gateway.timezone);
  if (zoneProblem) add(['gateway', 'timezone'], zoneProblem);
  if (config.mqtt.broker === 'external' && !config.mqtt.url) {
    add(['mqtt', 'url'], 'is required when mqtt.broker is external');
  }
  const limits = config.mqtt.limits;
  if (limits.reservedForAdmins >= limits.maxConnections)
    add(
      ['mqtt', 'limits', 'reservedForAdmins'],
      `must be less than mqtt.limits.maxConnections (${limits.maxConnections})`,
    );
  for (const p of unknownNotifyTanks(
    config.notify,
    config.tanks.map((t) => t.id),
  ))
    add(p.path, p.message);

  const pinOwners = new Map<number, string>();
  // The Pi's buses and the relay board come first, so a clash names them (hardware-checks.ts).
  for (const r of reservedPins(config)) pinOwners.set(r.pin, r.owner);
  const claimPin = (pin: number, path: (string | number)[]) => {
    const where = formatPath(path);
    const owner = pinOwners.get(pin);
    if (owner) add(path, `GPIO ${pin} is already used by ${owner}`);
    else pinOwners.set(pin, where);
  };

  const tankIds = new Set<string>();
  config.tanks.forEach((tank, t) => {
    const at = (...rest: (string | number)[]) => ['tanks', t, ...rest];
    if (tankIds.has(tank.id)) add(at('id'), `duplicate tank id "${tank.id}"`);
    tankIds.add(tank.id);
    checkTank(tank, rawTankAt(input, t), at, add);

    tank.valves.forEach((v, i) => claimPin(v.pin, at('valves', i, 'pin')));
    if (tank.pump) claimPin(tank.pump.pin, at('pump', 'pin'));
    if (tank.probes?.excitationPin !== undefined)
      claimPin(tank.probes.excitationPin, at('probes', 'excitationPin'));
    if (tank.probes?.reversePin !== undefined) claimPin(tank.probes.reversePin, at('probes', 'reversePin'));
    tank.probes?.electrodes.forEach((e, i) => claimPin(e.pin, at('probes', 'electrodes', i, 'pin')));
  });
  checkHardware(config, add);
  return problems;
}

type Add = (path: (string | number)[], message: string) => void;

type At = (...rest: (string | number)[]) => (string | number)[];

function checkTank(tank: TankConfig, raw: RawTank, at: At, add: Add): void {
  const c = tank.control;
  c.refillWindows.forEach((w, i) => {
    if (w.from === w.to) add(at('control', 'refillWindows', i, 'to'), 'must differ from "from"');
  });

  // Rules that need no geometry first: a bad calibration table stops the ones below.
  const ids = new Set<string>();
  tank.valves.forEach((v, i) => {
    if (ids.has(v.id)) add(at('valves', i, 'id'), `duplicate valve id "${v.id}"`);
    ids.add(v.id);
  });

  if (tank.pump && tank.pump.stopBelowPct >= tank.pump.restartAbovePct) {
    add(at('pump', 'restartAbovePct'), `must be above pump.stopBelowPct (${tank.pump.stopBelowPct})`);
  }

  if (tank.geometry.shape === 'calibration-table') {
    tank.geometry.points.forEach((p, i, pts) => {
      const prev = pts[i - 1];
      if (!prev) return;
      if (p.heightMm <= prev.heightMm)
        add(at('geometry', 'points', i, 'heightMm'), 'heights must increase strictly');
      if (p.litres <= prev.litres)
        add(at('geometry', 'points', i, 'litres'), 'litres must increase strictly');
    });
    if (problemsIn(tank.geometry.points)) {
      checkThresholds(tank, raw, undefined, at, add);
      return; // a bad table has no meaningful brim for the checks below
    }
  }
  const shape = tankShape(tank.geometry);
  checkThresholds(tank, raw, shape, at, add);
  const brim = shape.brimMm;
  const heightOfPct = (pct: number) => shape.heightAt((pct / 100) * shape.capacityLitres);

  if (tank.outletHeightMm >= brim) add(at('outletHeightMm'), `must be below the brim (${brim} mm)`);

  const { ultrasonic: us, pressure } = tank.level;
  if ((us === undefined) === (pressure === undefined)) {
    add(at('level'), 'needs exactly one level source: ultrasonic or pressure');
  }
  if (us) {
    if (us.mountHeightMm < brim) {
      add(
        at('level', 'ultrasonic', 'mountHeightMm'),
        `must be at least the tank height (${round(brim)} mm): the sensor sits above the brim`,
      );
    } else if (us.mountHeightMm - brim < us.minRangeMm) {
      add(
        at('level', 'ultrasonic', 'mountHeightMm'),
        `water at the brim would be ${round(us.mountHeightMm - brim)} mm from the sensor, inside its dead zone ` +
          `(minRangeMm ${us.minRangeMm}): mount the sensor higher`,
      );
    }
    if (us.mountHeightMm > us.maxRangeMm) {
      add(
        at('level', 'ultrasonic', 'maxRangeMm'),
        `the tank floor (${us.mountHeightMm} mm) is beyond the sensor's range`,
      );
    }
    if (us.minRangeMm >= us.maxRangeMm)
      add(at('level', 'ultrasonic', 'minRangeMm'), 'must be less than maxRangeMm');
  }
  if (pressure) {
    if (pressure.sensorHeightMm >= brim)
      add(at('level', 'pressure', 'sensorHeightMm'), `must be below the brim (${round(brim)} mm)`);
    if (pressure.sensorHeightMm + pressure.fullScaleMm < brim) {
      add(
        at('level', 'pressure', 'fullScaleMm'),
        `a full tank (${round(brim - pressure.sensorHeightMm)} mm of water above the sensor) is beyond full scale`,
      );
    }
  }
  const sampleIntervalMs = levelSampleIntervalMs(tank);

  const f = tank.level.filter;
  if (f.medianWindow % 2 === 0) add(at('level', 'filter', 'medianWindow'), 'must be odd');
  if (f.staleAfterS * 1000 < f.medianWindow * sampleIntervalMs) {
    add(
      at('level', 'filter', 'staleAfterS'),
      `must give the median window time to fill (${(f.medianWindow * sampleIntervalMs) / 1000} s)`,
    );
  } else if (f.staleAfterS * 1000 < 2 * sampleIntervalMs) {
    add(
      at('level', 'filter', 'staleAfterS'),
      `must cover at least two samples (${(2 * sampleIntervalMs) / 1000} s)`,
    );
  }

  if (tank.pump && heightOfPct(tank.pump.stopBelowPct) <= tank.outletHeightMm) {
    add(at('pump', 'stopBelowPct'), `must leave water above the outlet (${tank.outletHeightMm} mm)`);
  }

  const electrodes = tank.probes?.electrodes ?? [];
  const probeIds = new Set<string>();
  electrodes.forEach((e, i) => {
    const path = at('probes', 'electrodes', i);
    if (probeIds.has(e.id)) add([...path, 'id'], `duplicate electrode id "${e.id}"`);
    probeIds.add(e.id);
    if (e.heightMm >= brim) add([...path, 'heightMm'], `must be inside the tank (below ${round(brim)} mm)`);
    if (e.role === 'dry-run' && e.heightMm <= tank.outletHeightMm) {
      add(
        [...path, 'heightMm'],
        `a dry-run electrode must sit above the outlet (outletHeightMm ${tank.outletHeightMm})`,
      );
    }
  });
  for (const role of ['dry-run', 'high-high'] as const) {
    if (electrodes.filter((e) => e.role === role).length > 1)
      add(at('probes', 'electrodes'), `at most one ${role} electrode`);
  }

  if (tank.sim.airTemperatureC.min > tank.sim.airTemperatureC.max) {
    add(at('sim', 'airTemperatureC', 'min'), 'must not exceed max');
  }
}

/** What the user wrote for one tank (to blame a key they wrote rather than a default). */
type RawTank = { control?: Record<string, unknown>; pump?: Record<string, unknown> };

function rawTankAt(input: unknown, index: number): RawTank {
  const tanks = (input as { tanks?: unknown[] } | undefined)?.tanks;
  const raw = Array.isArray(tanks) ? tanks[index] : undefined;
  return raw && typeof raw === 'object' ? (raw as RawTank) : {};
}

/** The refill thresholds' rules: the same checker as the `thresholds` command (control/thresholds.ts). */
function checkThresholds(
  tank: TankConfig,
  raw: RawTank,
  shape: TankShape | undefined,
  at: At,
  add: Add,
): void {
  const c = tank.control;
  const electrodes = tank.probes?.electrodes ?? [];
  const highHighIndex = electrodes.findIndex((e) => e.role === 'high-high');
  const highHigh = electrodes[highHighIndex];
  const values: ThresholdValues = {
    lowPct: c.lowPct,
    highPct: c.highPct,
    criticalPct: c.criticalPct,
    windowTopUpBelowPct: c.windowTopUpBelowPct,
    highHighPct: highHigh && shape ? percentOf(shape, shape.litresAt(highHigh.heightMm)) : undefined,
    pumpStopBelowPct: tank.pump?.stopBelowPct,
  };
  const pathOf: Record<ThresholdKey, (string | number)[]> = {
    lowPct: at('control', 'lowPct'),
    highPct: at('control', 'highPct'),
    criticalPct: at('control', 'criticalPct'),
    windowTopUpBelowPct: at('control', 'windowTopUpBelowPct'),
    highHighPct: at('probes', 'electrodes', highHighIndex, 'heightMm'),
    pumpStopBelowPct: at('pump', 'stopBelowPct'),
  };
  const written = (key: ThresholdKey) =>
    key === 'highHighPct' ||
    (key === 'pumpStopBelowPct' ? raw.pump?.stopBelowPct !== undefined : raw.control?.[key] !== undefined);
  for (const p of thresholdProblems(values)) {
    const key = p.keys.find(written) ?? p.keys[0];
    const hint =
      key === 'highHighPct' && shape
        ? ` (put the electrode above ${round(shape.heightAt((c.highPct / 100) * shape.capacityLitres))} mm)`
        : '';
    const value = values[key];
    const ratio =
      value !== undefined && value > 0 && value < 1
        ? ` (${value} is ${value}%: percent keys take 15 for 15 %)`
        : '';
    add(pathOf[key], p.message + hint + ratio);
  }
}

function problemsIn(points: readonly { heightMm: number; litres: number }[]): boolean {
  return points.some(
    (p, i) => i > 0 && (p.heightMm <= points[i - 1]!.heightMm || p.litres <= points[i - 1]!.litres),
  );
}

function round(x: number): number {
  return Math.round(x);
}
