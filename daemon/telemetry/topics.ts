// The MQTT topic contract, in one place: every topic the gateway publishes or listens to, and the shape
// of its payload. The README's topic table is written from this file.

import type { AlarmKind, ControlEvent, Mode } from '../control/types.js';
import type { LevelQuality } from '../level/estimator.js';

export interface Topics {
  /** "online" | "offline", retained; "offline" is also the Last Will. */
  status: string;
  /** SystemHealth JSON, retained. */
  system: string;
  /** TankStatePayload JSON, retained. */
  tankState(tankId: string): string;
  /** TankEventPayload JSON, not retained. */
  tankEvent(tankId: string): string;
}

export function topicsFor(prefix: string, gatewayId: string): Topics {
  const base = `${prefix}/${gatewayId}`;
  return {
    status: `${base}/status`,
    system: `${base}/system`,
    tankState: (id) => `${base}/tank/${id}/state`,
    tankEvent: (id) => `${base}/tank/${id}/event`,
  };
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
  valve: 'open' | 'closed';
  pump: 'on' | 'off' | null;
  mode: Mode;
  /** "Water is refilling", "Water is ready to use", or "Fault: ...". */
  status: string;
  faults: string[];
  alarms: AlarmKind[];
  probes: Record<string, 'wet' | 'dry'>;
  thresholds: { lowPct: number; highPct: number };
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
}
