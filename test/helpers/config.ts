// Configs for tests: the shipped example, and small valid tanks built from partial overrides.

import { readFileSync } from 'node:fs';
import { ConfigError, parseConfig, validateConfig } from '../../daemon/config/load.js';
import type { Config, TankConfig } from '../../daemon/config/schema.js';

export const EXAMPLE_CONFIG_FILE = new URL('../../daemon/config/example.yaml', import.meta.url).pathname;

export function exampleConfig(): Config {
  return parseConfig(readFileSync(EXAMPLE_CONFIG_FILE, 'utf8'), EXAMPLE_CONFIG_FILE);
}

/** A 2,001 L vertical tank with probes, one valve and a pump; `patch` is merged into the raw tank. */
export function rawTank(patch: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'house',
    geometry: { shape: 'vertical-cylinder', diameterMm: 1400, heightMm: 1300 },
    outletHeightMm: 50,
    level: { ultrasonic: { mountHeightMm: 1600 } },
    probes: {
      electrodes: [
        { id: 'bottom', heightMm: 80, pin: 17, role: 'dry-run' },
        { id: 'middle', heightMm: 650, pin: 27 },
        { id: 'top', heightMm: 1200, pin: 22, role: 'high-high' },
      ],
    },
    valves: [{ id: 'mains', pin: 23 }],
    pump: { pin: 24 },
    ...patch,
  };
}

export function configWith(tanks: Record<string, unknown>[], patch: Record<string, unknown> = {}): Config {
  return validateConfig({
    gateway: { id: 'test-gw', stateDir: '/nonexistent', timezone: 'UTC' },
    clock: { sync: 'assume-synced' },
    // In-process gateways of unit tests serve no dashboard (it would take the example's port 8080).
    web: { enabled: false },
    tanks,
    ...patch,
  });
}

export function tank(patch: Record<string, unknown> = {}): TankConfig {
  return configWith([rawTank(patch)]).tanks[0]!;
}

/** Every problem the config check reports for `input`, as `path: message` lines (none: valid). */
export function configProblems(input: unknown): string[] {
  try {
    validateConfig(input);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map((p) => `${p.path}: ${p.message}`);
    throw err;
  }
  return [];
}

/** Host health of a quiet machine, for gateways built in-process. */
export const quietHost = {
  read: async () => ({
    uptimeS: 1,
    load1: 0,
    cpuPct: 0,
    memUsedPct: 1,
    memAvailableMb: 1,
    cpuTemperatureC: null,
  }),
};

/** Every key path the config schema knows (arrays as their element), for coverage checks of the docs. */
export function schemaKeyPaths(schema: unknown, prefix = ''): string[] {
  const def = (schema as { _zod: { def: Record<string, unknown> } })._zod.def;
  switch (def.type) {
    case 'object':
      return Object.entries(def.shape as Record<string, unknown>).flatMap(([k, v]) => [
        `${prefix}${k}`,
        ...schemaKeyPaths(v, `${prefix}${k}.`),
      ]);
    case 'array':
      return schemaKeyPaths(def.element, prefix);
    case 'union':
      return [...new Set((def.options as unknown[]).flatMap((o) => schemaKeyPaths(o, prefix)))];
    case 'pipe':
      return schemaKeyPaths(def.in, prefix);
    default:
      return def.innerType ? schemaKeyPaths(def.innerType, prefix) : [];
  }
}
