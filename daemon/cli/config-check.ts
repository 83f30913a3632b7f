// `smart-tank config check [FILE]`: exit 0 when valid, printing what it understood per tank; exit 1 with
// one `path: message` line per problem.

import { join } from 'node:path';
import { describeConfig } from '../config/describe.js';
import { configWarnings } from '../config/warnings.js';
import { ConfigError, formatProblem, loadConfigFile } from '../config/load.js';
import type { ControllerState } from '../control/types.js';
import { readFileIfExists } from '../runtime/atomic-file.js';
import { STATE_FILE_NAME } from '../runtime/state-store.js';
import { parseCommand, UsageError } from './args.js';
import { DEFAULT_CONFIG_FILE, type CliIo } from './io.js';

export const CONFIG_CHECK_USAGE = `usage: smart-tank config check [FILE | --config FILE] [--quiet]

Validates a gateway config: exit 0 when valid (and prints what it understood of each tank: capacity,
sensor, thresholds in litres, probes, and the thresholds in force if an admin changed them by command),
exit 1 with one "path: message" line per problem.
  FILE, --config FILE  the config (default ${DEFAULT_CONFIG_FILE}); --config as in run, sim and the rest
  --quiet              print nothing when valid`;

export async function configCheckCommand(argv: string[], io: CliIo): Promise<number> {
  const parsed = parseCommand(argv, {
    usage: CONFIG_CHECK_USAGE,
    options: { quiet: { type: 'boolean', default: false }, config: { type: 'string' } },
    positionals: { max: 1 },
  });
  if (parsed.help) {
    io.out(CONFIG_CHECK_USAGE);
    return 0;
  }
  if (parsed.values.config !== undefined && parsed.positionals[0] !== undefined)
    throw new UsageError('give the config once: FILE or --config FILE, not both', CONFIG_CHECK_USAGE);
  const file = parsed.values.config ?? parsed.positionals[0] ?? DEFAULT_CONFIG_FILE;
  try {
    const config = await loadConfigFile(file);
    const warnings = configWarnings(config);
    for (const w of warnings) io.out(`warning: ${formatProblem(w)}`);
    if (parsed.values.quiet) return 0;
    io.out(`${file}: valid (gateway ${config.gateway.id}, ${config.tanks.length} tank(s))`);
    for (const line of describeConfig(config, await savedStates(config.gateway.stateDir))) io.out(line);
    return 0;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    for (const p of err.problems) io.out(formatProblem(p));
    return 1;
  }
}

/** The controller states of the last run, if the state file is there and readable (read only). */
async function savedStates(stateDir: string): Promise<Record<string, ControllerState> | undefined> {
  try {
    const text = await readFileIfExists(join(stateDir, STATE_FILE_NAME));
    return text ? (JSON.parse(text) as { tanks?: Record<string, ControllerState> }).tanks : undefined;
  } catch {
    return undefined;
  }
}
