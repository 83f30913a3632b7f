// What survives a restart: every tank's controller state, stamped with the boot and both clocks, so a
// restore after a reboot can move the monotonic times across (CLOCK_MONOTONIC restarts at boot).
// Pure functions; the file IO is in atomic-file.ts.

import type { ControllerState } from '../control/types.js';

export const SNAPSHOT_VERSION = 1;

export interface Snapshot {
  version: number;
  bootId: string;
  savedAtMonoMs: number;
  savedAtWallMs: number;
  wallSynced: boolean;
  /** False while the daemon runs; set true by a clean stop. A false on start means a crash or power cut. */
  clean: boolean;
  tanks: Record<string, ControllerState>;
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
}

export function takeSnapshot(
  tanks: Record<string, ControllerState>,
  ctx: RestoreContext,
  clean: boolean,
): Snapshot {
  return {
    version: SNAPSHOT_VERSION,
    bootId: ctx.bootId,
    savedAtMonoMs: ctx.nowMonoMs,
    savedAtWallMs: ctx.nowWallMs,
    wallSynced: ctx.wallSynced,
    clean,
    tanks,
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
  return { tanks, unclean: !snapshot.clean, downMs };
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
      checkpointAtMs: t(state.fill.checkpointAtMs),
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
    if (state.fill)
      next.fill = {
        ...state.fill,
        openMsBefore: state.fill.openMsBefore + Math.max(0, savedAtMs - state.valveChangedAtMs),
      };
  }
  if (state.pumpOn) {
    next.pumpOn = false;
    next.pumpChangedAtMs = nowMs;
  }
  return next;
}
