// vpn.runBy: service — the unprivileged daemon follows the VPN service's status file for its telemetry.

import { join } from 'node:path';
import { statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../daemon/clock.js';
import { validateConfig } from '../../../daemon/config/load.js';
import { silentLogger } from '../../../daemon/log.js';
import { gatewayVpn } from '../../../daemon/vpn/index.js';
import { VpnStatusFollower } from '../../../daemon/vpn/status-follower.js';
import { writeStatusFile } from '../../../daemon/vpn/status-file.js';
import type { VpnHealth } from '../../../daemon/vpn/status.js';
import { configWith, rawTank } from '../../helpers/config.js';
import { tempDir } from '../../helpers/daemon.js';

function vpnConfig(dir: string) {
  return configWith([rawTank()], {
    vpn: {
      kind: 'wireguard',
      runBy: 'service',
      runtimeDir: join(dir, 'private'),
      statusFile: join(dir, 'public', 'status.json'),
      pollIntervalS: 0.1,
    },
  }).vpn!;
}

const up: VpnHealth = {
  kind: 'wireguard',
  interface: 'wg0',
  state: 'up',
  stateForS: 10,
  address: '10.8.0.3/24',
  endpoint: '203.0.113.1:51820',
  endpointHost: null,
  handshakeAgeS: 5,
  lastRxAgeS: 1,
  rxBytes: 100,
  txBytes: 200,
  reconnects: 0,
  restarts: 0,
  lastError: null,
};

describe('VPN run by the privileged service', () => {
  it('the gateway follows the status file instead of running the tunnel', () => {
    const config = vpnConfig(tempDir('vpnf-'));
    expect(gatewayVpn(config, { clock: new ManualClock(), log: silentLogger })).toBeInstanceOf(
      VpnStatusFollower,
    );
    const own = validateConfig({
      gateway: { id: 'gw' },
      tanks: [rawTank()],
      vpn: { kind: 'wireguard' },
    }).vpn!;
    expect(gatewayVpn(own, { clock: new ManualClock(), log: silentLogger })).not.toBeInstanceOf(
      VpnStatusFollower,
    );
  });

  it('reports what the service wrote, "stopped" when it has not written or went silent, and signals changes', async () => {
    const dir = tempDir('vpnf-');
    const config = vpnConfig(dir);
    const clock = new ManualClock(0, Date.UTC(2026, 5, 1));
    const follower = new VpnStatusFollower(config, { clock, log: silentLogger });
    const changes: string[] = [];
    follower.onChange((h) => changes.push(h.state));
    await follower.start();
    expect(follower.status()).toMatchObject({
      state: 'stopped',
      lastError: expect.stringMatching(/no report from the VPN service/),
    });

    await writeStatusFile(config.statusFile!, up, clock.wallMs(), 0o755);
    // The public directory is readable by the unprivileged daemon.
    expect(statSync(join(dir, 'public')).mode & 0o777).toBe(0o755);
    await new Promise((r) => setTimeout(r, 300));
    expect(follower.status()).toMatchObject({ state: 'up', address: '10.8.0.3/24' });
    expect(follower.status()).not.toHaveProperty('pid');

    clock.advance(120_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(follower.status()).toMatchObject({
      state: 'stopped',
      lastError: expect.stringMatching(/stopped reporting/),
    });
    await follower.stop();
    expect(changes).toEqual(['up', 'stopped']);
  });
});
