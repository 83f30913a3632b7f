// `smart-tank vpn status [--config FILE] [--json]`: the tunnel as the daemon's supervisor last saw it
// (state, address, endpoint, handshake age, traffic, reconnects), read from its status file. Exit 0 when
// the tunnel is up, 1 when it is not (or no VPN is configured, or the daemon is not running), 2 on usage.

import { loadConfigFile } from '../config/load.js';
import { vpnStatusFile } from '../config/vpn-schema.js';
import { readStatusFile } from '../vpn/status-file.js';
import type { VpnStatusFile } from '../vpn/status.js';
import { DEFAULT_CONFIG_FILE, type CliIo } from './io.js';
import { parseCommand, UsageError } from './args.js';

export const VPN_USAGE = `usage: smart-tank vpn status [--config FILE] [--json]
       smart-tank vpn run [--config FILE]

status  the VPN tunnel as the running daemon (or smart-tank-vpn.service) sees it: state, address,
        endpoint, handshake age, traffic, reconnects. Exit 0 when it is up, 1 otherwise.
run     only the VPN supervisor (smart-tank vpn run --help)
  --config FILE  gateway config (default ${DEFAULT_CONFIG_FILE})
  --json         the status as one JSON object`;

export interface VpnStatusDeps {
  /** Wall clock, for the age of the report. */
  now?: () => number;
  /** Whether a process is alive (the daemon that wrote the report). */
  alive?: (pid: number) => boolean;
}

export async function vpnCommand(argv: string[], io: CliIo, deps: VpnStatusDeps = {}): Promise<number> {
  const parsed = parseCommand(argv, {
    usage: VPN_USAGE,
    options: {
      config: { type: 'string', default: DEFAULT_CONFIG_FILE },
      json: { type: 'boolean', default: false },
    },
    positionals: { min: 1, max: 1, names: 'a vpn command (status or run)' },
  });
  if (parsed.help) {
    io.out(VPN_USAGE);
    return 0;
  }
  const action = parsed.positionals[0];
  if (action !== 'status') throw new UsageError(`unknown vpn command: ${action}`, VPN_USAGE);
  const values = parsed.values;
  const config = await loadConfigFile(values.config);
  if (!config.vpn) {
    if (values.json) io.out(JSON.stringify({ configured: false }));
    else io.out(`no VPN configured (no vpn: section in ${values.config})`);
    return 1;
  }
  const file = vpnStatusFile(config.vpn);
  const status = await readStatusFile(file);
  if (!status) {
    io.err(`no VPN status at ${file}: is the daemon running?`);
    return 1;
  }
  const now = (deps.now ?? Date.now)();
  const running = status.state !== 'stopped' && (deps.alive ?? processAlive)(status.pid);
  const ageS = Math.max(0, Math.round((now - Date.parse(status.updatedAt)) / 1000));
  if (values.json)
    io.out(JSON.stringify({ configured: true, daemonRunning: running, reportAgeS: ageS, ...status }));
  else io.out(formatStatus(status, ageS, running));
  return running && status.state === 'up' ? 0 : 1;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: alive, owned by another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function formatStatus(s: VpnStatusFile, reportAgeS: number, daemonRunning: boolean): string {
  const rows: [string, string][] = [
    ['address', s.address ?? '-'],
    [
      'endpoint',
      s.endpoint
        ? s.endpointHost
          ? `${s.endpoint} (${s.endpointHost})`
          : s.endpoint
        : (s.endpointHost ?? '-'),
    ],
  ];
  if (s.kind === 'wireguard')
    rows.push(['handshake', s.handshakeAgeS === null ? 'none yet' : `${ago(s.handshakeAgeS)} ago`]);
  rows.push(
    ['last received', s.lastRxAgeS === null ? 'nothing yet' : `${ago(s.lastRxAgeS)} ago`],
    ['traffic', `${bytes(s.rxBytes)} received, ${bytes(s.txBytes)} sent`],
    ['reconnects', `${s.reconnects} (tunnel restarts: ${s.restarts})`],
  );
  if (s.lastError) rows.push(['last problem', s.lastError]);
  rows.push([
    'reported',
    daemonRunning ? `${ago(reportAgeS)} ago` : `${ago(reportAgeS)} ago by a daemon that is no longer running`,
  ]);
  const width = Math.max(...rows.map(([k]) => k.length));
  return [
    `VPN ${s.kind} ${s.interface}: ${s.state.toUpperCase()} for ${ago(s.stateForS)}`,
    ...rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`),
  ].join('\n');
}

function ago(seconds: number): string {
  if (seconds < 120) return `${Math.round(seconds)} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86_400)} days`;
}

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}
