// The VPN supervisor for the configured tunnel. Construction does no IO; start() brings the tunnel up.

import type { Clock } from '../clock.js';
import type { VpnConfig } from '../config/schema.js';
import type { Logger } from '../log.js';
import { OpenVpnSupervisor } from './openvpn.js';
import type { VpnSupervisor } from './status.js';
import { VpnStatusFollower } from './status-follower.js';
import { WireGuardSupervisor } from './wireguard.js';

export type { VpnHealth, VpnState, VpnSupervisor } from './status.js';

/** The supervisor that runs the tunnel itself (the daemon with runBy: daemon, or `smart-tank vpn run`). */
export function createVpnSupervisor(config: VpnConfig, deps: { clock: Clock; log: Logger }): VpnSupervisor {
  return config.kind === 'wireguard'
    ? new WireGuardSupervisor({ config, ...deps })
    : new OpenVpnSupervisor({ config, ...deps });
}

/** What the gateway daemon uses: the tunnel itself, or a follower of the privileged VPN service. */
export function gatewayVpn(config: VpnConfig, deps: { clock: Clock; log: Logger }): VpnSupervisor {
  return config.runBy === 'service' ? new VpnStatusFollower(config, deps) : createVpnSupervisor(config, deps);
}
