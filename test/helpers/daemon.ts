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
  const socket = unix.createSocket('unix_dgram', (buf) => messages.push(buf.toString()));
  socket.bind(path);
  return { path, messages, close: () => socket.close() };
}

export interface DaemonProcess {
  child: ChildProcess;
  logs: Record<string, unknown>[];
  stderr: string[];
  notify: NotifyListener;
  exited: Promise<number | null>;
  /** Resolves with the first log line matching. */
  waitForLog(
    match: (line: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function writeConfig(dir: string, config: Record<string, unknown>): string {
  const file = join(dir, 'config.yaml');
  writeFileSync(file, stringify(config));
  return file;
}

export function startDaemon(
  configFile: string,
  dir: string,
  env: Record<string, string> = {},
): DaemonProcess {
  const notify = notifyListener(dir);
  const child = spawn(process.execPath, [CLI, 'run', '--config', configFile], {
    env: { ...process.env, NOTIFY_SOCKET: notify.path, WATCHDOG_USEC: '2000000', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  const stderr: string[] = [];
  const waiters: {
    match: (l: Record<string, unknown>) => boolean;
    resolve: (l: Record<string, unknown>) => void;
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
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    logs,
    stderr,
    notify,
    exited,
    waitForLog: (match, timeoutMs = 10_000) => {
      const found = logs.find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(new Error(`no matching log line within ${timeoutMs} ms; stderr:\n${stderr.join('\n')}`)),
          timeoutMs,
        );
        waiters.push({
          match,
          resolve: (l) => {
            clearTimeout(timer);
            resolve(l);
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
