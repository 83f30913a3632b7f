// What survives a restart: every tank's controller state, stamped with the boot and both clocks, so a
// restore after a reboot can move the monotonic times across (CLOCK_MONOTONIC restarts at boot).
// Pure functions; the file IO is in atomic-file.ts.

import type { ControllerState } from '../control/types.js';

/** 2: fills count the no-rise check over open time (riseCheck), thresholds record who set them. */
export const SNAPSHOT_VERSION = 2;
/** Older snapshots that migrateSnapshot() brings up to date. */
export const READABLE_SNAPSHOT_VERSIONS: readonly number[] = [1, 2];

export interface Snapshot {
  version: number;
  bootId: string;
  savedAtMonoMs: number;
  savedAtWallMs: number;
  wallSynced: boolean;
  /** False while the daemon runs; set true by a clean stop. A false on start means a crash or power cut. */
  clean: boolean;
  tanks: Record<string, ControllerState>;
  /** The audit log's head when this was saved: a log found shorter or different later was tampered with. */
  audit?: { seq: number; hash: string };
}

export interface RestoreContext {
  bootId: string;
  nowMonoMs: number;
  nowWallMs: number;
  wallSynced: boolean;
}

export interface Restored {
  tanks: Record<string, ControllerState>;
  unclean: boolean;
  /** How long the daemon was down, when known. */
  downMs?: number;
  audit?: { seq: number; hash: string };
}

export function takeSnapshot(
  tanks: Record<string, ControllerState>,
  ctx: RestoreContext,
  clean: boolean,
  audit?: { seq: number; hash: string },
): Snapshot {
  return {
    version: SNAPSHOT_VERSION,
    bootId: ctx.bootId,
    savedAtMonoMs: ctx.nowMonoMs,
    savedAtWallMs: ctx.nowWallMs,
    wallSynced: ctx.wallSynced,
    clean,
    tanks,
    ...(audit ? { audit } : {}),
  };
}

/**
 * Brings saved states onto this process's clocks. Within the same boot the monotonic clock carried on;
 * after a reboot the downtime comes from the wall clock when both ends were synchronized, otherwise it
 * is taken as zero (timers such as lockouts and manual overrides then run their full remaining time,
 * the conservative choice). Outputs were driven safe at start, so states that had them on now say off.
 */
export function restoreSnapshot(snapshot: Snapshot, ctx: RestoreContext): Restored {
  let downMs: number | undefined;
  let offset: number;
  if (snapshot.bootId === ctx.bootId) {
    offset = 0;
    downMs = ctx.nowMonoMs - snapshot.savedAtMonoMs;
  } else {
    downMs =
      snapshot.wallSynced && ctx.wallSynced ? Math.max(0, ctx.nowWallMs - snapshot.savedAtWallMs) : undefined;
    offset = ctx.nowMonoMs - (downMs ?? 0) - snapshot.savedAtMonoMs;
  }
  const tanks: Record<string, ControllerState> = {};
  for (const [id, state] of Object.entries(snapshot.tanks)) {
    tanks[id] = afterSafeStart(shiftTimes(state, offset), snapshot.savedAtMonoMs + offset, ctx.nowMonoMs);
  }
  return { tanks, unclean: !snapshot.clean, downMs, ...(snapshot.audit ? { audit: snapshot.audit } : {}) };
}

/**
 * Brings a snapshot of an older version up to this one. Version 1: a fill's no-rise check restarts (its
 * old checkpoint cannot be carried over), and thresholds set by command are dropped (the record of who
 * set them, against which config values, did not exist): the config's thresholds are in force again.
 */
export function migrateSnapshot(snapshot: Snapshot): Snapshot {
  if (snapshot.version === SNAPSHOT_VERSION) return snapshot;
  const tanks: Record<string, ControllerState> = {};
  for (const [id, old] of Object.entries(snapshot.tanks)) {
    const state: ControllerState = { ...old };
    type V1Fill = Partial<NonNullable<ControllerState['fill']>> & {
      checkpointAtMs?: number;
      checkpointPct?: number;
    };
    const fill = state.fill as V1Fill | undefined;
    if (fill && !fill.riseCheck) {
      const { checkpointAtMs: _a, checkpointPct: _p, ...rest } = fill;
      state.fill = {
        ...(rest as NonNullable<ControllerState['fill']>),
        riseCheck: { openMsSum: 0, risePctSum: 0 },
      };
    }
    if (state.thresholds && !('by' in state.thresholds)) state.thresholds = undefined;
    tanks[id] = state;
  }
  return { ...snapshot, version: SNAPSHOT_VERSION, tanks };
}

/** Adds `offsetMs` to every monotonic time in the state. Keep in step with ControllerState. */
export function shiftTimes(state: ControllerState, offsetMs: number): ControllerState {
  if (offsetMs === 0) return state;
  const t = (x: number) => x + offsetMs;
  const alarms: ControllerState['alarms'] = {};
  for (const [kind, a] of Object.entries(state.alarms) as [
    keyof ControllerState['alarms'],
    NonNullable<ControllerState['alarms'][keyof ControllerState['alarms']]>,
  ][]) {
    alarms[kind] = {
      ...a,
      sinceMs: t(a.sinceMs),
      ...(a.clearAtMs !== undefined ? { clearAtMs: t(a.clearAtMs) } : {}),
      ...(a.clearingSinceMs !== undefined ? { clearingSinceMs: t(a.clearingSinceMs) } : {}),
      ...(a.acknowledged ? { acknowledged: { ...a.acknowledged, atMs: t(a.acknowledged.atMs) } } : {}),
    };
  }
  return {
    ...state,
    valveChangedAtMs: t(state.valveChangedAtMs),
    valveOpenings: state.valveOpenings.map(t),
    pumpChangedAtMs: t(state.pumpChangedAtMs),
    pumpStarts: state.pumpStarts.map(t),
    manual: state.manual && { ...state.manual, untilMs: t(state.manual.untilMs) },
    lockout: state.lockout && { ...state.lockout, untilMs: t(state.lockout.untilMs) },
    fill: state.fill && {
      ...state.fill,
      startedAtMs: t(state.fill.startedAtMs),
      ...(state.fill.openSegment
        ? { openSegment: { ...state.fill.openSegment, atMs: t(state.fill.openSegment.atMs) } }
        : {}),
    },
    fillTrip: state.fillTrip && { ...state.fillTrip, sinceMs: t(state.fillTrip.sinceMs) },
    probeFault: state.probeFault && {
      ...state.probeFault,
      sinceMs: t(state.probeFault.sinceMs),
      ...(state.probeFault.untilMs !== undefined ? { untilMs: t(state.probeFault.untilMs) } : {}),
    },
    alarms,
    flow: {
      ...state.flow,
      points: state.flow.points.map(([at, litres, open]) => [t(at), litres, open]),
      quiet: state.flow.quiet && {
        ...state.flow.quiet,
        startMs: t(state.flow.quiet.startMs),
        lastAtMs: t(state.flow.quiet.lastAtMs),
      },
    },
  };
}

/** The start-up safe state switched everything off: record that, so minimum off times hold from now. */
function afterSafeStart(state: ControllerState, savedAtMs: number, nowMs: number): ControllerState {
  const next = { ...state };
  if (state.valveOpen) {
    next.valveOpen = false;
    next.valveChangedAtMs = nowMs;
    if (state.fill) {
      // The open segment cut by the restart counts for the fill time; its rise is unknown, so it does not
      // count for the no-rise check.
      const { openSegment: _cut, ...fill } = state.fill;
      next.fill = {
        ...fill,
        openMsBefore: fill.openMsBefore + Math.max(0, savedAtMs - state.valveChangedAtMs),
      };
    }
  }
  if (state.pumpOn) {
    next.pumpOn = false;
    next.pumpChangedAtMs = nowMs;
  }
  return next;
}
