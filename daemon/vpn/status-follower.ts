// The daemon's view of a tunnel run by the privileged VPN service (vpn.runBy: service): it follows the
// service's status file instead of running anything, so the daemon facing MQTT and the dashboard needs
// no privileges. A report older than a few of the service's refresh periods means the service is gone.

import type { Clock } from '../clock.js';
import type { VpnConfig } from '../config/schema.js';
import { vpnStatusFile } from '../config/vpn-schema.js';
import type { Logger } from '../log.js';
import { readStatusFile, STATUS_REFRESH_MS } from './status-file.js';
import type { VpnHealth, VpnSupervisor } from './status.js';

/** The service rewrites its report at least every STATUS_REFRESH_MS: three missed refreshes is silence. */
const SILENT_AFTER_MS = 3 * STATUS_REFRESH_MS;

export class VpnStatusFollower implements VpnSupervisor {
  readonly kind: VpnConfig['kind'];
  private health: VpnHealth;
  private timer: NodeJS.Timeout | undefined;
  private listener: ((status: VpnHealth) => void) | undefined;
  private readonly file: string;

  constructor(
    private readonly config: VpnConfig,
    private readonly deps: { clock: Clock; log: Logger },
  ) {
    this.kind = config.kind;
    this.file = vpnStatusFile(config);
    this.health = this.missing('the VPN service has not reported yet');
  }

  async start(): Promise<void> {
    await this.poll();
    this.timer = setInterval(() => void this.poll(), this.config.pollIntervalS * 1000);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  status(): VpnHealth {
    return this.health;
  }

  onChange(listener: (status: VpnHealth) => void): void {
    this.listener = listener;
  }

  private async poll(): Promise<void> {
    let next: VpnHealth;
    try {
      const report = await readStatusFile(this.file);
      if (!report)
        next = this.missing(`no report from the VPN service at ${this.file} (smart-tank-vpn.service)`);
      else if (this.deps.clock.wallMs() - Date.parse(report.updatedAt) > SILENT_AFTER_MS) {
        next = {
          ...stripFile(report),
          state: 'stopped',
          lastError: `the VPN service stopped reporting (last at ${report.updatedAt})`,
        };
      } else next = stripFile(report);
    } catch (err) {
      next = this.missing(`cannot read the VPN service's report: ${(err as Error).message}`);
    }
    const changed = next.state !== this.health.state;
    this.health = next;
    if (changed) {
      this.deps.log.info(`VPN ${next.state}`, {
        interface: next.interface,
        address: next.address,
        problem: next.lastError,
      });
      this.listener?.(next);
    }
  }

  private missing(reason: string): VpnHealth {
    return {
      kind: this.config.kind,
      interface: this.config.interface,
      state: 'stopped',
      stateForS: 0,
      address: null,
      endpoint: null,
      endpointHost: null,
      handshakeAgeS: null,
      lastRxAgeS: null,
      rxBytes: 0,
      txBytes: 0,
      reconnects: 0,
      restarts: 0,
      lastError: reason,
    };
  }
}

function stripFile(report: VpnHealth & { updatedAt?: string; pid?: number }): VpnHealth {
  const { updatedAt: _u, pid: _p, ...health } = report;
  return health;
}
