// Fill and outflow rates from the level history: a pure state update once a minute, a least-squares slope
// over the last ten minutes, and the outflow measured in quiet hours (minimum night flow) for leaks.

export interface FlowState {
  /** [monotonic ms, litres, fill valve open (1) or closed (0)], one a minute, oldest first. */
  points: [number, number, number][];
  /**
   * A quiet-hours measurement in progress (fill valve closed throughout): running sums of a least-squares
   * fit of litres against hours, one point a minute, so sensor noise averages out.
   */
  quiet?: { startMs: number; lastAtMs: number; n: number; st: number; sy: number; stt: number; sty: number };
  /** Outflow over the latest quiet-hours measurement of at least QUIET_MIN_MS. */
  quietLitresPerHour?: number;
  /** Net rate over the points (positive = rising), recomputed when a point is added. */
  netLitresPerMin?: number;
  /** Most recent outflow estimate with the valve closed, used to split a fill into inflow and use. */
  outflowLitresPerMin?: number;
}

export const FLOW_SAMPLE_MS = 60_000;
export const FLOW_WINDOW_MS = 10 * 60_000;
const HOUR_MS = 3_600_000;
/** A quiet-hours measurement counts once it spans an hour (sensor noise averages out). */
export const QUIET_MIN_MS = HOUR_MS;
const QUIET_MIN_POINTS = 30;
const MIN_POINTS = 3;

export function emptyFlow(): FlowState {
  return { points: [] };
}

/** Adds a point to the rate history, at most one a minute. */
export function updateFlow(flow: FlowState, nowMs: number, litres: number, valveOpen: boolean): FlowState {
  const last = flow.points[flow.points.length - 1];
  if (last && nowMs - last[0] < FLOW_SAMPLE_MS) return flow;

  const points = flow.points.filter((p) => nowMs - p[0] <= FLOW_WINDOW_MS);
  points.push([nowMs, litres, valveOpen ? 1 : 0]);
  const rate = slopeLitresPerMin(points);
  const next: FlowState = { ...flow, points, netLitresPerMin: rate };
  if (rate !== undefined && points.every((p) => p[2] === 0)) next.outflowLitresPerMin = Math.max(0, -rate);
  return next;
}

/**
 * Minimum night flow: while in quiet hours with the fill valve closed, fits the outflow over the segment
 * (litres against time, one point a minute); anything else ends the segment and keeps the last result.
 */
export function updateQuietFlow(
  flow: FlowState,
  nowMs: number,
  measuring: boolean,
  litres: number | undefined,
): FlowState {
  if (!measuring || litres === undefined) return flow.quiet ? { ...flow, quiet: undefined } : flow;
  const q = flow.quiet;
  if (q && nowMs - q.lastAtMs < FLOW_SAMPLE_MS) return flow;
  const x = q ? (nowMs - q.startMs) / HOUR_MS : 0;
  const quiet = q
    ? {
        ...q,
        lastAtMs: nowMs,
        n: q.n + 1,
        st: q.st + x,
        sy: q.sy + litres,
        stt: q.stt + x * x,
        sty: q.sty + x * litres,
      }
    : { startMs: nowMs, lastAtMs: nowMs, n: 1, st: 0, sy: litres, stt: 0, sty: 0 };
  let quietLitresPerHour = flow.quietLitresPerHour;
  const denom = quiet.n * quiet.stt - quiet.st * quiet.st;
  if (nowMs - quiet.startMs >= QUIET_MIN_MS && quiet.n >= QUIET_MIN_POINTS && denom > 0) {
    quietLitresPerHour = -(quiet.n * quiet.sty - quiet.st * quiet.sy) / denom;
  }
  return { ...flow, quiet, quietLitresPerHour };
}

/** Net rate of change (positive = rising) over the recent window, or undefined without enough history. */
export function netLitresPerMin(flow: FlowState): number | undefined {
  return flow.netLitresPerMin;
}

/** True when every recent point had the fill valve closed (an outflow measurement is clean). */
export function closedThroughoutWindow(flow: FlowState): boolean {
  return flow.points.length >= MIN_POINTS && flow.points.every((p) => p[2] === 0);
}

function slopeLitresPerMin(points: readonly [number, number, number][]): number | undefined {
  if (points.length < MIN_POINTS) return undefined;
  const t0 = points[0]![0];
  let sx = 0;
  let sy = 0;
  let sxx = 0;
  let sxy = 0;
  for (const [t, y] of points) {
    const x = (t - t0) / 60_000;
    sx += x;
    sy += y;
    sxx += x * x;
    sxy += x * y;
  }
  const n = points.length;
  const denom = n * sxx - sx * sx;
  if (denom === 0) return undefined;
  return (n * sxy - sx * sy) / denom;
}
