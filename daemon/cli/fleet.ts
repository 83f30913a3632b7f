// `smart-tank fleet serve --config FILE` (the fleet service: the central broker's telemetry of every
// gateway, the fleet page, /metrics) and `smart-tank fleet check --config FILE` (its config, every
// problem at once). Loaded only when called: a gateway never loads the fleet's code.

import { SystemClock } from '../clock.js';
import { packageVersion } from '../version.js';
import { loadFleetConfig } from '../fleet/config.js';
import { createLogger, type LogLevel } from '../log.js';
import { parseCommand, UsageError } from './args.js';
import type { CliIo } from './io.js';

export const FLEET_USAGE = `usage: smart-tank fleet serve --config FILE [--log-level LEVEL]
       smart-tank fleet check --config FILE
The fleet service: subscribes to the central broker (every node of the cluster in turn), keeps the
latest state of every gateway and tank, serves the fleet page (which tanks are low, in fault, stale or
offline, by VPN server and site; live) and /metrics for Prometheus. Commands from the page go to each
gateway as the operator's own user, signed, through its checked command path.
  --config FILE      the fleet config (smart-tank provision central-config writes out/central/fleet/fleet.yaml)
  --log-level LEVEL  debug | info | warn | error (default info)
check: validates the config and exits 0, or 1 with one line per problem.`;

const LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

export async function fleetCommand(argv: string[], io: CliIo): Promise<number> {
  const [verb, ...rest] = argv;
  if (verb === undefined || verb === '--help' || verb === '-h' || verb === 'help') {
    io.out(FLEET_USAGE);
    return verb === undefined ? 2 : 0;
  }
  if (verb !== 'serve' && verb !== 'check')
    throw new UsageError(`unknown fleet command "${verb}"`, FLEET_USAGE);
  const p = parseCommand(rest, {
    usage: FLEET_USAGE,
    options: { config: { type: 'string' }, 'log-level': { type: 'string', default: 'info' } },
  });
  if (p.help) {
    io.out(FLEET_USAGE);
    return 0;
  }
  if (!p.values.config) throw new UsageError('--config FILE is required', FLEET_USAGE);
  const level = p.values['log-level'] as LogLevel;
  if (!LEVELS.includes(level))
    throw new UsageError(`--log-level must be one of ${LEVELS.join(', ')}`, FLEET_USAGE);
  const config = await loadFleetConfig(p.values.config);
  if (verb === 'check') {
    io.out(
      `${p.values.config}: ok (${config.central.urls.length} central node(s), ${config.inventoryFiles.length} inventory file(s))`,
    );
    return 0;
  }
  const log = createLogger({ level }, 'fleet');
  const { FleetService } = await import('../fleet/fleet-service.js');
  const { serveUntilSignal } = await import('./run.js');
  const service = new FleetService({
    config,
    clock: new SystemClock('assume-synced'),
    log,
    version: await packageVersion(),
  });
  return serveUntilSignal(service, log, io, 'fleet service');
}
