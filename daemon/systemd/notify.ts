// systemd notify protocol (Type=notify, WatchdogSec=): READY=1 once outputs are safe and the control loop
// runs, WATCHDOG=1 only from control ticks that completed (a hung loop stops the pings and systemd
// restarts the daemon), STATUS= one-line summary, STOPPING=1 on shutdown. Without NOTIFY_SOCKET every
// call does nothing.

import type { Logger } from '../log.js';
import type { DatagramSender } from './unix-dgram-adapter.js';

export interface Notifier {
  /** Half of WATCHDOG_USEC, when systemd expects pings from this process. */
  readonly watchdogIntervalMs: number | undefined;
  ready(status: string): void;
  status(status: string): void;
  watchdog(): void;
  stopping(status: string): void;
  close(): void;
}

export const silentNotifier: Notifier = {
  watchdogIntervalMs: undefined,
  ready: () => {},
  status: () => {},
  watchdog: () => {},
  stopping: () => {},
  close: () => {},
};

export async function createNotifier(
  env: NodeJS.ProcessEnv,
  log: Logger,
  pid = process.pid,
): Promise<Notifier> {
  const socketPath = env.NOTIFY_SOCKET;
  if (!socketPath) return silentNotifier;
  if (socketPath.startsWith('@')) {
    log.warn('NOTIFY_SOCKET is an abstract socket, which this daemon cannot reach: no READY or watchdog', {
      socket: socketPath,
    });
    return silentNotifier;
  }
  const { unixDatagramSender } = await import('./unix-dgram-adapter.js');
  return new SocketNotifier(unixDatagramSender(socketPath), watchdogInterval(env, pid), log);
}

/** systemd sets WATCHDOG_USEC (and WATCHDOG_PID, which must be us); ping at half the period. */
export function watchdogInterval(env: NodeJS.ProcessEnv, pid: number): number | undefined {
  const usec = Number(env.WATCHDOG_USEC);
  if (!Number.isFinite(usec) || usec <= 0) return undefined;
  if (env.WATCHDOG_PID && Number(env.WATCHDOG_PID) !== pid) return undefined;
  return Math.floor(usec / 1000 / 2);
}

class SocketNotifier implements Notifier {
  constructor(
    private readonly sender: DatagramSender,
    readonly watchdogIntervalMs: number | undefined,
    private readonly log: Logger,
  ) {}

  ready(status: string): void {
    this.send(`READY=1\nSTATUS=${oneLine(status)}`);
  }
  status(status: string): void {
    this.send(`STATUS=${oneLine(status)}`);
  }
  watchdog(): void {
    this.send('WATCHDOG=1');
  }
  stopping(status: string): void {
    this.send(`STOPPING=1\nSTATUS=${oneLine(status)}`);
  }
  close(): void {
    this.sender.close();
  }

  private send(message: string): void {
    this.sender
      .send(message)
      .catch((err: unknown) => this.log.warn('systemd notify failed', { error: err as Error }));
  }
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
