// The bookkeeping both supervisors share: state and how long it has held, byte totals across restarts,
// when data last came in, reconnect and restart counts, the restart backoff. No IO and no timers: the
// supervisor feeds it observations with the time.

import {
  backoffDelayMs,
  classify,
  restartDue,
  RunningTotal,
  type BackoffPolicy,
  type Thresholds,
} from './policy.js';
import type { VpnHealth, VpnKind, VpnState } from './status.js';

export interface Transition {
  previous: VpnState;
  state: VpnState;
  changed: boolean;
}

export interface Sample {
  present: boolean;
  session: boolean;
  rxBytes?: number;
  txBytes?: number;
}

export class TunnelTracker {
  state: VpnState = 'stopped';
  everUp = false;
  reconnects = 0;
  restarts = 0;
  lastError: string | null = null;
  private stateSinceMs = 0;
  private startedMs = 0;
  private lastStartMs = 0;
  private lastRxMs: number | undefined;
  private attempt = 0;
  private notBeforeMs = 0;
  private readonly rx = new RunningTotal();
  private readonly tx = new RunningTotal();

  constructor(
    private readonly thresholds: Thresholds,
    private readonly backoff: BackoffPolicy,
    private readonly random: () => number,
  ) {}

  /** The supervisor starts. */
  begin(nowMs: number): void {
    this.startedMs = nowMs;
    this.lastStartMs = nowMs;
    this.everUp = false;
    this.lastRxMs = undefined;
    this.setState('connecting', nowMs);
  }

  /** The interface or process was (re)started: its counters start from zero. */
  tunnelStarted(nowMs: number): void {
    this.lastStartMs = nowMs;
    this.rx.reset();
    this.tx.reset();
  }

  sample(s: Sample, nowMs: number): Transition {
    if (s.rxBytes !== undefined && this.rx.update(s.rxBytes)) this.lastRxMs = nowMs;
    if (s.txBytes !== undefined) this.tx.update(s.txBytes);
    const next = classify(
      {
        present: s.present,
        session: s.session,
        quietMs: this.quietMs(nowMs),
        everUp: this.everUp,
        sinceStartMs: nowMs - this.startedMs,
      },
      this.state,
      this.thresholds,
    );
    return this.setState(next, nowMs);
  }

  setState(next: VpnState, nowMs: number): Transition {
    const previous = this.state;
    if (next === previous) return { previous, state: next, changed: false };
    if (next === 'up') {
      if (this.everUp && (previous === 'stale' || previous === 'down')) this.reconnects += 1;
      this.everUp = true;
      this.attempt = 0;
      this.notBeforeMs = 0;
    }
    this.state = next;
    this.stateSinceMs = nowMs;
    return { previous, state: next, changed: true };
  }

  restartDue(nowMs: number, present: boolean): boolean {
    return restartDue({
      state: this.state,
      nowMs,
      notBeforeMs: this.notBeforeMs,
      present,
      lastStartMs: this.lastStartMs,
      downAfterMs: this.thresholds.downAfterMs,
    });
  }

  /** A restart is being made: count it and set when the next one may be. Returns the pause in ms. */
  noteRestart(nowMs: number): number {
    this.restarts += 1;
    this.attempt += 1;
    const delay = backoffDelayMs(this.attempt, this.backoff, this.random());
    this.notBeforeMs = nowMs + delay;
    return delay;
  }

  quietMs(nowMs: number): number {
    return nowMs - (this.lastRxMs ?? this.startedMs);
  }

  health(
    nowMs: number,
    fixed: { kind: VpnKind; interface: string },
    details: Pick<VpnHealth, 'address' | 'endpoint' | 'endpointHost' | 'handshakeAgeS'>,
  ): VpnHealth {
    return {
      kind: fixed.kind,
      interface: fixed.interface,
      state: this.state,
      stateForS: seconds(nowMs - this.stateSinceMs),
      ...details,
      lastRxAgeS: this.lastRxMs === undefined ? null : seconds(nowMs - this.lastRxMs),
      rxBytes: this.rx.total,
      txBytes: this.tx.total,
      reconnects: this.reconnects,
      restarts: this.restarts,
      lastError: this.lastError,
    };
  }
}

export function seconds(ms: number): number {
  return Math.max(0, Math.round(ms / 100) / 10);
}
