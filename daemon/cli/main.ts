// The `smart-tank` command: the one place that owns process exit codes for the CLI.

import { configCheckCommand } from './config-check.js';
import type { CliIo } from './io.js';
import { SIM_USAGE, simCommand } from './sim.js';
import { UsageError } from './args.js';
import { ConfigError } from '../config/load.js';

const USAGE = `usage: smart-tank <command> [options]

commands:
  run --config FILE        run the gateway daemon
  config check FILE        validate a config file (exit 1 with one line per problem)
  hw check [options]       probe every configured device (smart-tank hw check --help)
  sim [options]            simulate days of operation (smart-tank sim --help)
  user add|passwd|del|list manage the MQTT users and roles (smart-tank user --help)
  audit verify [FILE]      check the audit log's hash chain
  vpn status [--json]      the VPN tunnel: state, address, handshake, traffic, reconnects
  vpn run --config FILE    only the VPN supervisor (smart-tank-vpn.service, vpn.runBy: service)
  provision <subcommand>   installers: site, address plan, device bundles, VPN server, phone (smart-tank provision --help)
  fleet serve --config FILE  the fleet service: every gateway's telemetry, the fleet page, /metrics (smart-tank fleet --help)`;

export async function main(argv: string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'run': {
        const { runCommand } = await import('./run.js');
        return await runCommand(rest, io);
      }
      case 'config':
        if (rest[0] === 'check') return await configCheckCommand(rest.slice(1), io);
        break;
      case 'hw':
        if (rest[0] === 'check')
          return await (await import('./hw-check.js')).hwCheckCommand(rest.slice(1), io);
        break;
      case 'sim':
        return await simCommand(rest, io);
      case 'user': {
        const { userCommand, terminalSecrets, USER_USAGE } = await import('./user.js');
        if (rest[0] === '--help' || rest.length === 0) {
          io.out(USER_USAGE);
          return rest.length === 0 ? 2 : 0;
        }
        return await userCommand(rest, io, terminalSecrets);
      }
      case 'audit':
        return await (await import('./audit.js')).auditCommand(rest, io);
      case 'vpn':
        if (rest[0] === 'run') return await (await import('./run.js')).vpnRunCommand(rest.slice(1), io);
        return await (await import('./vpn-status.js')).vpnCommand(rest, io);
      case 'provision':
        return await (await import('../../provisioning/cli.js')).provisionCommand(rest, io);
      case 'fleet':
        return await (await import('./fleet.js')).fleetCommand(rest, io);
      case undefined:
      case 'help':
      case '--help':
        io.out(USAGE);
        return command === undefined ? 2 : 0;
    }
    io.err(`unknown command: ${argv.join(' ')}\n${USAGE}`);
    return 2;
  } catch (err) {
    if (err instanceof ConfigError) {
      io.err(err.message);
      return 1;
    }
    if (err instanceof UsageError || (err as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      const usage =
        err instanceof UsageError && err.usage ? err.usage : command === 'sim' ? SIM_USAGE : USAGE;
      io.err(`${(err as Error).message}\n${usage}`);
      return 2;
    }
    throw err;
  }
}
