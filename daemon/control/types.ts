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
  'probe-fault',
] as const;
export type AlarmKind = (typeof ALARM_KINDS)[number];

/**
 * Alarms that stop or block refilling or the pump: the status text becomes a fault text while one is
 * active. In order of priority: the status text names the first active one.
 */
export const FAULT_PRIORITY: readonly AlarmKind[] = [
  'high-high',
  'probe-fault',
  'fill-timeout',
  'no-rise',
  'sensor-stale',
  'sensor-disagree',
  'short-cycling',
  'dry-run',
];
export const FAULT_ALARMS: ReadonlySet<AlarmKind> = new Set<AlarmKind>(FAULT_PRIORITY);

export interface ActiveAlarm {
  sinceMs: number;
  message: string;
  /** Alarms that clear on their own after a while (one-shot notices). */
  clearAtMs?: number;
  /** The condition went away at this time; the alarm clears after a delay unless it returns. */
  clearingSinceMs?: number;
  /** An admin saw it (the alarm stays until its condition clears). */
  acknowledged?: { by: string; atMs: number };
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

/** The current refill cycle: from the moment refilling is wanted (or the valve opens) until it is done. */
export interface Fill {
  startedAtMs: number;
  startLitres: number;
  /** The level's uncompensated twin at the start (LevelReading.echoPct; absent in older snapshots). */
  startEchoPct?: number;
  /** Valve-open time of this cycle before the current opening (a window or restart may pause it). */
  openMsBefore: number;
  /**
   * The no-rise check counts open time only, across openings: open time and rise of the check so far
   * (closed segments), and where the current open segment began. A pause never resets it.
   */
  riseCheck: { openMsSum: number; risePctSum: number };
  openSegment?: { atMs: number; pct: number };
}

export interface FillTrip {
  cause: 'high-high' | 'probe-wetter';
  sinceMs: number;
  /** The level sensor's reading at the trip. */
  sensorPct?: number;
  /** The probe that tripped it (probe-wetter). */
  electrode?: string;
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
  /** Monotonic times of valve openings within the last day (oldest first). */
  valveOpenings: number[];
  pumpOn: boolean;
  pumpChangedAtMs: number;
  /** Monotonic times of pump starts within the last day (oldest first). */
  pumpStarts: number[];
  /** Level-based dry-run latch: set below the pump's stop level, cleared above its restart level. */
  pumpLowLatched: boolean;
  fill?: Fill;
  lockout?: Lockout;
  /** Consecutive no-rise trips, for retry backoff. */
  noRiseTrips: number;
  /**
   * A trip of the fill: the independent high-high probe went wet, or during a fill a probe went wet that
   * the level sensor did not see (it reads low). The fill stays off until the probes are dry and the level
   * sensor reads plausibly again (agrees with the probes and has moved since the trip), or an admin resets.
   */
  fillTrip?: FillTrip;
  /**
   * The dry-run probe reads dry while water is proven above it (or an admin bypassed it, until `untilMs`):
   * the pump is protected by the level sensor instead, with a raised stop level.
   */
  probeFault?: {
    electrode: string;
    sinceMs: number;
    /** How water was proven: a wet probe above it, or the level sensor rising with a fill. */
    proof?: 'witness' | 'fill';
    by?: string;
    untilMs?: number;
    /**
     * The level sensor, the pump's only guard now, keeps showing that it sees the water: `pct` is the
     * level when it last moved by FILL_PROOF_RISE_PCT (or rose with a fill), `pumpOnMs` how long the pump
     * has run since without the level moving that much (a stuck sensor never moves while the pump draws).
     * Undefined: not proven (after the sensor was lost, or ran unmoved too long): a check fill proves it.
     */
    levelProof?: LevelProof;
  };
  alarms: Partial<Record<AlarmKind, ActiveAlarm>>;
  /**
   * Thresholds set by an admin's command: in force until changed again, or until the config's own
   * thresholds are edited (configLowPct/configHighPct are the config's values when the command came).
   */
  thresholds?: { lowPct: number; highPct: number; by: string; configLowPct: number; configHighPct: number };
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
  /** Where the thresholds in force come from: the config file, or an admin's command (who). */
  thresholdsSource: { source: 'config' } | { source: 'command'; by: string };
  /** Active alarms an admin has acknowledged. */
  acknowledged: AlarmKind[];
}

/** The level sensor's last proof that it sees the water (ControllerState.probeFault.levelProof). */
export interface LevelProof {
  /** The level when it last moved by FILL_PROOF_RISE_PCT, or rose with a fill. */
  pct: number;
  /** Its uncompensated twin then (LevelReading.echoPct; absent in older snapshots). */
  echoPct?: number;
  /** Pump running time since, without the level moving that much. */
  pumpOnMs: number;
  /** The tick that last updated it. */
  atMs: number;
}

export interface Decision {
  state: ControllerState;
  outputs: Outputs;
  events: ControlEvent[];
  status: TankStatus;
}
