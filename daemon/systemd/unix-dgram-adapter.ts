// Adapter for the native `unix-dgram` addon (Node's dgram cannot send AF_UNIX datagrams). Loaded only
// when NOTIFY_SOCKET is set, so nothing else, and no test without systemd, loads a native addon.

import { createRequire } from 'node:module';

export interface DatagramSender {
  send(message: string): Promise<void>;
  close(): void;
}

interface UnixDgramSocket {
  on(event: 'error', listener: (err: Error) => void): void;
  send(buf: Buffer, offset: number, length: number, path: string, callback?: (err?: Error) => void): void;
  close(): void;
}

export function unixDatagramSender(path: string): DatagramSender {
  const require = createRequire(import.meta.url);
  const unix = require('unix-dgram') as { createSocket(type: 'unix_dgram'): UnixDgramSocket };
  const socket = unix.createSocket('unix_dgram');
  let lastError: Error | undefined;
  socket.on('error', (err) => {
    lastError = err;
  });
  return {
    send: (message) =>
      new Promise((resolve, reject) => {
        const buf = Buffer.from(message);
        socket.send(buf, 0, buf.length, path, (err) => {
          const failure = err ?? lastError;
          lastError = undefined;
          if (failure) reject(new Error(`sd_notify to ${path}: ${failure.message}`, { cause: failure }));
          else resolve();
        });
      }),
    close: () => socket.close(),
  };
}
