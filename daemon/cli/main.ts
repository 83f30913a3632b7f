// The `smart-tank` command: the one place that owns process exit codes for the CLI. Every command and
// subcommand answers -h/--help (exit 0); a wrong option or argument prints why and the usage (exit 2).

// Commands are loaded only when called: `smart-tank --help` must not pay for the simulator or the daemon.
import type { CliIo } from './io.js';
import { UsageError } from './args.js';
import { packageVersion } from '../version.js';

const USAGE = `usage: smart-tank <command> [options]        (every command: --help for its options)

commands:
  run [--config FILE]       run the gateway daemon
  config check [FILE]       validate a config file, say what it understood (exit 1 with one line per problem)
  hw check [options]        probe every configured device
  sim [options]             simulate days of operation, or a fault campaign (--campaign RUNS)
  user add|passwd|del|list  manage the MQTT and dashboard users and roles
  audit verify|who          check the audit log's hash chain; who accessed what
  vpn status [--json]       the VPN tunnel: state, address, handshake, traffic, reconnects
  vpn run                   only the VPN supervisor (smart-tank-vpn.service, vpn.runBy: service)
  provision <subcommand>    installers: site, address plan, device bundles, VPN server, phone
  bundle check|apply DIR    verify or install a device bundle
  first-boot                install the bundle from the boot partition, once (smart-tank-firstboot.service)
  fleet serve|check         the fleet service (not on a gateway): every gateway's telemetry, fleet page, /metrics
  --version                 print the version

In a checkout run it as \`npx smart-tank ...\` (after npm install); installed from the Debian package it is
on the PATH. Commands that need a config read /etc/smart-tank/config.yaml unless given --config FILE.`;

const CONFIG_USAGE = `usage: smart-tank config check [FILE]   (smart-tank config check --help)`;
const HW_USAGE = `usage: smart-tank hw check [options]   (smart-tank hw check --help)`;

export async function main(argv: string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    return await dispatch(command, rest, io);
  } catch (err) {
    // ConfigError by name: importing config/load.js here would load the schema for every --help.
    if ((err as Error).name === 'ConfigError') {
      io.err((err as Error).message);
      return 1;
    }
    if (err instanceof UsageError || (err as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      const usage = err instanceof UsageError && err.usage ? err.usage : USAGE;
      io.err(`${(err as Error).message}\n${usage}`);
      return 2;
    }
    throw err;
  }
}

async function dispatch(command: string | undefined, rest: string[], io: CliIo): Promise<number> {
  const help = (usage: string) => {
    io.out(usage);
    return 0;
  };
  const isHelp = (a: string | undefined) => a === '--help' || a === '-h' || a === 'help';
  switch (command) {
    case 'run':
      return (await import('./run.js')).runCommand(rest, io);
    case 'config': {
      const { configCheckCommand, CONFIG_CHECK_USAGE } = await import('./config-check.js');
      if (rest[0] === 'check') return configCheckCommand(rest.slice(1), io);
      if (isHelp(rest[0])) return help(`${CONFIG_USAGE}\n\n${CONFIG_CHECK_USAGE}`);
      throw new UsageError(
        rest[0] ? `unknown config command: ${rest[0]}` : 'config: which command?',
        CONFIG_USAGE,
      );
    }
    case 'hw': {
      const { hwCheckCommand, HW_CHECK_USAGE } = await import('./hw-check.js');
      if (rest[0] === 'check') return hwCheckCommand(rest.slice(1), io);
      if (isHelp(rest[0])) return help(HW_CHECK_USAGE);
      throw new UsageError(rest[0] ? `unknown hw command: ${rest[0]}` : 'hw: which command?', HW_USAGE);
    }
    case 'sim':
      return (await import('./sim.js')).simCommand(rest, io);
    case 'user': {
      const { userCommand, terminalSecrets } = await import('./user.js');
      return userCommand(rest, io, terminalSecrets);
    }
    case 'audit':
      return (await import('./audit.js')).auditCommand(rest, io);
    case 'vpn':
      if (rest[0] === 'run') return (await import('./run.js')).vpnRunCommand(rest.slice(1), io);
      return (await import('./vpn-status.js')).vpnCommand(rest, io);
    case 'provision':
      return (await import('../../provisioning/cli.js')).provisionCommand(rest, io);
    case 'fleet':
      return (await import('./fleet.js')).fleetCommand(rest, io);
    case 'bundle':
      return (await import('./bundle.js')).bundleCommand(rest, io);
    case 'first-boot':
      return (await import('./bundle.js')).firstBootCommand(rest, io);
    case '--version':
    case '-V':
    case 'version':
      io.out(`smart-tank ${await packageVersion()}`);
      return 0;
    case undefined:
      io.err(USAGE);
      return 2;
    case 'help':
    case '--help':
    case '-h':
      return help(USAGE);
  }
  throw new UsageError(`unknown command: ${command}`, USAGE);
}
