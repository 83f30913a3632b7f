// The VPN supervisor for the configured tunnel. Construction does no IO; start() brings the tunnel up.

import type { Clock } from '../clock.js';
import type { VpnConfig } from '../config/schema.js';
import type { Logger } from '../log.js';
import { OpenVpnSupervisor } from './openvpn.js';
import type { VpnSupervisor } from './status.js';
import { WireGuardSupervisor } from './wireguard.js';

export type { VpnHealth, VpnState, VpnSupervisor } from './status.js';

export function createVpnSupervisor(config: VpnConfig, deps: { clock: Clock; log: Logger }): VpnSupervisor {
  return config.kind === 'wireguard'
    ? new WireGuardSupervisor({ config, ...deps })
    : new OpenVpnSupervisor({ config, ...deps });
}
