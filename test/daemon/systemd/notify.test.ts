import { createRequire } from 'node:module';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createNotifier, watchdogInterval } from '../../../daemon/systemd/notify.js';
import { silentLogger } from '../../../daemon/log.js';

const require = createRequire(import.meta.url);

/** A NOTIFY_SOCKET like systemd's: an AF_UNIX datagram socket collecting messages. */
export function notifyListener(): { path: string; messages: string[]; close(): void } {
  const unix = require('unix-dgram') as {
    createSocket(
      type: 'unix_dgram',
      listener: (buf: Buffer) => void,
    ): { bind(path: string): void; close(): void };
  };
  const path = join(mkdtempSync(join(tmpdir(), 'notify-')), 'notify.sock');
  const messages: string[] = [];
  const socket = unix.createSocket('unix_dgram', (buf) => messages.push(buf.toString()));
  socket.bind(path);
  return { path, messages, close: () => socket.close() };
}

describe('systemd notify', () => {
  it('pings at half of WATCHDOG_USEC, only for the watched pid', () => {
    expect(watchdogInterval({ WATCHDOG_USEC: '30000000' }, 42)).toBe(15_000);
    expect(watchdogInterval({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '42' }, 42)).toBe(15_000);
    expect(watchdogInterval({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '7' }, 42)).toBeUndefined();
    expect(watchdogInterval({}, 42)).toBeUndefined();
  });

  it('sends READY, STATUS, WATCHDOG and STOPPING datagrams to NOTIFY_SOCKET', async () => {
    const listener = notifyListener();
    const n = await createNotifier({ NOTIFY_SOCKET: listener.path, WATCHDOG_USEC: '10000000' }, silentLogger);
    expect(n.watchdogIntervalMs).toBe(5000);
    n.ready('house 50% ready');
    n.watchdog();
    n.status('house 51%\nready');
    n.stopping('SIGTERM');
    await new Promise((r) => setTimeout(r, 100));
    n.close();
    listener.close();
    expect(listener.messages).toEqual([
      'READY=1\nSTATUS=house 50% ready',
      'WATCHDOG=1',
      'STATUS=house 51% ready',
      'STOPPING=1\nSTATUS=SIGTERM',
    ]);
  });

  it('does nothing without NOTIFY_SOCKET', async () => {
    const n = await createNotifier({}, silentLogger);
    expect(n.watchdogIntervalMs).toBeUndefined();
    n.ready('x');
  });
});
