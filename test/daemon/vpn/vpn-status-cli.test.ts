// `smart-tank vpn status`: reads the supervisor's status file; people get a short table, scripts get
// JSON and an exit code (0 only when the tunnel is up and the daemon that reported it runs).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { CliIo } from '../../../daemon/cli/io.js';
import { main } from '../../../daemon/cli/main.js';
import { vpnCommand } from '../../../daemon/cli/vpn-status.js';
import { writeStatusFile } from '../../../daemon/vpn/status-file.js';
import type { VpnHealth } from '../../../daemon/vpn/status.js';
import { EXAMPLE_CONFIG_FILE } from '../../helpers/config.js';
import { tempDir, writeConfig } from '../../helpers/daemon.js';

function io() {
  const out: string[] = [];
  const err: string[] = [];
  const cli: CliIo = { out: (t) => out.push(t), err: (t) => err.push(t), progress: () => {}, isTTY: false };
  return { cli, out, err };
}

function configFile(vpn?: Record<string, unknown>) {
  const dir = tempDir('vpn-cli-');
  const config = parse(readFileSync(EXAMPLE_CONFIG_FILE, 'utf8')) as Record<string, unknown>;
  if (vpn) config.vpn = { ...vpn, runtimeDir: join(dir, 'run') };
  return { file: writeConfig(dir, config), runtimeDir: join(dir, 'run') };
}

const health: VpnHealth = {
  kind: 'wireguard',
  interface: 'wg0',
  state: 'up',
  stateForS: 3600,
  address: '10.99.0.3/24',
  endpoint: '203.0.113.10:51820',
  endpointHost: 'hub.farm.example',
  handshakeAgeS: 42,
  lastRxAgeS: 2,
  rxBytes: 5 * 1024 * 1024,
  txBytes: 2048,
  reconnects: 2,
  restarts: 1,
  lastError: null,
};

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);

describe('smart-tank vpn status', () => {
  it('prints the tunnel for people and exits 0 when it is up', async () => {
    const { file, runtimeDir } = configFile({ kind: 'wireguard' });
    await writeStatusFile(join(runtimeDir, 'status.json'), health, NOW - 5_000);
    const { cli, out } = io();
    const code = await vpnCommand(['status', '--config', file], cli, { now: () => NOW, alive: () => true });
    expect(code).toBe(0);
    expect(out.join('\n')).toBe(
      [
        'VPN wireguard wg0: UP for 60 min',
        '  address        10.99.0.3/24',
        '  endpoint       203.0.113.10:51820 (hub.farm.example)',
        '  handshake      42 s ago',
        '  last received  2 s ago',
        '  traffic        5.0 MiB received, 2.0 KiB sent',
        '  reconnects     2 (tunnel restarts: 1)',
        '  reported       5 s ago',
      ].join('\n'),
    );
  });

  it('gives scripts JSON, and exit 1 when the tunnel is not up or its daemon is gone', async () => {
    const { file, runtimeDir } = configFile({ kind: 'openvpn' });
    const down: VpnHealth = {
      ...health,
      kind: 'openvpn',
      state: 'down',
      lastError: 'openvpn exited (code 1)',
    };
    await writeStatusFile(join(runtimeDir, 'status.json'), down, NOW);
    const a = io();
    expect(
      await vpnCommand(['status', '--config', file, '--json'], a.cli, { now: () => NOW, alive: () => true }),
    ).toBe(1);
    expect(JSON.parse(a.out[0]!)).toMatchObject({
      configured: true,
      daemonRunning: true,
      state: 'down',
      lastError: 'openvpn exited (code 1)',
      reportAgeS: 0,
    });

    await writeStatusFile(join(runtimeDir, 'status.json'), health, NOW);
    const b = io();
    expect(
      await vpnCommand(['status', '--config', file], b.cli, { now: () => NOW, alive: () => false }),
    ).toBe(1);
    expect(b.out.join('\n')).toMatch(/reported +0 s ago by a daemon that is no longer running/);
  });

  it('says when no VPN is configured or no daemon has reported, through the main command', async () => {
    const none = configFile();
    const a = io();
    expect(await main(['vpn', 'status', '--config', none.file], a.cli)).toBe(1);
    expect(a.out).toEqual([`no VPN configured (no vpn: section in ${none.file})`]);

    const quiet = configFile({ kind: 'wireguard' });
    const b = io();
    expect(await main(['vpn', 'status', '--config', quiet.file], b.cli)).toBe(1);
    expect(b.err[0]).toBe(
      `no VPN status at ${join(quiet.runtimeDir, 'status.json')}: is the daemon running?`,
    );

    const c = io();
    expect(await main(['vpn', 'restart'], c.cli)).toBe(2);
    expect(c.err[0]).toMatch(/^unknown vpn command: restart/);
  });
});
