// The tank controller: a pure function of (rules, state, input) -> (state, outputs, events, status).
// No clock, no timers, no IO: the runtime and the simulator feed it time and readings.
//
// decide() runs these phases in order, each in its own function:
//   1. timers       manual overrides and lockouts expire (one-shot alarms expire in startTick)
//   2. level        is the reading usable; level and sensor alarms
//   3. refill latch hysteresis: wanted below lowPct (or the window top-up level), done at highPct
//   4. high-high    a wet high-high probe trips a latch that holds the fill off (fill-guards.ts)
//   5. fill valve   vetoes (safety, at once), guards (fill time, no rise), manual or automatic wish,
//                   then anti-chatter (switching.ts)
//   6. pump         dry-run protection, with a degraded mode when the dry-run probe is proven faulty (pump.ts)
//   7. flows        net flow, quiet-hours outflow (leaks), bursts
//   8. status       text for the farmer, faults, time to full

import type { TankConfig } from '../config/schema.js';
import { percentOf, tankShape } from '../level/geometry.js';
import { MINUTE_MS, roundTo } from '../units.js';
import { closedThroughoutWindow, emptyFlow, netLitresPerMin, updateFlow, updateQuietFlow } from './flow.js';
import {
  checkFillGuards,
  closeSegment,
  fillTripText,
  openSegment,
  trackFill,
  updateFillTrip,
} from './fill-guards.js';
import { levelUsable } from './level-usable.js';
import { decidePump, probeCheckFillWanted } from './pump.js';
import { nextSwitch, VALVE_WORDS } from './switching.js';
import { nearBrimPct, thresholds } from './thresholds.js';
import { startTick, type ControlRules, type Tick } from './tick.js';
import { inWindow, refillWindowAllows } from './windows.js';
import {
  FAULT_PRIORITY,
  type AlarmKind,
  type ControllerInput,
  type ControllerState,
  type Decision,
  type TankStatus,
} from './types.js';

export type { ControlRules } from './tick.js';
export { raiseTimedAlarm, ALARM_CLEAR_DELAY_MS } from './alarms.js';
export { thresholds } from './thresholds.js';
export { inWindow, refillWindowAllows } from './windows.js';

/** Before any switching is on record: far enough back that no minimum time applies. */
export const LONG_AGO_MS = -1e12;
/** Default leak threshold: 0.5% of capacity per hour in quiet hours. */
const DEFAULT_LEAK_PCT_PER_HOUR = 0.5;
/** Quiet-hours leak measurement starts this long after the valve closed (display smoothing settles). */
const QUIET_SETTLE_MS = 15 * MINUTE_MS;

export function rulesFor(tank: TankConfig): ControlRules {
  const shape = tankShape(tank.geometry);
  const pctAt = (heightMm: number) => percentOf(shape, shape.litresAt(heightMm));
  const electrodes = tank.probes?.electrodes ?? [];
  const dryRun = electrodes.find((e) => e.role === 'dry-run');
  const highHigh = electrodes.find((e) => e.role === 'high-high');
  const witness = electrodes
    .filter((e) => e.role === 'level' && dryRun !== undefined && e.heightMm > dryRun.heightMm)
    .sort((a, b) => a.heightMm - b.heightMm)[0];
  return {
    control: tank.control,
    pump: tank.pump,
    capacityLitres: shape.capacityLitres,
    leakLitresPerHour:
      tank.control.leakLitresPerHour ?? (shape.capacityLitres * DEFAULT_LEAK_PCT_PER_HOUR) / 100,
    ...(dryRun ? { dryRunProbe: { id: dryRun.id, pct: pctAt(dryRun.heightMm) } } : {}),
    ...(highHigh ? { highHighPct: pctAt(highHigh.heightMm) } : {}),
    ...(witness ? { witnessProbe: { id: witness.id, pct: pctAt(witness.heightMm) } } : {}),
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

export function decide(rules: ControlRules, previous: ControllerState, input: ControllerInput): Decision {
  const t = startTick(rules, previous, input);
  expireTimers(t);
  const pct = assessLevel(t);
  const refill = updateRefillLatch(t, pct);
  updateFillTrip(t, pct);
  const valve = decideValve(t, pct, refill);
  const pump = rules.pump ? decidePump(t, rules.pump, pct) : { startLimited: false };
  const limited = valve.startLimited
    ? `fill valve: ${valve.holding}`
    : pump.startLimited
      ? `pump: ${pump.holding}`
      : '';
  t.alarm('short-cycling', limited !== '', () => `Short-cycling, ${limited}`);
  updateFlows(t, pct);
  const outputs = { valveOpen: t.s.valveOpen, pumpOn: t.s.pumpOn };
  return { state: t.s, outputs, events: t.events, status: status(t, valve.holding ?? pump.holding) };
}

// ---- 1. timers ------------------------------------------------------------------------------------

function expireTimers(t: Tick): void {
  const { s, now } = t;
  if (s.mode === 'manual' && (!s.manual || now >= s.manual.untilMs)) {
    s.mode = 'auto';
    s.manual = undefined;
    t.events.push({ type: 'mode', mode: 'auto', reason: 'manual override expired' });
  }
  if (s.lockout && now >= s.lockout.untilMs) s.lockout = undefined;
}

// ---- 2. level -------------------------------------------------------------------------------------

/** The usable control level (percent), or undefined; raises and clears the level and sensor alarms. */
function assessLevel(t: Tick): number | undefined {
  const { c, input } = t;
  const level = input.level;
  const pct = levelUsable(level) ? level.levelPct : undefined;
  const { highPct } = thresholds(t.rules, t.s);
  t.alarm(
    'sensor-stale',
    level.quality === 'stale',
    () => `Level sensor not responding: ${level.problem ?? ''}; refill stopped`,
  );
  t.alarm('sensor-noisy', level.quality === 'noisy', () => level.problem ?? 'level sensor noisy');
  t.alarm(
    'sensor-disagree',
    level.quality === 'disagree' || t.s.fillTrip?.cause === 'probe-wetter',
    () => `Sensors disagree: ${level.problem ?? ''}`,
  );
  t.alarm(
    'level-critical',
    pct !== undefined && pct < c.criticalPct,
    () => `Level critical (below ${c.criticalPct}%)`,
  );
  t.alarm('level-high', pct !== undefined && pct >= nearBrimPct(highPct), () => 'Level high: near the brim');
  t.alarm(
    'clock-unsynced',
    c.refillWindows.length > 0 && input.localMinuteOfDay === undefined,
    () => 'Clock not synchronized: refill windows suspended',
  );
  return pct;
}

// ---- 3. refill latch ------------------------------------------------------------------------------

interface RefillLatch {
  startBelowPct: number;
  /** A check fill for a dry bottom probe is wanted: it may go past the high threshold (checkFillCeilingPct). */
  checkFill: boolean;
}

function updateRefillLatch(t: Tick, pct: number | undefined): RefillLatch {
  const { c, s, input } = t;
  const { lowPct, highPct } = thresholds(t.rules, s);
  const minute = input.localMinuteOfDay;
  const inRefillWindow = minute !== undefined && c.refillWindows.some((w) => inWindow(w, minute));
  const startBelowPct =
    inRefillWindow && c.windowTopUpBelowPct !== undefined ? Math.max(lowPct, c.windowTopUpBelowPct) : lowPct;
  const checkFill = pct !== undefined && probeCheckFillWanted(t, pct, highPct);
  if (pct !== undefined) {
    if (pct >= highPct && !checkFill) s.wantFill = false;
    else if (pct < startBelowPct || checkFill) s.wantFill = true;
    // A critical refill ignores the windows until the tank is back at the low threshold (hysteresis,
    // or the valve would chatter around the critical level outside the windows).
    if (pct < c.criticalPct) s.criticalFill = true;
    else if (pct >= lowPct) s.criticalFill = false;
  }
  return { startBelowPct, checkFill };
}

// ---- 5. fill valve --------------------------------------------------------------------------------

/** Decides and switches the fill valve; returns why it is held, if it is. */
function decideValve(
  t: Tick,
  pct: number | undefined,
  refill: RefillLatch,
): { holding?: string; startLimited: boolean } {
  const { s, c, now } = t;
  trackFill(t, pct);
  const veto = valveVeto(t, pct, refill.checkFill) ?? checkFillGuards(t, pct);
  const wish = valveWish(t, pct, veto, refill.startBelowPct);

  const sw = nextSwitch(
    { on: s.valveOpen, changedAtMs: s.valveChangedAtMs, starts: s.valveOpenings },
    wish.open,
    wish.actNow,
    {
      minOnMs: c.minValveOpenS * 1000,
      minOffMs: c.minValveClosedS * 1000,
      maxStartsPerHour: c.maxValveOpeningsPerHour,
      maxStartsPerDay: c.maxValveOpeningsPerDay,
    },
    now,
    VALVE_WORDS,
  );
  if (sw.on !== s.valveOpen) {
    if (sw.on) openSegment(t, pct);
    else closeSegment(t, pct);
    t.events.push({ type: 'valve', open: sw.on, reason: wish.reason, safety: !sw.on && wish.actNow });
  }
  s.valveOpen = sw.on;
  s.valveChangedAtMs = sw.changedAtMs;
  s.valveOpenings = sw.starts;
  finishFill(t, pct);
  return { holding: sw.holding, startLimited: sw.startLimited };
}

/** Safety vetoes: the fill valve closes at once, whatever the mode and the minimum times. */
function valveVeto(t: Tick, pct: number | undefined, checkFill: boolean): string | undefined {
  const { s, input } = t;
  const level = input.level;
  const { highPct } = thresholds(t.rules, s);
  if (pct === undefined) return level.problem ? `level not usable (${level.problem})` : 'level not usable';
  if (level.highHighWet) return 'high-high probe wet';
  if (s.fillTrip) return fillTripText(s.fillTrip);
  // A check fill stops at its own ceiling: it is wanted only with room below it (probeCheckFillWanted).
  if (!checkFill && pct >= highPct) return `level ${roundTo(pct)}% at or above high threshold ${highPct}%`;
  if (s.lockout) return lockoutText(s.lockout.reason);
  return undefined;
}

interface ValveWish {
  open: boolean;
  reason: string;
  /** Closing for safety or by a person's command: no minimum open time. */
  actNow: boolean;
}

function valveWish(
  t: Tick,
  pct: number | undefined,
  veto: string | undefined,
  startBelowPct: number,
): ValveWish {
  const { s, c, input } = t;
  if (veto) return { open: false, reason: veto, actNow: true };
  const manual = s.mode === 'manual' ? s.manual?.valveOpen : undefined;
  if (manual !== undefined)
    return {
      open: manual,
      reason: `manual ${manual ? 'open' : 'close'} by ${s.manual?.by ?? 'admin'}`,
      actNow: !manual,
    };
  const windowOk = s.criticalFill || refillWindowAllows(c, input.localMinuteOfDay, pct);
  const open = s.wantFill && windowOk;
  const reason = open
    ? pct !== undefined && pct >= startBelowPct
      ? 'refilling to check the bottom probe (it reads dry, the level sensor does not)'
      : `level below ${startBelowPct}%: refilling`
    : s.wantFill
      ? 'outside refill window'
      : 'tank full enough';
  return { open, reason, actNow: false };
}

/** A refill is done when it is no longer wanted and the valve is closed; a completed one is reported. */
function finishFill(t: Tick, pct: number | undefined): void {
  const { s, input } = t;
  const fill = s.fill;
  if (!fill || s.wantFill || s.valveOpen) return;
  const { highPct } = thresholds(t.rules, s);
  const litres = input.level.litres;
  if (pct !== undefined && pct >= highPct && litres !== undefined) {
    t.events.push({
      type: 'fill-completed',
      litres: Math.round(litres - fill.startLitres),
      minutes: roundTo(fill.openMsBefore / MINUTE_MS),
    });
  }
  s.fill = undefined;
  s.noRiseTrips = 0;
}

export function lockoutText(reason: 'fill-timeout' | 'no-rise'): string {
  return reason === 'fill-timeout'
    ? 'refill locked out after the fill-time guard tripped'
    : 'refill paused after no rise';
}

// ---- 7. flows -------------------------------------------------------------------------------------

function updateFlows(t: Tick, pct: number | undefined): void {
  const { s, c, input, now, rules } = t;
  const level = input.level;
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
    pct !== undefined ? level.displayLitres : undefined,
  );
  const net = netLitresPerMin(s.flow);
  const burst =
    c.burstLitresPerHour !== undefined &&
    closedThroughoutWindow(s.flow) &&
    net !== undefined &&
    -net * 60 > c.burstLitresPerHour;
  const quietFlow = s.flow.quietLitresPerHour;
  if (burst)
    t.alarm(
      'leak',
      true,
      () => `Water falling ${Math.round(-net! * 60)} L/h with the fill valve closed: burst pipe?`,
    );
  else
    t.alarm(
      'leak',
      quietFlow !== undefined && quietFlow >= rules.leakLitresPerHour,
      () => `Leak suspected: ${Math.round(quietFlow ?? 0)} L/h flowing out in quiet hours`,
    );
}

// ---- 8. status ------------------------------------------------------------------------------------

function status(t: Tick, holding: string | undefined): TankStatus {
  const { s, input, rules } = t;
  const alarms = Object.keys(s.alarms) as AlarmKind[];
  const activeFaults = FAULT_PRIORITY.filter(
    (k) => s.alarms[k] !== undefined && s.alarms[k].clearingSinceMs === undefined,
  );
  const statusText = activeFaults[0]
    ? `Fault: ${s.alarms[activeFaults[0]]!.message}`
    : s.valveOpen
      ? 'Water is refilling'
      : 'Water is ready to use';
  const { lowPct, highPct } = thresholds(rules, s);
  const net = netLitresPerMin(s.flow);
  const litres = input.level.litres;
  const minutesToFull =
    s.valveOpen && net !== undefined && net > 0 && litres !== undefined
      ? ((highPct / 100) * rules.capacityLitres - litres) / net
      : undefined;
  return {
    mode: s.mode,
    statusText,
    faults: activeFaults.map((k) => s.alarms[k]!.message),
    alarms,
    netFlowLitresPerMin: net,
    minutesToFull: minutesToFull !== undefined && minutesToFull >= 0 ? minutesToFull : undefined,
    holding,
    lowPct,
    highPct,
    thresholdsSource: s.thresholds ? { source: 'command', by: s.thresholds.by } : { source: 'config' },
    acknowledged: alarms.filter((k) => s.alarms[k]!.acknowledged !== undefined),
  };
}
