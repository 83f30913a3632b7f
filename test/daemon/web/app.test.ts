// The request pipeline without sockets: host check, routes, sessions, roles, and the cross-site and CSRF
// checks on every state-changing request.

import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../daemon/log.js';
import type { UserRecord } from '../../../daemon/security/roles.js';
import { createApp, CSRF_HEADER, hostAllowed, sessionCookie } from '../../../daemon/web/app.js';
import { json, type PlainResponse, type Route, type WebRequest } from '../../../daemon/web/http.js';
import { csrfTokenFor, SessionStore } from '../../../daemon/web/sessions.js';
import { request } from './fixtures.js';

function setup() {
  const users = new Map<string, UserRecord>([
    ['alice', { user: 'alice', role: 'admin', canCommand: true }],
    ['vic', { user: 'vic', role: 'viewer', canCommand: false }],
  ]);
  const sessions = new SessionStore({
    file: undefined,
    policy: { idleMs: 3_600_000, absoluteMs: 86_400_000, maxPerUser: 5 },
    now: () => 1_000_000,
    log: silentLogger,
  });
  let calls = 0;
  const routes: Route[] = [
    { method: 'GET', path: '/open', access: 'public', handler: () => json(200, { ok: true }) },
    {
      method: 'GET',
      path: '/mine/:id',
      access: 'session',
      handler: (r) => json(200, { user: r.session!.user.user, id: r.params.id }),
    },
    { method: 'GET', path: '/admin', access: 'admin', handler: () => json(200, {}) },
    {
      method: 'POST',
      path: '/change',
      access: 'session',
      handler: () => {
        calls++;
        return json(200, { changed: true });
      },
    },
    { method: 'GET', path: '/boom', access: 'public', handler: () => Promise.reject(new Error('boom')) },
  ];
  const pipeline = createApp({
    routes,
    sessions,
    users: { refresh: async () => {}, record: (u) => users.get(u) },
    hostnames: ['tank.farm.lan'],
    log: silentLogger,
  });
  const app = async (r: WebRequest) => (await pipeline(r)) as PlainResponse;
  const login = (user: string) => sessions.create(user, '127.0.0.1').token;
  return { app, users, login, calls: () => calls };
}

const cookieFor = (token: string, secure = false) => ({
  cookie: `other=1; ${secure ? '__Host-' : ''}tank-session=${token}`,
});

describe('the dashboard request pipeline', () => {
  it('answers only for IP addresses, localhost and configured names (no DNS rebinding)', async () => {
    const { app } = setup();
    for (const host of ['127.0.0.1:8080', '[::1]:8080', '10.99.0.3', 'localhost:8080', 'TANK.farm.lan'])
      expect((await app(request({ path: '/open', headers: { host } }))).status, host).toBe(200);
    for (const host of ['evil.example', 'tank.farm.lan.evil.example', '', '127.0.0.1:80:80'])
      expect((await app(request({ path: '/open', headers: { host } }))).status, host).toBe(421);
    expect(hostAllowed(undefined, new Set())).toBe(false);
  });

  it('404 for no route, 405 for another method, 500 (logged, no detail) when a handler fails', async () => {
    const { app } = setup();
    expect((await app(request({ path: '/nope' }))).status).toBe(404);
    expect((await app(request({ path: '/open', method: 'POST' }))).status).toBe(405);
    const boom = await app(request({ path: '/boom' }));
    expect(boom.status).toBe(500);
    expect(JSON.stringify(boom)).not.toContain('boom');
  });

  it('a route needing a session refuses without one (401), and with a made-up or foreign cookie', async () => {
    const { app, login } = setup();
    expect((await app(request({ path: '/mine/1' }))).status).toBe(401);
    expect(
      (await app(request({ path: '/mine/1', headers: { host: 'localhost', ...cookieFor('made-up') } })))
        .status,
    ).toBe(401);
    const token = login('alice');
    const ok = await app(request({ path: '/mine/7', headers: { host: 'localhost', ...cookieFor(token) } }));
    expect(ok.status).toBe(200);
    expect(JSON.parse(String((ok as { body: string }).body))).toEqual({ user: 'alice', id: '7' });
    // Under HTTPS the cookie must carry its __Host- name: a plain-HTTP cookie does not count there.
    expect(
      (
        await app(
          request({ path: '/mine/1', secure: true, headers: { host: 'localhost', ...cookieFor(token) } }),
        )
      ).status,
    ).toBe(401);
    expect(
      (
        await app(
          request({
            path: '/mine/1',
            secure: true,
            headers: { host: 'localhost', ...cookieFor(token, true) },
          }),
        )
      ).status,
    ).toBe(200);
  });

  it('a removed user loses its session at once; a viewer cannot open an admin route', async () => {
    const { app, login, users } = setup();
    const vic = login('vic');
    expect(
      (await app(request({ path: '/admin', headers: { host: 'localhost', ...cookieFor(vic) } }))).status,
    ).toBe(403);
    expect(
      (await app(request({ path: '/admin', headers: { host: 'localhost', ...cookieFor(login('alice')) } })))
        .status,
    ).toBe(200);
    users.delete('vic');
    expect(
      (await app(request({ path: '/mine/1', headers: { host: 'localhost', ...cookieFor(vic) } }))).status,
    ).toBe(401);
    users.set('vic', { user: 'vic', role: 'viewer', canCommand: false });
    expect(
      (await app(request({ path: '/mine/1', headers: { host: 'localhost', ...cookieFor(vic) } }))).status,
    ).toBe(401);
  });

  it('a change needs JSON, the same origin and the session’s own CSRF token', async () => {
    const { app, login, calls } = setup();
    const token = login('alice');
    const other = login('alice');
    const post = (headers: Record<string, string>) =>
      app(
        request({
          path: '/change',
          method: 'POST',
          body: {},
          headers: { host: '127.0.0.1:8080', ...cookieFor(token), ...headers },
        }),
      );
    const good = { 'content-type': 'application/json', [CSRF_HEADER]: csrfTokenFor(token) };
    expect((await post({ ...good, 'content-type': 'text/plain' })).status).toBe(403);
    expect((await post({ ...good, 'content-type': 'application/x-www-form-urlencoded' })).status).toBe(403);
    expect((await post({ 'content-type': 'application/json' })).status).toBe(403);
    expect((await post({ ...good, [CSRF_HEADER]: csrfTokenFor(other) })).status).toBe(403);
    expect((await post({ ...good, origin: 'http://evil.example' })).status).toBe(403);
    expect((await post({ ...good, 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    expect(calls()).toBe(0);
    expect(
      (await post({ ...good, origin: 'http://127.0.0.1:8080', 'sec-fetch-site': 'same-origin' })).status,
    ).toBe(200);
    expect(calls()).toBe(1);
  });

  it('the session cookie is HttpOnly, SameSite=Strict, and Secure under HTTPS', () => {
    expect(sessionCookie('tok', false, 3600)).toBe(
      'tank-session=tok; Path=/; HttpOnly; SameSite=Strict; Max-Age=3600',
    );
    expect(sessionCookie('tok', true, 3600)).toBe(
      '__Host-tank-session=tok; Path=/; HttpOnly; SameSite=Strict; Max-Age=3600; Secure',
    );
  });
});
