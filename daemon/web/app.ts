// The dashboard's request pipeline, without sockets: host check -> route -> session -> access ->
// cross-site and CSRF checks on state-changing requests -> handler. The server (server.ts) turns Node
// requests into WebRequests and writes the WebResponse; tests call the pipeline directly.

import { isIP } from 'node:net';
import type { Logger } from '../log.js';
import type { UserRecord } from '../security/roles.js';
import { header, parseCookies, problem, type Route, type WebRequest, type WebResponse } from './http.js';
import { RateLimiter, type RatePolicy } from './rate-limit.js';
import { csrfTokenMatches, type SessionStore } from './sessions.js';

export const SESSION_COOKIE = 'tank-session';
/** Under HTTPS the cookie is bound to this origin and to HTTPS by its name (the __Host- prefix). */
export const SECURE_SESSION_COOKIE = '__Host-tank-session';
export const CSRF_HEADER = 'x-csrf-token';
/** API requests per client address: a page needs a few a minute, a burst at load. */
export const API_RATE: RatePolicy = { burst: 40, perSecond: 10 };

export function cookieName(secure: boolean): string {
  return secure ? SECURE_SESSION_COOKIE : SESSION_COOKIE;
}

export function sessionCookie(token: string, secure: boolean, maxAgeS: number): string {
  return [
    `${cookieName(secure)}=${token}`,
    'Path=/',
    'HttpOnly',
    'SameSite=Strict',
    `Max-Age=${Math.max(0, Math.round(maxAgeS))}`,
    ...(secure ? ['Secure'] : []),
  ].join('; ');
}

export interface AppDeps {
  routes: readonly Route[];
  sessions: SessionStore;
  /** Users and roles, re-read when the files change. */
  users: { refresh(): Promise<void>; record(user: string): UserRecord | undefined };
  /** Host names besides IP literals and localhost. */
  hostnames: readonly string[];
  log: Logger;
  /** Monotonic ms for the rate limit (default: performance.now). */
  now?: () => number;
}

interface CompiledRoute {
  route: Route;
  pattern: RegExp;
  names: string[];
}

export function createApp(deps: AppDeps): (req: WebRequest) => Promise<WebResponse> {
  const compiled = deps.routes.map(compile);
  const hostnames = new Set(deps.hostnames.map((h) => h.toLowerCase()));
  const limiter = new RateLimiter(API_RATE, deps.now ?? (() => performance.now()));

  return async (req) => {
    if (!hostAllowed(header(req, 'host'), hostnames))
      return problem(421, 'host', 'This gateway is not served under that name.');
    const found = match(compiled, req.method, req.path);
    if (found === 'method') return problem(405, 'method', 'Method not allowed.');
    if (!found) return problem(404, 'not-found', 'Not found.');
    const { route, params } = found;
    req.params = params;
    // The page's files are cached and cheap; the API and the metrics are what a runaway client could spend.
    if ((req.path.startsWith('/api/') || req.path === '/metrics') && !limiter.take(req.address))
      return {
        ...problem(429, 'rate', 'Too many requests: slow down.'),
        headers: { 'retry-after': '1', 'content-type': 'application/json; charset=utf-8' },
      };

    req.session = await resolveSession(deps, req);
    if ((route.access === 'session' || route.access === 'admin') && !req.session)
      return problem(401, 'login', 'Please log in.');
    if (route.access === 'admin' && req.session?.user.role !== 'admin')
      return problem(403, 'forbidden', 'Only an admin may see this.');

    if (req.method === 'POST') {
      const refusal = crossSiteRefusal(req);
      if (refusal) {
        deps.log.warn('dashboard request refused', { path: req.path, address: req.address, reason: refusal });
        return problem(403, 'csrf', refusal);
      }
    }
    try {
      return await route.handler(req);
    } catch (err) {
      deps.log.error('dashboard request failed', { path: req.path, error: err as Error });
      return problem(500, 'internal', 'Something went wrong on the gateway; try again.');
    }
  };
}

async function resolveSession(deps: AppDeps, req: WebRequest): Promise<WebRequest['session']> {
  const cookies = parseCookies(header(req, 'cookie'));
  const token = cookies.get(cookieName(req.secure));
  const record = deps.sessions.resolve(token);
  if (!record || !token) return undefined;
  await deps.users.refresh();
  const user = deps.users.record(record.user);
  if (!user || user.role === 'gateway') {
    // The user was removed (or may not log in here): the session ends with it.
    deps.sessions.destroy(token);
    return undefined;
  }
  return { record, token, user };
}

/**
 * A state-changing request must be JSON (a cross-site form cannot send it), must not come from another
 * site (Origin, Sec-Fetch-Site), and, with a session, must carry the session's CSRF token in a header.
 */
function crossSiteRefusal(req: WebRequest): string | undefined {
  const type = header(req, 'content-type') ?? '';
  if (!/^application\/json\b/i.test(type)) return 'Requests that change something must be JSON.';
  const site = header(req, 'sec-fetch-site');
  if (site && site !== 'same-origin' && site !== 'none') return 'Cross-site request refused.';
  const origin = header(req, 'origin');
  if (origin && origin !== 'null') {
    const expected = `${req.secure ? 'https' : 'http'}://${header(req, 'host') ?? ''}`;
    if (origin.toLowerCase() !== expected.toLowerCase()) return 'Cross-origin request refused.';
  }
  if (req.session && !csrfTokenMatches(req.session.token, header(req, CSRF_HEADER)))
    return 'Missing or wrong CSRF token: reload the page.';
  return undefined;
}

/** The Host header must be an IP literal, localhost or a configured name (no DNS rebinding). */
export function hostAllowed(host: string | undefined, names: ReadonlySet<string>): boolean {
  if (!host) return false;
  const m = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/i.exec(host.trim());
  if (!m) return false;
  const name = m[1]!.replace(/^\[|\]$/g, '').toLowerCase();
  return isIP(name) !== 0 || name === 'localhost' || names.has(name);
}

function compile(route: Route): CompiledRoute {
  const names: string[] = [];
  const source = route.path
    .split('/')
    .map((seg) => {
      if (seg.startsWith(':')) {
        names.push(seg.slice(1));
        return '([^/]+)';
      }
      return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return { route, pattern: new RegExp(`^${source}$`), names };
}

function match(
  routes: CompiledRoute[],
  method: string,
  path: string,
): { route: Route; params: Record<string, string> } | 'method' | undefined {
  let otherMethod = false;
  for (const c of routes) {
    const m = c.pattern.exec(path);
    if (!m) continue;
    if (c.route.method !== method && !(method === 'HEAD' && c.route.method === 'GET')) {
      otherMethod = true;
      continue;
    }
    const params: Record<string, string> = {};
    c.names.forEach((n, i) => (params[n] = m[i + 1]!));
    return { route: c.route, params };
  }
  return otherMethod ? 'method' : undefined;
}
