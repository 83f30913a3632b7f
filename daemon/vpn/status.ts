// What a tunnel supervisor reports: the same object goes into the system telemetry (`vpn` of SystemHealth),
// the status file read by `smart-tank vpn status`, and the dashboard's health view.

export type VpnKind = 'wireguard' | 'openvpn';

/**
 * connecting: started, not up yet (within downAfterS of the start).
 * up: a session exists and data came in within staleAfterS.
 * stale: was up; nothing received for staleAfterS (the endpoint is resolved again).
 * down: nothing received for downAfterS, no session, or no interface/process; restarted with backoff.
 * stopped: the supervisor is not running.
 */
export type VpnState = 'connecting' | 'up' | 'stale' | 'down' | 'stopped';

export interface VpnHealth {
  kind: VpnKind;
  interface: string;
  state: VpnState;
  /** Seconds in the current state. */
  stateForS: number;
  /** The gateway's tunnel address: from the WireGuard config, or the one the OpenVPN server assigned. */
  address: string | null;
  /** The server's address in use (ip:port). */
  endpoint: string | null;
  /** The name the endpoint is resolved from, when the config gives a name. */
  endpointHost: string | null;
  /** Seconds since the last WireGuard handshake; null before the first one (and for OpenVPN). */
  handshakeAgeS: number | null;
  /** Seconds since data last came in through the tunnel; null when none has yet. */
  lastRxAgeS: number | null;
  /** Bytes through the tunnel since the daemon started (across restarts of the tunnel). */
  rxBytes: number;
  txBytes: number;
  /** Times the tunnel came back up after being stale or down. */
  reconnects: number;
  /** Times the supervisor restarted the interface (WireGuard) or the process (OpenVPN). */
  restarts: number;
  /** The last failure, for people (never a secret). */
  lastError: string | null;
}

/** The status file: the health plus when and by which process it was written. */
export interface VpnStatusFile extends VpnHealth {
  updatedAt: string;
  pid: number;
}

export interface VpnSupervisor {
  readonly kind: VpnKind;
  /**
   * Brings the tunnel up and starts supervising it. Resolves once the first attempt is done (so a listener
   * can bind the tunnel address) or after a bounded wait, whatever the tunnel does; never rejects.
   */
  start(): Promise<void>;
  /** Stops supervising and takes the tunnel down. */
  stop(): Promise<void>;
  status(): VpnHealth;
  /** Called on every change of state (not on counters). One listener. */
  onChange(listener: (status: VpnHealth) => void): void;
}
