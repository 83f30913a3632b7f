// The pump: it runs while there is evidence of water above the outlet, and stops at once without it.
//
// Evidence, normally: a wet dry-run (bottom) probe, and a usable level above the pump's stop level.
// A dry-run probe can fail (a cut wire, a fouled electrode reads dry): when it reads dry while water is
// proven above it by two other witnesses (a wetter probe above it AND the level sensor reading above it),
// it is latched as faulty, the farmer is told, and the pump is protected by the level sensor alone with a
// more conservative stop level. Where nothing proves water, the pump stops and the alarm says why.

import type { PumpConfig } from '../config/schema.js';
import { nextSwitch, PUMP_WORDS } from './switching.js';
import { nearBrimPct } from './thresholds.js';
import type { Tick } from './tick.js';
import type { LevelReading } from '../level/estimator.js';
import type { LevelProof } from './types.js';

/** In the degraded mode (dry-run probe faulty) the pump stops this much higher than its configured level. */
export const DEGRADED_STOP_MARGIN_PCT = 5;
/**
 * A level sensor that rose this much during a fill is seeing the water (a stuck one does not move at all;
 * the filtered noise of a real one is a few millimetres). Both the level and its uncompensated twin must
 * move (waterMoved): the speed of sound's temperature compensation alone moves a frozen reading by
 * about 0.18 % of the distance per °C, several percent of the level over a day.
 */
export const FILL_PROOF_RISE_PCT = 1;
/** A check fill starts only with twice the proof's room below its ceiling (no chatter at it). */
export const CHECK_FILL_ROOM_PCT = 2 * FILL_PROOF_RISE_PCT;
/**
 * With the dry-run probe out of service, the pump may run this long without the level sensor showing
 * the water move (FILL_PROOF_RISE_PCT): a stuck sensor is then suspected, the pump stops and a check
 * fill proves the sensor again. Long enough for a quiet night of a pressure pump that nobody draws from.
 */
export const LEVEL_UNMOVED_PUMP_MAX_MS = 12 * 3600_000;

export interface PumpLevels {
  stopBelowPct: number;
  restartAbovePct: number;
}

/** The pump's stop and restart levels: the configured ones, or raised while the dry-run probe is faulty. */
export function pumpLevels(t: Pick<Tick, 'rules' | 's'>, pump: PumpConfig): PumpLevels {
  if (!t.s.probeFault) return { stopBelowPct: pump.stopBelowPct, restartAbovePct: pump.restartAbovePct };
  const base = Math.max(pump.stopBelowPct, t.rules.dryRunProbe?.pct ?? 0);
  const stopBelowPct = base + DEGRADED_STOP_MARGIN_PCT;
  return { stopBelowPct, restartAbovePct: stopBelowPct + (pump.restartAbovePct - pump.stopBelowPct) };
}

/** Whether water is proven above the dry-run probe although it reads dry (the probe is then faulty). */
export function waterProvenAboveDryRunProbe(
  t: Pick<Tick, 'rules' | 'input' | 'c' | 's'>,
  pct: number | undefined,
): 'witness' | 'fill' | undefined {
  const probe = t.rules.dryRunProbe;
  if (probe === undefined || pct === undefined || pct < probe.pct + t.c.disagreeTolerancePct)
    return undefined;
  if (t.input.level.probeConflict?.dry === probe.id) return 'witness';
  // A level sensor that rises with the fill sees the water (a stuck one, or one locked on an obstacle in
  // its beam, cannot rise): the water stands where it says, well above the dry probe.
  return levelRoseWithFill(t, pct) ? 'fill' : undefined;
}

/**
 * How high a check fill may take the level: past the high threshold if need be (a probe cut while the tank
 * stood full must not leave the pump off until someone comes), but no further than halfway to the brim,
 * where `level-high` warns, and below a high-high probe. A level sensor stuck high over a low tank fills
 * it for the no-rise time at most; a right one proves itself within FILL_PROOF_RISE_PCT of that room.
 */
export function checkFillCeilingPct(t: Pick<Tick, 'rules' | 'c'>, highPct: number): number {
  const nearBrim = nearBrimPct(highPct);
  const highHigh = t.rules.highHighPct;
  return highHigh === undefined ? nearBrim : Math.min(nearBrim, highHigh - t.c.disagreeTolerancePct);
}

/**
 * The bottom probe reads dry but the level sensor reads well above it (and no wet witness probe settles
 * it): a refill does. If the probe is faulty, the level sensor rises with the fill (or the water reaches
 * a witness probe) and proves it: the pump then runs, protected by the level. If the level sensor is
 * wrong (stuck, or locked on an obstacle), it does not rise, the no-rise guard stops the fill and the
 * bottom probe stays the pump's guard. Either way the tank gets water instead of standing with its pump off.
 */
export function probeCheckFillWanted(
  t: Pick<Tick, 'rules' | 'input' | 'c' | 's'>,
  pct: number,
  highPct: number,
): boolean {
  const { rules, input, s } = t;
  const probe = rules.dryRunProbe;
  const witness = rules.witnessProbe;
  const room = pct <= checkFillCeilingPct(t, highPct) - CHECK_FILL_ROOM_PCT;
  // The bottom probe out of service and the level sensor no longer proven: a fill proves it again.
  if (s.probeFault && !s.probeFault.levelProof) return rules.pump !== undefined && room;
  return (
    rules.pump !== undefined &&
    probe !== undefined &&
    input.level.dryRunDry &&
    !s.probeFault &&
    (witness === undefined || input.level.probes[witness.id] === false) &&
    pct >= probe.pct + t.c.disagreeTolerancePct &&
    room
  );
}

/** Decides and switches the pump; returns why it is held, if it is. */
export function decidePump(
  t: Tick,
  pump: PumpConfig,
  pct: number | undefined,
): { holding?: string; startLimited: boolean } {
  const { s, now, input } = t;
  updateProbeFault(t, pct);
  updateLevelProof(t, pct);
  const levels = pumpLevels(t, pump);
  if (pct !== undefined) {
    if (pct < levels.stopBelowPct) s.pumpLowLatched = true;
    else if (pct >= levels.restartAbovePct) s.pumpLowLatched = false;
  }
  // The dry-run probe's word counts unless it is known to be faulty.
  const probeDry = input.level.dryRunDry && !s.probeFault;
  const veto = pumpVeto(t, pct, probeDry, levels);
  t.alarm('dry-run', probeDry || (pct !== undefined && s.pumpLowLatched), () =>
    probeDry ? dryProbeMessage(t, pct) : `Pump stopped: level below ${levels.stopBelowPct}%`,
  );

  const manual = s.mode === 'manual' ? s.manual?.pumpOn : undefined;
  const want = veto ? false : (manual ?? true);
  const reason = veto ?? (manual !== undefined ? `manual by ${s.manual?.by ?? 'admin'}` : 'water available');
  const actNow = veto !== undefined || manual === false;
  const sw = nextSwitch(
    { on: s.pumpOn, changedAtMs: s.pumpChangedAtMs, starts: s.pumpStarts },
    want,
    actNow,
    {
      minOnMs: pump.minOnS * 1000,
      minOffMs: pump.minOffS * 1000,
      maxStartsPerHour: pump.maxStartsPerHour,
      maxStartsPerDay: pump.maxStartsPerDay,
    },
    now,
    PUMP_WORDS,
  );
  if (sw.on !== s.pumpOn) t.events.push({ type: 'pump', on: sw.on, reason, safety: !sw.on && actNow });
  s.pumpOn = sw.on;
  s.pumpChangedAtMs = sw.changedAtMs;
  s.pumpStarts = sw.starts;
  return { holding: sw.holding, startLimited: sw.startLimited };
}

function pumpVeto(
  t: Tick,
  pct: number | undefined,
  probeDry: boolean,
  levels: PumpLevels,
): string | undefined {
  const { s, rules, input } = t;
  if (probeDry) return 'bottom probe dry';
  // With the dry-run probe out, the level sensor is the only guard: it must agree with every other probe
  // (one reading drier than it means it may read high, e.g. stuck).
  if (s.probeFault && input.level.disagreements?.some((d) => d.electrode !== s.probeFault!.electrode))
    return 'level sensor disagrees with the probes while the bottom probe is out of service';
  if (s.probeFault && pct !== undefined && !s.probeFault.levelProof)
    return 'the level sensor has not shown the water move while the bottom probe is out of service';
  if (pct !== undefined) return s.pumpLowLatched ? `level below ${levels.stopBelowPct}%` : undefined;
  // Without a usable level, only a wet dry-run probe that is not known to be faulty is evidence of water.
  const probeWet = rules.dryRunProbe !== undefined && !input.level.dryRunDry && !s.probeFault;
  return probeWet ? undefined : 'no evidence of water above the outlet';
}

/**
 * While the dry-run probe is out of service the level sensor must keep proving that it sees the water:
 * lost (no usable level) it must prove itself again; moving renews the proof; the pump running long
 * without the level moving withdraws it. A fill that raises the level proves it.
 */
function updateLevelProof(t: Tick, pct: number | undefined): void {
  const { s, now } = t;
  const fault = s.probeFault;
  if (!fault) return;
  const proof = fault.levelProof;
  let next: typeof proof;
  if (pct === undefined) next = undefined;
  else if (!proof)
    next =
      fault.sinceMs === now || levelRoseWithFill(t, pct)
        ? freshLevelProof(t.input.level, pct, now)
        : undefined;
  else if (waterMoved(proof, mark(t.input.level, pct), 'either way'))
    next = freshLevelProof(t.input.level, pct, now);
  else {
    const pumpOnMs = proof.pumpOnMs + (s.pumpOn ? now - proof.atMs : 0);
    next = pumpOnMs > LEVEL_UNMOVED_PUMP_MAX_MS ? undefined : { ...proof, pumpOnMs, atMs: now };
  }
  if (next !== proof) s.probeFault = { ...fault, levelProof: next };
}

/** A new proof: the level sensor sees the water at `pct` now. */
export function freshLevelProof(level: LevelReading, pct: number, now: number): LevelProof {
  return { ...mark(level, pct), pumpOnMs: 0, atMs: now };
}

/** A level and its uncompensated twin (LevelReading.echoPct) at one moment. */
interface LevelMark {
  pct: number;
  /** Absent in a state saved by an older version: nothing can then be proven against it. */
  echoPct?: number;
}

/** A level and its uncompensated twin, to tell later whether the water moved (waterMoved). */
export function mark(level: LevelReading, pct: number): LevelMark {
  return { pct, echoPct: level.echoPct ?? pct };
}

/**
 * The water moved by FILL_PROOF_RISE_PCT: the level and its uncompensated twin both moved that much, the
 * same way. The air's temperature moves one of them alone: a frozen sensor value moves the compensated
 * level, an echo locked on an obstacle the uncompensated one.
 */
function waterMoved(from: LevelMark, to: LevelMark, direction: 'up' | 'either way'): boolean {
  if (from.echoPct === undefined || to.echoPct === undefined) return false;
  const moved = to.pct - from.pct;
  const echoMoved = to.echoPct - from.echoPct;
  const up = moved >= FILL_PROOF_RISE_PCT && echoMoved >= FILL_PROOF_RISE_PCT;
  const down = moved <= -FILL_PROOF_RISE_PCT && echoMoved <= -FILL_PROOF_RISE_PCT;
  return up || (direction === 'either way' && down);
}

/** The level rose by FILL_PROOF_RISE_PCT since the fill under way began (waterMoved). */
function levelRoseWithFill(t: Pick<Tick, 'rules' | 's' | 'input'>, pct: number): boolean {
  const fill = t.s.fill;
  if (!t.s.valveOpen || !fill) return false;
  const start = { pct: (fill.startLitres / t.rules.capacityLitres) * 100, echoPct: fill.startEchoPct };
  return waterMoved(start, mark(t.input.level, pct), 'up');
}

/** Latches a faulty dry-run probe when water is proven above it; clears when it reads wet again. */
function updateProbeFault(t: Tick, pct: number | undefined): void {
  const { s, input, now, rules } = t;
  const probe = rules.dryRunProbe;
  if (!probe) return;
  const proof = !s.probeFault && input.level.dryRunDry ? waterProvenAboveDryRunProbe(t, pct) : undefined;
  if (proof) s.probeFault = { electrode: probe.id, sinceMs: now, proof };
  // Cleared when the probe reads wet again, and an admin's bypass when its time is up.
  else if (
    s.probeFault &&
    (!input.level.dryRunDry || (s.probeFault.untilMs !== undefined && now >= s.probeFault.untilMs))
  )
    s.probeFault = undefined;
  t.alarm('probe-fault', s.probeFault !== undefined, () => probeFaultMessage(t, pct));
}

function probeFaultMessage(t: Tick, pct: number | undefined): string {
  const fault = t.s.probeFault!;
  const wetAbove = t.input.level.probeConflict?.wetAbove;
  const levels = t.rules.pump ? pumpLevels(t, t.rules.pump) : undefined;
  const at = `the level sensor at ${Math.round(pct ?? 0)}%`;
  const cause = fault.by
    ? `bypassed by ${fault.by}`
    : fault.proof === 'fill'
      ? `reads dry while ${at} rose with the fill`
      : `reads dry below the wet probe "${wetAbove ?? '?'}" with ${at}`;
  return (
    `Probe "${fault.electrode}" faulty (${cause}): check its wire and electrode. ` +
    (levels
      ? `The pump is protected by the level sensor and stops below ${Math.round(levels.stopBelowPct)}%`
      : '')
  );
}

function dryProbeMessage(t: Tick, pct: number | undefined): string {
  const sensor = t.input.level.levelPct;
  const probe = t.rules.dryRunProbe;
  if (sensor !== undefined && probe !== undefined && sensor >= probe.pct + t.c.disagreeTolerancePct)
    return (
      `Pump stopped: bottom probe is dry but the level sensor reads ${Math.round(sensor)}%; ` +
      'nothing else proves water: check the bottom probe (an admin may run the pump by hand)'
    );
  return pct === undefined
    ? 'Pump stopped: bottom probe is dry and there is no level reading'
    : 'Pump stopped: bottom probe is dry';
}
