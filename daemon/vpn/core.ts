// What both supervisors do the same way: the poll loop with one lifecycle (one piece of work at a time,
// stop waits for it), the tracker, the change listener, logging of transitions and problems (each problem
// once, not once per poll), and the status file.

import type { Clock } from '../clock.js';
import { vpnStatusFile } from '../config/vpn-schema.js';
import type { Logger } from '../log.js';
import { STATUS_REFRESH_MS, writeStatusFile } from './status-file.js';
import type { VpnHealth } from './status.js';
import { seconds, TunnelTracker, type Transition } from './tracker.js';

/** start() returns after the first bring-up, or after this long if that hangs. */
export const START_WAIT_MS = 5_000;

export interface SupervisedConfig {
  interface: string;
  pollIntervalS: number;
  staleAfterS: number;
  downAfterS: number;
  backoff: { initialS: number; maxS: number };
  runtimeDir: string;
  statusFile?: string;
}

export interface CoreDeps {
  config: SupervisedConfig;
  clock: Clock;
  log: Logger;
  random: () => number;
  /** The supervisor's full report (with its own details). */
  status: () => VpnHealth;
}

export class SupervisionCore {
  readonly tracker: TunnelTracker;
  stopping = false;
  private started = false;
  private timer: NodeJS.Timeout | undefined;
  private work: Promise<void> = Promise.resolve();
  private listener: ((status: VpnHealth) => void) | undefined;
  private lastLoggedError: string | undefined;
  private lastStatusWriteMs = -Infinity;
  private statusWrites: Promise<void> = Promise.resolve();
  private readonly statusFile: string;

  constructor(private readonly deps: CoreDeps) {
    const c = deps.config;
    this.tracker = new TunnelTracker(
      { staleAfterMs: c.staleAfterS * 1000, downAfterMs: c.downAfterS * 1000 },
      { initialMs: c.backoff.initialS * 1000, maxMs: c.backoff.maxS * 1000 },
      deps.random,
    );
    this.statusFile = vpnStatusFile(c);
  }

  get isStarted(): boolean {
    return this.started;
  }

  onChange(listener: (status: VpnHealth) => void): void {
    this.listener = listener;
  }

  /** Runs `first`, then `poll` every pollIntervalS. Resolves after `first` or START_WAIT_MS. */
  start(first: () => Promise<void>, poll: () => Promise<void>): Promise<void> {
    this.started = true;
    this.tracker.begin(this.deps.clock.monotonicMs());
    const schedule = (): void => {
      if (this.stopping) return;
      this.timer = setTimeout(() => {
        this.work = poll()
          .catch((err: unknown) => this.deps.log.error('VPN supervision failed', { error: err as Error }))
          .then(schedule);
      }, this.deps.config.pollIntervalS * 1000);
    };
    this.work = first()
      .catch((err: unknown) => this.deps.log.error('VPN start failed', { error: err as Error }))
      .then(schedule);
    return boundedWait(this.work, START_WAIT_MS);
  }

  /** No new work starts; resolves when the current work is done. */
  async halt(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    await this.work;
  }

  /** Marks the supervisor stopped and writes the last status. */
  async stopped(): Promise<void> {
    const now = this.deps.clock.monotonicMs();
    const t = this.tracker.setState('stopped', now);
    this.transition(t, {});
    if (!t.changed) this.queueStatusWrite(now);
    await this.statusWrites;
    this.deps.log.info('VPN stopped', { interface: this.deps.config.interface });
  }

  /** Logs a change of state and tells the listener; `fields` add the supervisor's own details. */
  transition(t: Transition, fields: Record<string, unknown>): void {
    if (!t.changed) return;
    const now = this.deps.clock.monotonicMs();
    const s = this.deps.status();
    const common = {
      interface: s.interface,
      from: t.previous,
      address: s.address,
      endpoint: s.endpoint,
      quietS: seconds(this.tracker.quietMs(now)),
      ...fields,
    };
    const log = this.deps.log;
    if (t.state === 'up') {
      this.lastLoggedError = undefined;
      this.tracker.lastError = null;
      log.info(t.previous === 'connecting' ? 'VPN up' : 'VPN up again', {
        ...common,
        reconnects: s.reconnects,
      });
    } else if (t.state === 'stale') log.warn('VPN stale: nothing received through the tunnel', common);
    else if (t.state === 'down') log.warn('VPN down', { ...common, lastError: s.lastError });
    // Every change reaches the status file and the listener at once, whatever noticed it (a poll, or a
    // message from openvpn between polls).
    this.queueStatusWrite(now);
    this.listener?.(this.deps.status());
  }

  /** Keeps the last failure for the status; logs it only when it is a new one (no log line per poll). */
  noteError(message: string): void {
    this.tracker.lastError = message;
    if (message === this.lastLoggedError) return;
    this.lastLoggedError = message;
    this.deps.log.warn('VPN problem', { interface: this.deps.config.interface, problem: message });
  }

  /** Writes the status file now (force), or if the last write is older than STATUS_REFRESH_MS. */
  queueStatusWrite(now: number, force = true): void {
    if (!force && now - this.lastStatusWriteMs < STATUS_REFRESH_MS) return;
    this.lastStatusWriteMs = now;
    const health = this.deps.status();
    const wall = this.deps.clock.wallMs();
    this.statusWrites = this.statusWrites
      .then(() => writeStatusFile(this.statusFile, health, wall, this.deps.config.statusFile ? 0o755 : 0o700))
      .catch((err: unknown) =>
        this.deps.log.debug('VPN: cannot write the status file', { error: err as Error }),
      );
  }
}

/** Waits for `work`, but no longer than `ms`; never rejects. */
export function boundedWait(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  const done = work.then(
    () => {},
    () => {},
  );
  return Promise.race([done, limit]).finally(() => clearTimeout(timer));
}

/** True when `p` settled within `ms`. */
export async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([p.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
