// The supervisors' decisions as pure functions of what they observed and the time: the tunnel's state,
// when to restart it, when to probe it. Side effects (tools, sockets, files) live at the edges.

import type { VpnState } from './status.js';

export interface Thresholds {
  staleAfterMs: number;
  downAfterMs: number;
}

export interface TunnelObservation {
  /** The interface (WireGuard) or the process (OpenVPN) exists. */
  present: boolean;
  /** A session able to carry data: a WireGuard handshake younger than 180 s; OpenVPN CONNECTED. */
  session: boolean;
  /** Since data last came in through the tunnel (or since the supervisor started, if none has). */
  quietMs: number;
  /** The tunnel has been up at least once since the supervisor started. */
  everUp: boolean;
  sinceStartMs: number;
}

/**
 * up when a session exists and data came in within staleAfter. Otherwise: before the first up, connecting
 * for downAfter; after it, stale until nothing has come for downAfter, then down. Down holds until the
 * tunnel is up again (a restart does not make it "connecting"); no interface or process is down at once.
 */
export function classify(o: TunnelObservation, previous: VpnState, t: Thresholds): VpnState {
  if (!o.present) return 'down';
  if (o.session && o.quietMs < t.staleAfterMs) return 'up';
  if (previous === 'down') return 'down';
  if (!o.everUp) return o.sinceStartMs < t.downAfterMs ? 'connecting' : 'down';
  return o.quietMs < t.downAfterMs ? 'stale' : 'down';
}

export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
}

/** Share of the delay that is random, so that a farm's gateways do not all retry together after a hub outage. */
const JITTER = 0.2;

/** Pause after the n-th restart (1-based) of a tunnel that stays down: doubling, capped, ±20%. */
export function backoffDelayMs(attempt: number, p: BackoffPolicy, random: number): number {
  const base = Math.min(p.maxMs, p.initialMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(base * (1 - JITTER + 2 * JITTER * random));
}

export interface RestartInput {
  state: VpnState;
  nowMs: number;
  /** When the backoff lets the next restart happen. */
  notBeforeMs: number;
  present: boolean;
  /** When the tunnel was last (re)started. */
  lastStartMs: number;
  downAfterMs: number;
}

/**
 * Restart a down tunnel once the backoff allows; a tunnel that is there but not up yet also gets
 * downAfter since its last start to come up (a slow TLS handshake over a 3G link is not stuck).
 */
export function restartDue(i: RestartInput): boolean {
  if (i.state !== 'down' || i.nowMs < i.notBeforeMs) return false;
  return !i.present || i.nowMs - i.lastStartMs >= i.downAfterMs;
}

/**
 * How often a quiet tunnel is probed: three probes within staleAfter, so one lost datagram (or ICMP rate
 * limiting at the server) does not make a healthy tunnel stale; an idle tunnel costs about 160 bytes per
 * probe (0.7 MB a day at the default staleAfterS of 60).
 */
export function probeIntervalMs(staleAfterMs: number): number {
  return staleAfterMs / 3;
}

/**
 * A byte counter that survives restarts: the interface or process starts again from 0, and the total
 * since the daemon started keeps growing.
 */
export class RunningTotal {
  private base = 0;
  private last = 0;

  /** Takes a reading; returns true when it grew. */
  update(current: number): boolean {
    if (current < this.last) this.base += this.last;
    const grew = current > this.last || (current > 0 && current < this.last);
    this.last = current;
    return grew;
  }

  /** The counter restarted from zero (a new interface or process). */
  reset(): void {
    this.base += this.last;
    this.last = 0;
  }

  get total(): number {
    return this.base + this.last;
  }
}
