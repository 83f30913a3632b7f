// Types of the controller's inputs, state and outputs. State is plain JSON data so it can be persisted
// atomically and restored after a restart; every time in it is on the monotonic clock (ms).

import type { LevelReading } from '../level/estimator.js';
import type { FlowState } from './flow.js';

export type Mode = 'auto' | 'manual';

export const ALARM_KINDS = [
  'sensor-stale',
  'sensor-noisy',
  'sensor-disagree',
  'high-high',
  'dry-run',
  'no-rise',
  'fill-timeout',
  'leak',
  'short-cycling',
  'level-high',
  'level-critical',
  'unclean-restart',
  'clock-unsynced',
] as const;
export type AlarmKind = (typeof ALARM_KINDS)[number];

/** Alarms that stop or block refilling: the status text becomes a fault text while one is active. */
export const FAULT_ALARMS: ReadonlySet<AlarmKind> = new Set<AlarmKind>([
  'sensor-stale',
  'sensor-disagree',
  'high-high',
  'no-rise',
  'fill-timeout',
  'short-cycling',
]);

export interface ActiveAlarm {
  sinceMs: number;
  message: string;
  /** Alarms that clear on their own after a while (one-shot notices). */
  clearAtMs?: number;
  /** The condition went away at this time; the alarm clears after a delay unless it returns. */
  clearingSinceMs?: number;
}

export interface ManualOverride {
  /** Undefined: that output stays under automatic control. */
  valveOpen?: boolean;
  pumpOn?: boolean;
  untilMs: number;
  by: string;
}

export interface Lockout {
  reason: 'fill-timeout' | 'no-rise';
  untilMs: number;
}

export interface ControllerState {
  mode: Mode;
  manual?: ManualOverride;
  /** Refill hysteresis latch: set below lowPct, cleared at highPct. */
  wantFill: boolean;
  /** Set below criticalPct, cleared at lowPct: refill regardless of windows while set. */
  criticalFill: boolean;
  valveOpen: boolean;
  valveChangedAtMs: number;
  /** Monotonic times of valve openings within the last hour. */
  valveOpenings: number[];
  pumpOn: boolean;
  pumpChangedAtMs: number;
  pumpStarts: number[];
  /** Level-based dry-run latch: set below stopBelowPct, cleared above restartAbovePct. */
  pumpLowLatched: boolean;
  /** The current refill cycle: set while refilling is wanted or the valve is open. */
  fill?: {
    startedAtMs: number;
    startLitres: number;
    /** Valve-open time of this cycle before the current opening (a window or restart may pause it). */
    openMsBefore: number;
    /** No-rise check: the level at the start of the current check interval. */
    checkpointAtMs: number;
    checkpointPct: number;
  };
  lockout?: Lockout;
  /** Consecutive no-rise trips, for retry backoff. */
  noRiseTrips: number;
  alarms: Partial<Record<AlarmKind, ActiveAlarm>>;
  /** Runtime threshold changes by an admin (override the config until changed again). */
  thresholds?: { lowPct: number; highPct: number };
  flow: FlowState;
}

export interface ControllerInput {
  /** Monotonic now. */
  nowMs: number;
  /** Local minute of the day (0-1439) when the wall clock is synchronized, else undefined. */
  localMinuteOfDay?: number;
  level: LevelReading;
}

export type EventSeverity = 'info' | 'warning' | 'alarm';

export type ControlEvent =
  | { type: 'valve'; open: boolean; reason: string; safety: boolean }
  | { type: 'pump'; on: boolean; reason: string; safety: boolean }
  | { type: 'alarm'; alarm: AlarmKind; active: boolean; severity: EventSeverity; message: string }
  | { type: 'mode'; mode: Mode; reason: string }
  | { type: 'fill-completed'; litres: number; minutes: number };

export interface Outputs {
  valveOpen: boolean;
  pumpOn: boolean;
}

export interface TankStatus {
  mode: Mode;
  statusText: string;
  faults: string[];
  alarms: AlarmKind[];
  /** Net flow from the level history (positive = rising), litres per minute. */
  netFlowLitresPerMin?: number;
  /** Predicted minutes until the fill reaches the high threshold. */
  minutesToFull?: number;
  /** Why an output is held (minimum times, window, lockout), when it is. */
  holding?: string;
  lowPct: number;
  highPct: number;
}

export interface Decision {
  state: ControllerState;
  outputs: Outputs;
  events: ControlEvent[];
  status: TankStatus;
}
