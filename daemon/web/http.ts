// The dashboard's request and response shapes: plain data, so handlers are tested without a socket.

import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { UserRecord } from '../security/roles.js';
import type { SessionRecord } from './sessions.js';

export interface WebSession {
  record: SessionRecord;
  /** The cookie's token (derives the CSRF token). */
  token: string;
  /** The user's role now (re-read from the ACL on every request: a demoted user loses rights at once). */
  user: UserRecord;
}

export interface WebRequest {
  method: string;
  /** Decoded path without the query. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** The client's address (IPv4-mapped IPv6 unwrapped). */
  address: string;
  /** Came in over HTTPS. */
  secure: boolean;
  /** Parsed JSON body of a POST (undefined otherwise). */
  body?: unknown;
  /** Path parameters of the matched route (`:tank`). */
  params: Record<string, string>;
  session?: WebSession;
}

export interface PlainResponse {
  status: number;
  headers?: Record<string, string | string[]>;
  body?: string | Buffer;
}

/** A response that takes over the socket (server-sent events). */
export interface StreamResponse {
  stream: (req: IncomingMessage, res: ServerResponse) => void;
}

export type WebResponse = PlainResponse | StreamResponse;

export type Handler = (req: WebRequest) => WebResponse | Promise<WebResponse>;

/**
 * public: anyone who reaches the server; session: a logged-in user; admin: a logged-in admin; custom:
 * the handler checks (metrics: a token or a role).
 */
export type Access = 'public' | 'session' | 'admin' | 'custom';

export interface Route {
  method: 'GET' | 'POST';
  /** e.g. /api/tanks/:tank/trend */
  path: string;
  access: Access;
  handler: Handler;
}

export function isStream(r: WebResponse): r is StreamResponse {
  return 'stream' in r;
}

export function json(status: number, value: unknown, headers: Record<string, string> = {}): PlainResponse {
  return {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers },
    body: JSON.stringify(value),
  };
}

export function text(status: number, body: string, contentType = 'text/plain; charset=utf-8'): PlainResponse {
  return { status, headers: { 'content-type': contentType, 'cache-control': 'no-store' }, body };
}

/** An error answer the page can show: `error` is a stable code, `message` words for people. */
export function problem(status: number, error: string, message: string): PlainResponse {
  return json(status, { error, message });
}

export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!header) return out;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (!out.has(name)) out.set(name, value);
  }
  return out;
}

export function header(req: WebRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
