// The MQTT topic contract, in one place: every topic the gateway publishes or listens to, and the shape
// of its payload. The README's topic table is written from this file.

import type { AlarmKind, ControlEvent, Mode } from '../control/types.js';
import type { LevelQuality } from '../level/estimator.js';
import type { VpnHealth } from '../vpn/status.js';

export interface Topics {
  /** "online" | "offline", retained; "offline" is also the Last Will. */
  status: string;
  /** SystemHealth JSON, retained. */
  system: string;
  /** TankStatePayload JSON, retained. */
  tankState(tankId: string): string;
  /** TankEventPayload JSON, not retained. */
  tankEvent(tankId: string): string;
  /** CommandMessage JSON from `user` (daemon/commands/command-schema.ts); the broker lets only `user` write it. */
  command(user: string): string;
  /** What the daemon subscribes to for commands: every user's command topic. */
  commandFilter: string;
  /** CommandResult JSON for `user`, not retained; only `user` (and admins) may read it. */
  result(user: string): string;
}

export function topicsFor(prefix: string, gatewayId: string): Topics {
  const base = `${prefix}/${gatewayId}`;
  return {
    status: `${base}/status`,
    system: `${base}/system`,
    tankState: (id) => `${base}/tank/${id}/state`,
    tankEvent: (id) => `${base}/tank/${id}/event`,
    command: (user) => `${base}/command/${user}`,
    commandFilter: `${base}/command/+`,
    result: (user) => `${base}/result/${user}`,
  };
}

/** The user a command came from: the last level of its topic (the broker's ACL enforces it). */
export function commandUser(topics: Topics, topic: string): string | undefined {
  const prefix = topics.commandFilter.slice(0, -1);
  if (!topic.startsWith(prefix)) return undefined;
  const user = topic.slice(prefix.length);
  return user && !user.includes('/') ? user : undefined;
}

export type GatewayStatus = 'online' | 'offline';

/** Every timestamp says whether the wall clock was synchronized when it was taken. */
export interface Stamped {
  /** ISO 8601 wall time. */
  time: string;
  timeSynced: boolean;
}

export interface TankStatePayload extends Stamped {
  tank: string;
  name?: string;
  /** Control-path level, percent of capacity (one decimal). */
  levelPct: number | null;
  litres: number | null;
  capacityLitres: number;
  /** Smoothed level for display. */
  displayPct: number | null;
  quality: LevelQuality;
  /** Why the quality is not ok, in words for the farmer. */
  problem?: string;
  /** When the level sensor last gave a good reading (ISO); absent before the first one. */
  lastGoodTime?: string;
  valve: 'open' | 'closed';
  pump: 'on' | 'off' | null;
  mode: Mode;
  /** "Water is refilling", "Water is ready to use", or "Fault: ...". */
  status: string;
  faults: string[];
  alarms: AlarmKind[];
  /** Active alarms an admin has acknowledged (they stay until their condition clears). */
  acknowledged: AlarmKind[];
  probes: Record<string, 'wet' | 'dry'>;
  /** The refill thresholds in force, and where they come from: the config file or an admin's command. */
  thresholds: { lowPct: number; highPct: number; source: 'config' | 'command'; setBy?: string };
  netFlowLitresPerMin: number | null;
  minutesToFull: number | null;
  /** Manual override end (ISO), when in manual mode. */
  manualUntil?: string;
  holding?: string;
}

export type TankEventPayload = Stamped & { tank: string } & ControlEvent;

export interface SystemHealth extends Stamped {
  gateway: string;
  uptimeS: number;
  daemonUptimeS: number;
  load1: number;
  cpuPct: number;
  memUsedPct: number;
  memAvailableMb: number;
  daemonRssMb: number;
  cpuTemperatureC: number | null;
  stateBytesWritten: number;
  /** Messages waiting in the outbox (broker or tunnel down). */
  outboxMessages?: number;
  /** Head of the audit log's hash chain: a remote copy of this exposes a rewritten log. */
  audit?: { seq: number; hash: string };
  /** The VPN tunnel, when one is configured: state, address, handshake age, bytes, reconnects. */
  vpn?: VpnHealth;
}
