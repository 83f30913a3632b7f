// The tank controller: a pure function of (rules, state, input) -> (state, outputs, events, status).
// No clock, no timers, no IO: the runtime and the simulator feed it time and readings.
//
// Rules, in order of precedence:
//   1. Safety vetoes close the fill valve at once, whatever the mode and the minimum times: unusable level
//      data, level at or above the high threshold, high-high probe wet, an active lockout, the fill-time
//      guard, no rise while open. Dry-run protection (dry bottom probe, low level) stops the pump at once.
//   2. Manual override (admin, expires on its own) or the automatic rule: refill hysteresis (open below
//      lowPct, close at highPct), gated by refill windows unless the level is critical.
//   3. Anti-chatter: an output turns on only after its minimum off time and within its starts per hour;
//      a routine (non-safety) turn-off waits for the minimum on time.

import type { ControlConfig, PumpConfig, TankConfig } from '../config/schema.js';
import { tankShape } from '../level/geometry.js';
import { closedThroughoutWindow, emptyFlow, netLitresPerMin, updateFlow, updateQuietFlow } from './flow.js';
import {
  FAULT_ALARMS,
  type ActiveAlarm,
  type AlarmKind,
  type ControlEvent,
  type ControllerInput,
  type ControllerState,
  type Decision,
  type EventSeverity,
} from './types.js';

export interface ControlRules {
  control: ControlConfig;
  pump?: PumpConfig;
  capacityLitres: number;
  hasDryRunProbe: boolean;
  leakLitresPerHour: number;
}

/** Before any switching is on record: far enough back that no minimum time applies. */
export const LONG_AGO_MS = -1e12;
const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
/** An alarm clears only after its condition has been gone this long (no flapping notifications). */
export const ALARM_CLEAR_DELAY_MS = 5 * MINUTE_MS;
/** Default leak threshold: 0.5% of capacity per hour in quiet hours. */
const DEFAULT_LEAK_PCT_PER_HOUR = 0.5;
const NO_RISE_MAX_BACKOFF = 8;
/** Quiet-hours leak measurement starts this long after the valve closed (display smoothing settles). */
const QUIET_SETTLE_MS = 15 * MINUTE_MS;

const ALARM_SEVERITY: Record<AlarmKind, EventSeverity> = {
  'sensor-stale': 'alarm',
  'sensor-noisy': 'warning',
  'sensor-disagree': 'alarm',
  'high-high': 'alarm',
  'dry-run': 'alarm',
  'no-rise': 'alarm',
  'fill-timeout': 'alarm',
  leak: 'alarm',
  'short-cycling': 'warning',
  'level-high': 'warning',
  'level-critical': 'alarm',
  'unclean-restart': 'warning',
  'clock-unsynced': 'info',
};

export function rulesFor(tank: TankConfig): ControlRules {
  const shape = tankShape(tank.geometry);
  return {
    control: tank.control,
    pump: tank.pump,
    capacityLitres: shape.capacityLitres,
    hasDryRunProbe: tank.probes?.electrodes.some((e) => e.role === 'dry-run') ?? false,
    leakLitresPerHour:
      tank.control.leakLitresPerHour ?? (shape.capacityLitres * DEFAULT_LEAK_PCT_PER_HOUR) / 100,
  };
}

export function initialState(): ControllerState {
  return {
    mode: 'auto',
    wantFill: false,
    criticalFill: false,
    valveOpen: false,
    valveChangedAtMs: LONG_AGO_MS,
    valveOpenings: [],
    pumpOn: false,
    pumpChangedAtMs: LONG_AGO_MS,
    pumpStarts: [],
    pumpLowLatched: false,
    noRiseTrips: 0,
    alarms: {},
    flow: emptyFlow(),
  };
}

export function thresholds(rules: ControlRules, state: ControllerState): { lowPct: number; highPct: number } {
  return state.thresholds ?? { lowPct: rules.control.lowPct, highPct: rules.control.highPct };
}

export function decide(rules: ControlRules, previous: ControllerState, input: ControllerInput): Decision {
  const now = input.nowMs;
  const c = rules.control;
  const { lowPct, highPct } = thresholds(rules, previous);
  const level = input.level;
  const events: ControlEvent[] = [];
  const s: ControllerState = { ...previous };
  // Copy-on-write: most ticks change no alarm, and this runs millions of times in a simulation.
  let alarmsCopied = false;
  const writable = () => {
    if (!alarmsCopied) {
      s.alarms = { ...s.alarms };
      alarmsCopied = true;
    }
    return s.alarms;
  };

  const alarm = (kind: AlarmKind, active: boolean, message: () => string = () => kind) =>
    setAlarm(s, writable, events, now, kind, active, message);
  expireTimedAlarms(s, writable, events, now);

  if (s.mode === 'manual' && (!s.manual || now >= s.manual.untilMs)) {
    s.mode = 'auto';
    s.manual = undefined;
    events.push({ type: 'mode', mode: 'auto', reason: 'manual override expired' });
  }
  if (s.lockout && now >= s.lockout.untilMs) s.lockout = undefined;

  // ---- level data ---------------------------------------------------------------------------------
  const usable =
    level.levelPct !== undefined &&
    (level.quality === 'ok' || level.quality === 'noisy' || level.disagreement?.kind === 'probe-drier');
  const pct = usable ? level.levelPct : undefined;

  alarm(
    'sensor-stale',
    level.quality === 'stale',
    () => `Level sensor not responding: ${level.problem ?? ''}; refill stopped`,
  );
  alarm('sensor-noisy', level.quality === 'noisy', () => level.problem ?? 'level sensor noisy');
  alarm('sensor-disagree', level.quality === 'disagree', () => `Sensors disagree: ${level.problem ?? ''}`);
  alarm('high-high', level.highHighWet, () => 'High-high probe is wet: fill valve closed');
  alarm(
    'level-critical',
    pct !== undefined && pct < c.criticalPct,
    () => `Level critical (below ${c.criticalPct}%)`,
  );
  alarm('level-high', pct !== undefined && pct >= (highPct + 100) / 2, () => 'Level high: near the brim');
  alarm(
    'clock-unsynced',
    c.refillWindows.length > 0 && input.localMinuteOfDay === undefined,
    () => 'Clock not synchronized: refill windows suspended',
  );

  // ---- refill hysteresis --------------------------------------------------------------------------
  const inRefillWindow =
    c.refillWindows.length > 0 &&
    input.localMinuteOfDay !== undefined &&
    c.refillWindows.some((w) => inWindow(w, input.localMinuteOfDay!));
  const startBelowPct =
    inRefillWindow && c.windowTopUpBelowPct !== undefined ? Math.max(lowPct, c.windowTopUpBelowPct) : lowPct;
  if (pct !== undefined) {
    if (pct >= highPct) s.wantFill = false;
    else if (pct < startBelowPct) s.wantFill = true;
    // A critical refill ignores the windows until the tank is back at the low threshold (hysteresis,
    // or the valve would chatter around the critical level outside the windows).
    if (pct < c.criticalPct) s.criticalFill = true;
    else if (pct >= lowPct) s.criticalFill = false;
  }

  // ---- fill valve ---------------------------------------------------------------------------------
  const valveOpenMs = now - s.valveChangedAtMs;
  let fill = s.fill;
  /** A guard tripped: the next attempt is a new fill with the full time allowance. */
  let newAttempt = false;
  if (!fill && (s.wantFill || s.valveOpen) && pct !== undefined && level.litres !== undefined) {
    fill = {
      startedAtMs: now,
      startLitres: level.litres,
      openMsBefore: 0,
      checkpointAtMs: now,
      checkpointPct: pct,
    };
  }

  let veto: string | undefined;
  if (pct === undefined) veto = level.problem ? `level not usable (${level.problem})` : 'level not usable';
  else if (level.highHighWet) veto = 'high-high probe wet';
  else if (pct >= highPct) veto = `level ${round(pct)}% at or above high threshold ${highPct}%`;
  else if (s.lockout) veto = lockoutText(s.lockout.reason);

  if (!veto && s.valveOpen && fill && pct !== undefined) {
    const openTotalMs = fill.openMsBefore + valveOpenMs;
    if (openTotalMs > c.maxFillMinutes * MINUTE_MS) {
      s.lockout = { reason: 'fill-timeout', untilMs: now + c.fillLockoutMinutes * MINUTE_MS };
      alarm(
        'fill-timeout',
        true,
        () => `Fill ran longer than ${c.maxFillMinutes} min: valve closed (level sensor stuck?)`,
      );
      veto = lockoutText('fill-timeout');
      newAttempt = true;
    } else if (now - fill.checkpointAtMs >= c.noRiseMinutes * MINUTE_MS) {
      if (pct - fill.checkpointPct < c.noRiseMinPct) {
        s.noRiseTrips += 1;
        const backoff = Math.min(2 ** (s.noRiseTrips - 1), NO_RISE_MAX_BACKOFF);
        s.lockout = { reason: 'no-rise', untilMs: now + c.noRiseRetryMinutes * backoff * MINUTE_MS };
        alarm(
          'no-rise',
          true,
          () => `Valve open ${c.noRiseMinutes} min but level not rising (no mains pressure or valve stuck)`,
        );
        veto = lockoutText('no-rise');
        newAttempt = true;
      } else {
        fill = { ...fill, checkpointAtMs: now, checkpointPct: pct };
        s.noRiseTrips = 0;
      }
    }
  }

  const manualValve = s.mode === 'manual' ? s.manual?.valveOpen : undefined;
  const windowOk = s.criticalFill || refillWindowAllows(c, input.localMinuteOfDay, pct);
  let wantOpen: boolean;
  let reason: string;
  if (veto) {
    wantOpen = false;
    reason = veto;
  } else if (manualValve !== undefined) {
    wantOpen = manualValve;
    reason = `manual ${manualValve ? 'open' : 'close'} by ${s.manual?.by ?? 'admin'}`;
  } else {
    wantOpen = s.wantFill && windowOk;
    reason = wantOpen
      ? `level below ${startBelowPct}%: refilling`
      : s.wantFill
        ? 'outside refill window'
        : 'tank full enough';
  }
  // Closing is always the safe direction: a veto or a person's close acts at once.
  const safetyClose = veto !== undefined || manualValve === false;

  let openingsLastHour = withinLastHour(s.valveOpenings, now);
  let holding: string | undefined;
  let valveOpen = s.valveOpen;
  if (wantOpen && !s.valveOpen) {
    if (now - s.valveChangedAtMs < c.minValveClosedS * 1000) {
      holding = `valve waits for its minimum closed time (${c.minValveClosedS} s)`;
    } else if (openingsLastHour.length >= c.maxValveOpeningsPerHour) {
      holding = `valve opened ${openingsLastHour.length} times in the last hour (limit ${c.maxValveOpeningsPerHour})`;
    } else valveOpen = true;
  } else if (!wantOpen && s.valveOpen) {
    if (!safetyClose && valveOpenMs < c.minValveOpenS * 1000)
      holding = `valve waits for its minimum open time (${c.minValveOpenS} s)`;
    else valveOpen = false;
  }
  alarm(
    'short-cycling',
    wantOpen && !valveOpen && openingsLastHour.length >= c.maxValveOpeningsPerHour,
    () => `Fill valve short-cycling: ${openingsLastHour.length} openings in the last hour`,
  );

  if (valveOpen !== s.valveOpen) {
    if (valveOpen) {
      openingsLastHour = [...openingsLastHour, now];
      if (fill && pct !== undefined) fill = { ...fill, checkpointAtMs: now, checkpointPct: pct };
    } else if (fill) {
      fill = { ...fill, openMsBefore: fill.openMsBefore + valveOpenMs };
    }
    s.valveOpen = valveOpen;
    s.valveChangedAtMs = now;
    events.push({ type: 'valve', open: valveOpen, reason, safety: !valveOpen && safetyClose });
  }
  s.valveOpenings = openingsLastHour;
  if (newAttempt && fill) fill = { ...fill, openMsBefore: 0 };
  // Guard alarms last while their cause does: until a fill rises again, or the lockout ends.
  if (s.noRiseTrips === 0) alarm('no-rise', false);
  if (s.lockout?.reason !== 'fill-timeout') alarm('fill-timeout', false);

  if (fill && !s.wantFill && !s.valveOpen) {
    if (pct !== undefined && pct >= highPct && level.litres !== undefined) {
      events.push({
        type: 'fill-completed',
        litres: Math.round(level.litres - fill.startLitres),
        minutes: Math.round((fill.openMsBefore / MINUTE_MS) * 10) / 10,
      });
    }
    fill = undefined;
    s.noRiseTrips = 0;
  }
  s.fill = fill;

  // ---- pump ---------------------------------------------------------------------------------------
  if (rules.pump) decidePump(rules.pump, rules, s, pct, level.dryRunDry, events, alarm, now);

  // ---- flow, leaks --------------------------------------------------------------------------------
  if (pct !== undefined && level.litres !== undefined)
    s.flow = updateFlow(s.flow, now, level.litres, s.valveOpen);
  const quietNow =
    c.leakQuietHours !== null &&
    input.localMinuteOfDay !== undefined &&
    inWindow(c.leakQuietHours, input.localMinuteOfDay);
  // The display level lags a closing valve by minutes: measure only once it has settled.
  const settled = !s.valveOpen && now - s.valveChangedAtMs >= QUIET_SETTLE_MS;
  s.flow = updateQuietFlow(
    s.flow,
    now,
    quietNow && settled && pct !== undefined,
    usable ? level.displayLitres : undefined,
  );
  const net = netLitresPerMin(s.flow);
  const burst =
    c.burstLitresPerHour !== undefined &&
    closedThroughoutWindow(s.flow) &&
    net !== undefined &&
    -net * 60 > c.burstLitresPerHour;
  const quietFlow = s.flow.quietLitresPerHour;
  if (burst)
    alarm(
      'leak',
      true,
      () => `Water falling ${Math.round(-net! * 60)} L/h with the fill valve closed: burst pipe?`,
    );
  else
    alarm(
      'leak',
      quietFlow !== undefined && quietFlow >= rules.leakLitresPerHour,
      () => `Leak suspected: ${Math.round(quietFlow ?? 0)} L/h flowing out in quiet hours`,
    );

  // ---- status -------------------------------------------------------------------------------------
  const activeFaults = (Object.keys(s.alarms) as AlarmKind[]).filter(
    (k) => FAULT_ALARMS.has(k) && s.alarms[k]!.clearingSinceMs === undefined,
  );
  const statusText = activeFaults[0]
    ? `Fault: ${s.alarms[activeFaults[0]]!.message}`
    : s.valveOpen
      ? 'Water is refilling'
      : 'Water is ready to use';
  const minutesToFull =
    s.valveOpen && net !== undefined && net > 0 && level.litres !== undefined
      ? ((highPct / 100) * rules.capacityLitres - level.litres) / net
      : undefined;

  return {
    state: s,
    outputs: { valveOpen: s.valveOpen, pumpOn: s.pumpOn },
    events,
    status: {
      mode: s.mode,
      statusText,
      faults: activeFaults.map((k) => s.alarms[k]!.message),
      alarms: Object.keys(s.alarms) as AlarmKind[],
      netFlowLitresPerMin: net,
      minutesToFull: minutesToFull !== undefined && minutesToFull >= 0 ? minutesToFull : undefined,
      holding,
      lowPct,
      highPct,
    },
  };
}

function decidePump(
  pump: PumpConfig,
  rules: ControlRules,
  s: ControllerState,
  pct: number | undefined,
  dryRunProbeDry: boolean,
  events: ControlEvent[],
  alarm: (kind: AlarmKind, active: boolean, message: () => string) => void,
  now: number,
): void {
  if (pct !== undefined) {
    if (pct < pump.stopBelowPct) s.pumpLowLatched = true;
    else if (pct >= pump.restartAbovePct) s.pumpLowLatched = false;
  }
  // Without a usable level, only a wet dry-run probe is evidence of water above the outlet.
  const waterEvidence = pct !== undefined ? !s.pumpLowLatched : rules.hasDryRunProbe && !dryRunProbeDry;
  const dryRun = dryRunProbeDry || (pct !== undefined && s.pumpLowLatched);
  alarm('dry-run', dryRun, () =>
    dryRunProbeDry ? 'Pump stopped: bottom probe is dry' : `Pump stopped: level below ${pump.stopBelowPct}%`,
  );

  let veto: string | undefined;
  if (dryRunProbeDry) veto = 'bottom probe dry';
  else if (!waterEvidence)
    veto = pct === undefined ? 'no evidence of water above the outlet' : `level below ${pump.stopBelowPct}%`;

  const manualPump = s.mode === 'manual' ? s.manual?.pumpOn : undefined;
  const want = veto ? false : (manualPump ?? true);
  const reason =
    veto ?? (manualPump !== undefined ? `manual by ${s.manual?.by ?? 'admin'}` : 'water available');
  const safetyStop = veto !== undefined || manualPump === false;

  let startsLastHour = withinLastHour(s.pumpStarts, now);
  let on = s.pumpOn;
  if (want && !s.pumpOn) {
    if (now - s.pumpChangedAtMs >= pump.minOffS * 1000 && startsLastHour.length < pump.maxStartsPerHour)
      on = true;
  } else if (!want && s.pumpOn) {
    if (safetyStop || now - s.pumpChangedAtMs >= pump.minOnS * 1000) on = false;
  }
  if (on !== s.pumpOn) {
    if (on) startsLastHour = [...startsLastHour, now];
    s.pumpOn = on;
    s.pumpChangedAtMs = now;
    events.push({ type: 'pump', on, reason, safety: !on && safetyStop });
  }
  s.pumpStarts = startsLastHour;
}

/** The times within the last hour; the same array when none has expired (this runs every tick). */
function withinLastHour(times: number[], now: number): number[] {
  return times.length > 0 && now - times[0]! >= HOUR_MS ? times.filter((t) => now - t < HOUR_MS) : times;
}

/** Whether a refill may run now under the configured windows. */
export function refillWindowAllows(
  c: ControlConfig,
  minuteOfDay: number | undefined,
  pct: number | undefined,
): boolean {
  if (c.refillWindows.length === 0) return true;
  if (pct !== undefined && pct < c.criticalPct) return true;
  if (minuteOfDay === undefined) return c.whenClockUnsynced === 'ignore-windows';
  return c.refillWindows.some((w) => inWindow(w, minuteOfDay));
}

/** Whether a local minute of the day falls in a window; windows may wrap past midnight. */
export function inWindow(window: { from: string; to: string }, minuteOfDay: number): boolean {
  const from = minutesOf(window.from);
  const to = minutesOf(window.to);
  return from < to ? minuteOfDay >= from && minuteOfDay < to : minuteOfDay >= from || minuteOfDay < to;
}

/** "HH:MM" to minutes; the schema has already checked the format. */
function minutesOf(hhmm: string): number {
  return (
    (hhmm.charCodeAt(0) - 48) * 600 +
    (hhmm.charCodeAt(1) - 48) * 60 +
    (hhmm.charCodeAt(3) - 48) * 10 +
    (hhmm.charCodeAt(4) - 48)
  );
}

function lockoutText(reason: 'fill-timeout' | 'no-rise'): string {
  return reason === 'fill-timeout'
    ? 'refill locked out after the fill-time guard tripped'
    : 'refill paused after no rise';
}

function round(x: number | undefined): number {
  return x === undefined ? NaN : Math.round(x * 10) / 10;
}

/**
 * Raises or clears an alarm. Raising is immediate; clearing waits ALARM_CLEAR_DELAY_MS so an alarm at
 * the edge of its condition does not flap. Timed (one-shot) alarms are cleared by expireTimedAlarms.
 * The message is built only when the alarm is raised (this runs for every alarm on every tick).
 */
function setAlarm(
  s: ControllerState,
  writable: () => ControllerState['alarms'],
  events: ControlEvent[],
  now: number,
  kind: AlarmKind,
  active: boolean,
  describe: () => string,
): void {
  const current = s.alarms[kind];
  if (active) {
    if (!current) {
      const message = describe();
      writable()[kind] = { sinceMs: now, message };
      events.push({ type: 'alarm', alarm: kind, active: true, severity: ALARM_SEVERITY[kind], message });
    } else if (current.clearingSinceMs !== undefined) {
      writable()[kind] = { sinceMs: current.sinceMs, message: current.message };
    }
    return;
  }
  if (!current || current.clearAtMs !== undefined) return;
  if (current.clearingSinceMs === undefined) {
    writable()[kind] = { ...current, clearingSinceMs: now };
  } else if (now - current.clearingSinceMs >= ALARM_CLEAR_DELAY_MS) {
    delete writable()[kind];
    events.push({
      type: 'alarm',
      alarm: kind,
      active: false,
      severity: ALARM_SEVERITY[kind],
      message: current.message,
    });
  }
}

function expireTimedAlarms(
  s: ControllerState,
  writable: () => ControllerState['alarms'],
  events: ControlEvent[],
  now: number,
): void {
  for (const kind of Object.keys(s.alarms) as AlarmKind[]) {
    const a: ActiveAlarm = s.alarms[kind]!;
    if (a.clearAtMs !== undefined && now >= a.clearAtMs) {
      delete writable()[kind];
      events.push({
        type: 'alarm',
        alarm: kind,
        active: false,
        severity: ALARM_SEVERITY[kind],
        message: a.message,
      });
    }
  }
}

/** Raises a one-shot alarm that clears itself after `forMs` (e.g. an unclean restart). */
export function raiseTimedAlarm(
  state: ControllerState,
  kind: AlarmKind,
  message: string,
  now: number,
  forMs: number,
): { state: ControllerState; event: ControlEvent } {
  return {
    state: {
      ...state,
      alarms: { ...state.alarms, [kind]: { sinceMs: now, message, clearAtMs: now + forMs } },
    },
    event: { type: 'alarm', alarm: kind, active: true, severity: ALARM_SEVERITY[kind], message },
  };
}
