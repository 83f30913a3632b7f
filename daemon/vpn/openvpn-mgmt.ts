// OpenVPN's management interface (a unix socket, one line per message): the machine-readable side of a
// running openvpn. Real-time messages start with ">" (`>STATE:`, `>BYTECOUNT:`, `>HOLD:`, `>PASSWORD:`,
// `>FATAL:`); a command's answer is "SUCCESS: ..." / "ERROR: ..." or, for `state`, CSV lines then "END".
// Nothing sent here carries a secret (credentials go to openvpn as a file).

import { createConnection, type Socket } from 'node:net';

export interface OpenVpnStateLine {
  /** CONNECTING, WAIT, AUTH, GET_CONFIG, ASSIGN_IP, ADD_ROUTES, CONNECTED, RECONNECTING, EXITING, ... */
  name: string;
  /** e.g. SUCCESS, or the reason of a RECONNECTING/EXITING (ping-restart, auth-failure, SIGTERM). */
  detail: string;
  /** The tunnel address the server assigned (CONNECTED, ASSIGN_IP). */
  localIp: string | null;
  remoteIp: string | null;
  remotePort: number | null;
}

export type ManagementMessage =
  | { type: 'state'; state: OpenVpnStateLine }
  | { type: 'bytecount'; rxBytes: number; txBytes: number }
  | { type: 'hold' }
  | { type: 'auth-failed'; reason: string }
  | { type: 'fatal'; message: string }
  | { type: 'other' };

/** `[>STATE:]time,name,detail,local-ip,remote-ip,remote-port,local-addr,local-port,local-ipv6` */
function parseState(csv: string): OpenVpnStateLine | undefined {
  const f = csv.split(',');
  if (f.length < 3 || !/^\d+$/.test(f[0]!) || !/^[A-Z_]+$/.test(f[1]!)) return undefined;
  const port = Number(f[5]);
  return {
    name: f[1]!,
    detail: f[2] ?? '',
    localIp: f[3] || null,
    remoteIp: f[4] || null,
    remotePort: f[5] && Number.isInteger(port) ? port : null,
  };
}

export function parseManagementLine(line: string): ManagementMessage {
  if (line.startsWith('>STATE:')) {
    const state = parseState(line.slice('>STATE:'.length));
    return state ? { type: 'state', state } : { type: 'other' };
  }
  if (line.startsWith('>BYTECOUNT:')) {
    const [rx, tx] = line.slice('>BYTECOUNT:'.length).split(',');
    if (rx !== undefined && tx !== undefined && /^\d+$/.test(rx) && /^\d+$/.test(tx))
      return { type: 'bytecount', rxBytes: Number(rx), txBytes: Number(tx) };
    return { type: 'other' };
  }
  if (line.startsWith('>HOLD:')) return { type: 'hold' };
  if (line.startsWith('>PASSWORD:Verification Failed')) {
    // ">PASSWORD:Verification Failed: 'Auth' ['reason from the server']": the reason is the server's text.
    const reason = /\['(.*)'\]/.exec(line)?.[1] ?? 'authentication failed';
    return { type: 'auth-failed', reason };
  }
  if (line.startsWith('>FATAL:')) return { type: 'fatal', message: line.slice('>FATAL:'.length) };
  // The answer to a `state` command: the same CSV without the prefix.
  const state = parseState(line);
  if (state) return { type: 'state', state };
  return { type: 'other' };
}

export interface ManagementChannel {
  send(command: string): void;
  onLine(listener: (line: string) => void): void;
  onClose(listener: () => void): void;
  close(): void;
}

export type ManagementConnector = (path: string, timeoutMs: number) => Promise<ManagementChannel>;

/** openvpn creates the socket a few milliseconds after it starts: try again this often until the deadline. */
const CONNECT_RETRY_MS = 50;

function connectOnce(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    socket.once('connect', () => {
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (err) => {
      socket.destroy();
      reject(err);
    });
  });
}

export const unixManagementConnector: ManagementConnector = async (path, timeoutMs) => {
  let socket: Socket | undefined;
  let lastError: Error | undefined;
  for (let waited = 0; !socket && waited <= timeoutMs; waited += CONNECT_RETRY_MS) {
    try {
      socket = await connectOnce(path);
    } catch (err) {
      lastError = err as Error;
      await new Promise((r) => setTimeout(r, CONNECT_RETRY_MS));
    }
  }
  if (!socket)
    throw new Error(`no OpenVPN management socket at ${path} within ${timeoutMs} ms`, { cause: lastError });
  const s = socket;
  const lineListeners: ((line: string) => void)[] = [];
  const closeListeners: (() => void)[] = [];
  let buffer = '';
  s.setEncoding('utf8');
  s.on('data', (chunk: string) => {
    buffer += chunk;
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl).replace(/\r$/, '');
      buffer = buffer.slice(nl + 1);
      for (const l of lineListeners) l(line);
    }
  });
  // A management socket error (openvpn gone) is reported as a close; the supervisor sees the exit.
  s.on('error', () => {});
  s.on('close', () => {
    for (const l of closeListeners) l();
  });
  return {
    send: (command) => {
      if (!s.destroyed) s.write(`${command}\n`);
    },
    onLine: (listener) => void lineListeners.push(listener),
    onClose: (listener) => void closeListeners.push(listener),
    close: () => s.destroy(),
  };
};
