// Starts the built daemon as a real process (the `npm start` path) on a simulated tank, with a
// NOTIFY_SOCKET like systemd's, and collects its JSON log lines.

import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';

const require = createRequire(import.meta.url);
export const CLI = new URL('../../dist/daemon/cli/smart-tank.js', import.meta.url).pathname;

let listeners = 0;

export interface NotifyListener {
  path: string;
  messages: string[];
  /** Arrival times (Date.now) of WATCHDOG=1: only a completed control tick sends one. */
  watchdogAt: number[];
  close(): void;
}

/** An AF_UNIX datagram socket collecting sd_notify messages, as systemd's NOTIFY_SOCKET does. */
export function notifyListener(dir: string): NotifyListener {
  const unix = require('unix-dgram') as {
    createSocket(
      type: 'unix_dgram',
      listener: (buf: Buffer) => void,
    ): { bind(path: string): void; close(): void };
  };
  const path = join(dir, `notify-${++listeners}.sock`);
  const messages: string[] = [];
  const watchdogAt: number[] = [];
  const socket = unix.createSocket('unix_dgram', (buf) => {
    const message = buf.toString();
    messages.push(message);
    if (message.split('\n').includes('WATCHDOG=1')) watchdogAt.push(Date.now());
  });
  socket.bind(path);
  let closed = false;
  return {
    path,
    messages,
    watchdogAt,
    close: () => {
      if (!closed) socket.close();
      closed = true;
    },
  };
}

export interface DaemonProcess {
  child: ChildProcess;
  logs: Record<string, unknown>[];
  stderr: string[];
  notify: NotifyListener;
  exited: Promise<number | null>;
  /** Resolves with the first log line matching; fails early if the daemon exits. */
  waitForLog(
    match: (line: Record<string, unknown>) => boolean,
    timeoutMs?: number,
    what?: string,
  ): Promise<Record<string, unknown>>;
  /** SIGTERM, then SIGKILL after 10 s; resolves with the exit code. */
  stop(): Promise<number | null>;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function writeConfig(dir: string, config: Record<string, unknown>): string {
  const file = join(dir, 'config.yaml');
  writeFileSync(file, stringify(config));
  return file;
}

/**
 * `wrapper`: a command prefix the daemon runs under, e.g. ['ip', 'netns', 'exec', NS] to run it inside a
 * network namespace the test made.
 */
export function startDaemon(
  configFile: string,
  dir: string,
  env: Record<string, string> = {},
  wrapper: string[] = [],
): DaemonProcess {
  return startCli(['run', '--config', configFile], dir, env, wrapper);
}

/** Another long-running `smart-tank` command (e.g. `fleet serve`), with the same log collection. */
export function startCli(
  args: string[],
  dir: string,
  env: Record<string, string> = {},
  wrapper: string[] = [],
): DaemonProcess {
  const notify = notifyListener(dir);
  const command = [...wrapper, process.execPath, CLI, ...args];
  const child = spawn(command[0]!, command.slice(1), {
    env: { ...process.env, NOTIFY_SOCKET: notify.path, WATCHDOG_USEC: '2000000', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  const stderr: string[] = [];
  const waiters: {
    match: (l: Record<string, unknown>) => boolean;
    resolve: (l: Record<string, unknown>) => void;
    reject: (err: Error) => void;
  }[] = [];
  let buffer = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    buffer += chunk;
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      stderr.push(line);
      try {
        const parsed = JSON.parse(line) as Record<string, unknown>;
        logs.push(parsed);
        for (const w of [...waiters]) {
          if (w.match(parsed)) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve(parsed);
          }
        }
      } catch {
        // not a log line (e.g. a crash trace): kept in stderr
      }
    }
  });
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      for (const w of waiters.splice(0))
        w.reject(new Error(`the daemon exited (${code}); stderr:\n${stderr.slice(-30).join('\n')}`));
      resolve(code);
    }),
  );
  return {
    child,
    logs,
    stderr,
    notify,
    exited,
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
    waitForLog: (match, timeoutMs = 10_000, what = 'a matching log line') => {
      const found = logs.find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new Error(
                `no log line "${what}" within ${timeoutMs} ms; stderr:\n${stderr.slice(-30).join('\n')}`,
              ),
            ),
          timeoutMs,
        );
        waiters.push({
          match,
          resolve: (l) => {
            clearTimeout(timer);
            resolve(l);
          },
          reject: (err) => {
            clearTimeout(timer);
            reject(err);
          },
        });
      });
    },
  };
}

export async function waitFor<T>(probe: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
  const start = Date.now();
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() - start > timeoutMs)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Whether process `pid` still exists (signal 0 checks without signalling). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
