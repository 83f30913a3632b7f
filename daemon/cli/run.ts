// `smart-tank run --config FILE`: the thin launcher. Loads and validates the config, builds the gateway
// from its parts, owns the signals and the exit code. No other module calls process.exit or process.on.

import { loadConfigFile } from '../config/load.js';
import { configWarnings } from '../config/warnings.js';
import { packageVersion } from '../version.js';
import { AcceleratedClock, SystemClock } from '../clock.js';
import { buildHardware } from '../hardware.js';
import { createLogger, type Logger } from '../log.js';
import { Gateway } from '../runtime/gateway.js';
import { createNotifier } from '../systemd/notify.js';
import { HostHealthReader } from '../../drivers/system/health.js';
import { parseCommand } from './args.js';
import { DEFAULT_CONFIG_FILE, type CliIo } from './io.js';

export const RUN_USAGE = `usage: smart-tank run [--config FILE]

Runs the gateway daemon in the foreground (systemd runs it as smart-tank.service): reads the sensors,
drives the valves and pump, publishes telemetry, takes commands; logs one JSON line per event on stderr.
Every output is driven off at start, on SIGTERM/SIGINT and on a fatal error.
  --config FILE  gateway config (default ${DEFAULT_CONFIG_FILE}; npm start uses daemon/config/example.yaml)`;

export const VPN_RUN_USAGE = `usage: smart-tank vpn run [--config FILE]

Runs only the VPN supervisor (smart-tank-vpn.service, vpn.runBy: service): brings the tunnel up, keeps
it up, and writes the status file the unprivileged daemon and \`smart-tank vpn status\` read.
  --config FILE  gateway config (default ${DEFAULT_CONFIG_FILE})`;

const CONFIG_OPTION = { config: { type: 'string', default: DEFAULT_CONFIG_FILE } } as const;

export async function runCommand(argv: string[], io: CliIo): Promise<number> {
  const parsed = parseCommand(argv, { usage: RUN_USAGE, options: CONFIG_OPTION });
  if (parsed.help) {
    io.out(RUN_USAGE);
    return 0;
  }
  const values = parsed.values;
  const config = await loadConfigFile(values.config);
  const log = createLogger({ level: config.log.level });
  for (const w of configWarnings(config))
    log.warn('config value probably wrong', { key: w.path, problem: w.message });
  const system = new SystemClock(config.clock.sync);
  // On the simulator the whole daemon may live in faster-than-real time (hardware.sim.speed).
  const speed = config.hardware.backend === 'sim' ? config.hardware.sim.speed : 1;
  const clock = speed === 1 ? system : new AcceleratedClock(system, speed);
  const notifier = await createNotifier(process.env, log.child('systemd'));
  const hardware = await buildHardware(config, clock, log.child('hw'));

  let exitCode = 0;
  let shuttingDown: Promise<void> | undefined;
  let stopped!: () => void;
  const done = new Promise<void>((resolve) => (stopped = resolve));
  const shutdown = (reason: string, code: number) => {
    exitCode = Math.max(exitCode, code);
    shuttingDown ??= gateway.stop(reason).finally(stopped);
    return shuttingDown;
  };

  const gateway = new Gateway({
    config,
    clock,
    log,
    notifier,
    hardware: hardware.tanks,
    hostHealth: new HostHealthReader(),
    version: await packageVersion(),
    onFatal: (err) => {
      log.error('fatal error: driving outputs safe and exiting', { error: err });
      void shutdown(`fatal: ${err.message}`, 1);
    },
  });

  const onSignal = (signal: NodeJS.Signals) => {
    log.info('signal received', { signal });
    void shutdown(signal, 0);
  };
  // A log reader that goes away (a closed pipe, a restarted journal) must not take the tank down: the
  // write errors (EPIPE) would otherwise come back as uncaught exceptions, one per log line.
  process.stderr.on('error', () => {});
  process.stdout.on('error', () => {});
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  // Outputs safe, then a non-zero exit: systemd restarts us; never run on in an unknown state.
  const onCrash = (err: unknown) => {
    log.error('unexpected error: driving outputs safe and exiting', { error: err as Error });
    void shutdown('crash', 1).finally(() => process.exit(1));
  };
  process.on('uncaughtException', onCrash);
  process.on('unhandledRejection', onCrash);

  try {
    await gateway.start();
  } catch (err) {
    log.error('start failed: outputs driven safe', { error: err as Error });
    await shutdown('start failed', 1);
    io.err(`smart-tank: ${(err as Error).message}`);
    return 1;
  }
  await done;
  return exitCode;
}

/**
 * `smart-tank vpn run --config FILE`: only the VPN supervisor, for the privileged smart-tank-vpn.service
 * (vpn.runBy: service). It writes the status file the unprivileged daemon and `vpn status` read.
 */
export async function vpnRunCommand(argv: string[], io: CliIo): Promise<number> {
  const parsed = parseCommand(argv, { usage: VPN_RUN_USAGE, options: CONFIG_OPTION });
  if (parsed.help) {
    io.out(VPN_RUN_USAGE);
    return 0;
  }
  const values = parsed.values;
  const config = await loadConfigFile(values.config);
  if (!config.vpn) {
    io.err(`smart-tank vpn run: no vpn section in ${values.config}`);
    return 1;
  }
  const log = createLogger({ level: config.log.level }, 'tank:vpn');
  process.stderr.on('error', () => {});
  const { createVpnSupervisor } = await import('../vpn/index.js');
  const supervisor = createVpnSupervisor(config.vpn, { clock: new SystemClock(config.clock.sync), log });
  let stopping: Promise<void> | undefined;
  const stopped = new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      log.info('signal received', { signal });
      stopping ??= supervisor.stop().finally(resolve);
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
  await supervisor.start();
  log.info('VPN supervisor running', { kind: config.vpn.kind, interface: config.vpn.interface });
  await stopped;
  return 0;
}

/**
 * Runs a long-lived service of the fleet (`smart-tank fleet serve`) until SIGTERM or SIGINT: its signals
 * and its exit code stay in the launcher, like the daemon's. An unexpected error stops it and exits 1
 * (systemd restarts it).
 */
export async function serveUntilSignal(
  service: { start(): Promise<void>; stop(): Promise<void> },
  log: Logger,
  io: CliIo,
  name: string,
): Promise<number> {
  let exitCode = 0;
  let stopping: Promise<void> | undefined;
  let stopped!: () => void;
  const done = new Promise<void>((resolve) => (stopped = resolve));
  const stop = (code: number) => {
    exitCode = Math.max(exitCode, code);
    stopping ??= service.stop().finally(stopped);
    return stopping;
  };
  process.stderr.on('error', () => {});
  process.stdout.on('error', () => {});
  for (const signal of ['SIGTERM', 'SIGINT'] as const)
    process.on(signal, () => {
      log.info('signal received', { signal });
      void stop(0);
    });
  const onCrash = (err: unknown) => {
    log.error(`unexpected error: ${name} stops`, { error: err as Error });
    void stop(1).finally(() => process.exit(1));
  };
  process.on('uncaughtException', onCrash);
  process.on('unhandledRejection', onCrash);
  try {
    await service.start();
  } catch (err) {
    log.error(`${name} did not start`, { error: err as Error });
    await stop(1);
    io.err(`smart-tank: ${(err as Error).message}`);
    return 1;
  }
  await done;
  return exitCode;
}
