// The dashboard's listeners (Node's own http/https): the same rules as the embedded MQTT broker —
// loopback always; a LAN or tunnel address only once a user exists; never a WAN address (the config
// refuses one, and a request from outside web.allowClients gets no page). A listener that cannot open
// yet (no user, address in use, certificate missing) is tried again every LISTEN_RETRY_MS without
// holding up the tank. Optional HTTPS, with plain HTTP answering only with a redirect to it.

import { readFile } from 'node:fs/promises';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { WebConfig } from '../config/web-schema.js';
import type { Logger } from '../log.js';
import { isStream, type WebRequest, type WebResponse } from './http.js';
import { AddressSet, isLoopbackAddress, normalizeAddress } from './networks.js';

export const LISTEN_RETRY_MS = 30_000;
const MAX_BODY_BYTES = 16 * 1024;
const MAX_CONNECTIONS = 128;
const HEADERS_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 30_000;
const KEEP_ALIVE_TIMEOUT_MS = 5_000;

export const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=(), usb=()',
};

export type ListenDecision = { open: true } | { open: false; reason: string };

/** Whether a listener may open now (pure): loopback always, anything else once a user exists. */
export function listenDecision(host: string, userCount: number): ListenDecision {
  if (isLoopbackAddress(host)) return { open: true };
  if (userCount === 0)
    return { open: false, reason: 'no user exists yet (smart-tank user add), so only loopback is served' };
  return { open: true };
}

export interface WebServerDeps {
  web: WebConfig;
  app: (req: WebRequest) => Promise<WebResponse>;
  users: { readonly userCount: number; refresh(): Promise<void> };
  log: Logger;
}

interface Planned {
  host: string;
  port: number;
  kind: 'dashboard' | 'redirect';
  /** Port of the HTTPS dashboard a redirect points at. */
  httpsPort?: number;
  server?: Server;
  /** Last reason it is not open (logged once per reason). */
  waiting?: string;
}

export class WebServer {
  private readonly planned: Planned[];
  private readonly clients: AddressSet;
  private readonly sockets = new Set<Socket>();
  private retryTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly deps: WebServerDeps) {
    const { web } = deps;
    this.clients = new AddressSet(web.allowClients);
    this.planned = web.listen.map((l) => ({ host: l.host, port: l.port, kind: 'dashboard' as const }));
    if (web.tls && web.tls.redirectPort !== null) {
      for (const l of web.listen)
        this.planned.push({ host: l.host, port: web.tls.redirectPort, kind: 'redirect', httpsPort: l.port });
    }
  }

  /** Bound listeners: host, port and protocol. */
  get listening(): { host: string; port: number; protocol: 'http' | 'https'; kind: string }[] {
    return this.planned
      .filter((p) => p.server)
      .map((p) => ({
        host: p.host,
        port: (p.server!.address() as AddressInfo).port,
        protocol: p.kind === 'dashboard' && this.deps.web.tls ? 'https' : 'http',
        kind: p.kind,
      }));
  }

  async start(): Promise<void> {
    await this.openPending();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    const closing = this.planned
      .filter((p) => p.server)
      .map((p) => new Promise<void>((resolve) => p.server!.close(() => resolve())));
    for (const s of this.sockets) s.destroy();
    await Promise.all(closing);
    for (const p of this.planned) p.server = undefined;
  }

  private async openPending(): Promise<void> {
    const { users, log } = this.deps;
    await users.refresh().catch((err: unknown) => log.warn('cannot read the users', { error: err as Error }));
    for (const p of this.planned) {
      if (p.server || this.stopped) continue;
      const decision = listenDecision(p.host, users.userCount);
      if (!decision.open) {
        this.waiting(p, decision.reason);
        continue;
      }
      try {
        p.server = await this.listen(p);
        p.waiting = undefined;
        const { port } = p.server.address() as AddressInfo;
        log.info(p.kind === 'dashboard' ? 'dashboard listening' : 'dashboard redirect to HTTPS listening', {
          host: p.host,
          port,
          protocol: p.kind === 'dashboard' && this.deps.web.tls ? 'https' : 'http',
        });
      } catch (err) {
        this.waiting(p, (err as Error).message, true);
      }
    }
    if (!this.stopped && this.planned.some((p) => !p.server)) {
      this.retryTimer = setTimeout(() => void this.openPending(), LISTEN_RETRY_MS);
      this.retryTimer.unref();
    }
  }

  private waiting(p: Planned, reason: string, failure = false): void {
    if (p.waiting === reason) return;
    p.waiting = reason;
    const fields = { host: p.host, port: p.port, reason, retryS: LISTEN_RETRY_MS / 1000 };
    if (failure) this.deps.log.error('dashboard listener cannot open; tried again later', fields);
    else this.deps.log.warn('dashboard listener not opened', fields);
  }

  private async listen(p: Planned): Promise<Server> {
    const { web } = this.deps;
    const handler = (req: IncomingMessage, res: ServerResponse) =>
      p.kind === 'redirect' ? this.redirect(req, res, p.httpsPort!) : void this.serve(req, res);
    let server: Server;
    if (p.kind === 'dashboard' && web.tls) {
      const [cert, key] = await Promise.all([readFile(web.tls.certFile), readFile(web.tls.keyFile)]).catch(
        (err: unknown) => {
          throw new Error(`cannot read the HTTPS certificate or key: ${(err as Error).message}`, {
            cause: err,
          });
        },
      );
      // TLS is loaded only where HTTPS is configured.
      const { createServer: createHttpsServer } = await import('node:https');
      server = createHttpsServer({ cert, key, minVersion: 'TLSv1.2' }, handler);
    } else {
      server = createHttpServer(handler);
    }
    server.maxConnections = MAX_CONNECTIONS;
    server.headersTimeout = HEADERS_TIMEOUT_MS;
    server.requestTimeout = REQUEST_TIMEOUT_MS;
    server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    server.on('clientError', (_err, socket) => socket.destroy());
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) =>
        reject(new Error(`cannot listen on ${p.host}:${p.port}: ${err.message}`, { cause: err })),
      );
      server.listen(p.port, p.host, () => resolve());
    });
    server.on('error', (err) =>
      this.deps.log.error('dashboard listener failed', { host: p.host, error: err }),
    );
    return server;
  }

  /** A client outside the allowed ranges gets no page (and the connection is closed). */
  private refuseOutsider(req: IncomingMessage, res: ServerResponse): boolean {
    const address = normalizeAddress(req.socket.remoteAddress ?? '');
    if (this.clients.has(address)) return false;
    this.deps.log.debug('dashboard request from outside the allowed networks refused', () => ({ address }));
    res.writeHead(403, {
      'content-type': 'text/plain; charset=utf-8',
      connection: 'close',
      ...SECURITY_HEADERS,
    });
    res.end('Forbidden\n');
    return true;
  }

  private redirect(req: IncomingMessage, res: ServerResponse, httpsPort: number): void {
    if (this.refuseOutsider(req, res)) return;
    const host = (req.headers.host ?? '').replace(/:\d+$/, '');
    const safeHost = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)$/i.test(host) ? host : (req.socket.localAddress ?? '');
    const path = (req.url ?? '/').startsWith('/') ? req.url! : '/';
    res.writeHead(308, {
      location: `https://${safeHost}${httpsPort === 443 ? '' : `:${httpsPort}`}${path}`,
      'cache-control': 'no-store',
      ...SECURITY_HEADERS,
    });
    res.end();
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (this.refuseOutsider(req, res)) return;
    let webReq: WebRequest;
    try {
      webReq = await toWebRequest(req, this.deps.web.tls !== undefined);
    } catch (err) {
      write(res, req, {
        status: (err as { status?: number }).status ?? 400,
        headers: { 'content-type': 'text/plain; charset=utf-8' },
        body: `${(err as Error).message}\n`,
      });
      return;
    }
    const response = await this.deps.app(webReq);
    if (isStream(response)) response.stream(req, res);
    else write(res, req, response);
  }
}

async function toWebRequest(req: IncomingMessage, secure: boolean): Promise<WebRequest> {
  const url = new URL(req.url ?? '/', 'http://gateway');
  let path: string;
  try {
    path = decodeURIComponent(url.pathname);
  } catch {
    throw Object.assign(new Error('bad path'), { status: 400 });
  }
  const method = req.method ?? 'GET';
  let body: unknown;
  if (method === 'POST') {
    const text = await readBody(req);
    if (text.length > 0 && /^application\/json\b/i.test(req.headers['content-type'] ?? '')) {
      try {
        body = JSON.parse(text);
      } catch {
        throw Object.assign(new Error('the request body is not valid JSON'), { status: 400 });
      }
    }
  }
  return {
    method,
    path,
    query: url.searchParams,
    headers: req.headers,
    address: normalizeAddress(req.socket.remoteAddress ?? ''),
    secure,
    body,
    params: {},
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(Object.assign(new Error('request body too large'), { status: 413 }));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function write(
  res: ServerResponse,
  req: IncomingMessage,
  r: { status: number; headers?: Record<string, string | string[]>; body?: string | Buffer },
): void {
  if (res.headersSent) return;
  const body = r.body === undefined ? undefined : typeof r.body === 'string' ? Buffer.from(r.body) : r.body;
  res.writeHead(r.status, {
    ...SECURITY_HEADERS,
    ...(body ? { 'content-length': String(body.length) } : {}),
    ...r.headers,
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}
