// The dashboard's handlers with the capabilities they take, without a network: login through the one
// login check (lockout, audit), commands on the command path (role, answers, retries), metrics access,
// trends, alarms.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CommandOrigin, CommandResult } from '../../../daemon/commands/command-service.js';
import { silentLogger } from '../../../daemon/log.js';
import type { UserRecord } from '../../../daemon/security/roles.js';
import type { TankStatePayload } from '../../../daemon/telemetry/topics.js';
import type { Route, WebRequest, WebResponse } from '../../../daemon/web/http.js';
import { commandRoutes } from '../../../daemon/web/routes/commands.js';
import { alarmRoutes, trendRoutes } from '../../../daemon/web/routes/data.js';
import { metricsRoutes } from '../../../daemon/web/routes/metrics.js';
import { sessionRoutes } from '../../../daemon/web/routes/session.js';
import { SessionStore } from '../../../daemon/web/sessions.js';
import { tempDir } from '../../helpers/daemon.js';
import { body, PASSWORD, request, users } from './fixtures.js';

const handler = (routes: Route[], method: string, path: string) =>
  routes.find((r) => r.method === method && r.path === path)!.handler;
const asPlain = (r: WebResponse) =>
  r as { status: number; headers?: Record<string, string | string[]>; body?: string };
const ADMIN: UserRecord = { user: 'alice', role: 'admin', canCommand: true };
const VIEWER: UserRecord = { user: 'vic', role: 'viewer', canCommand: false };
const as = (user: UserRecord, r: Partial<WebRequest> & { path: string }): WebRequest =>
  request({
    ...r,
    session: {
      user,
      token: 'tok',
      record: { idHash: 'h', user: user.user, createdMs: 0, lastSeenMs: 0, address: '127.0.0.1' },
    },
  });

async function sessionSetup() {
  const u = await users();
  const sessions = new SessionStore({
    file: undefined,
    policy: { idleMs: 3_600_000, absoluteMs: 86_400_000, maxPerUser: 5 },
    now: () => 0,
    log: silentLogger,
  });
  const routes = sessionRoutes({
    login: u.login,
    sessions,
    users: u.credentials,
    audit: (e) => u.audit.push(e),
    info: { gateway: { id: 'gw', name: 'Farm', timezone: 'UTC' }, tanks: [], version: 'test' },
    lockoutMinutes: 15,
    absoluteMs: 86_400_000,
  });
  const login = (user: string, password: string, address = '10.99.0.2', secure = false) =>
    handler(
      routes,
      'POST',
      '/api/login',
    )(
      request({ path: '/api/login', method: 'POST', address, secure, body: { user, password } }),
    ) as Promise<WebResponse>;
  return { ...u, sessions, routes, login };
}

describe('login and logout', () => {
  it('a good login makes a session (cookie, CSRF token, role) and is audited; a wrong one is refused and audited', async () => {
    const { login, audit, sessions } = await sessionSetup();
    const ok = asPlain(await login('alice', PASSWORD.alice));
    expect(ok.status).toBe(200);
    expect(body(ok)).toMatchObject({
      user: { name: 'alice', role: 'admin', canCommand: true },
      csrf: expect.any(String),
    });
    const cookie = String(ok.headers!['set-cookie']);
    expect(cookie).toMatch(/^tank-session=[\w-]+; Path=\/; HttpOnly; SameSite=Strict; Max-Age=86400$/);
    expect(sessions.size).toBe(1);
    const bad = asPlain(await login('alice', 'not-the-password'));
    expect(bad.status).toBe(401);
    expect(body(bad)).toMatchObject({ error: 'refused' });
    expect(audit.map((e) => [e.kind, e.who, e.what, e.from])).toEqual([
      ['login', 'alice', 'dashboard login', '10.99.0.2'],
      ['login-failed', 'alice', 'dashboard login', '10.99.0.2'],
    ]);
    expect(JSON.stringify(audit)).not.toContain('not-the-password');
  });

  it('five failures from an address lock it (shared with MQTT: the same guard), even for the right password', async () => {
    const { login, audit, credentials } = await sessionSetup();
    for (let i = 0; i < 5; i++) expect(asPlain(await login('alice', `wrong-${i}`)).status).toBe(401);
    const locked = asPlain(await login('vic', PASSWORD.vic));
    expect(locked.status).toBe(429);
    expect(body(locked)).toMatchObject({ error: 'locked', minutes: 15 });
    expect(audit.filter((e) => e.kind === 'lockout')).toHaveLength(1);
    // Another address is not locked.
    expect(asPlain(await login('vic', PASSWORD.vic, '10.99.0.9')).status).toBe(200);
    expect(credentials.userCount).toBe(3);
  });

  it('the daemon’s own gateway user cannot log in to the dashboard', async () => {
    const { login } = await sessionSetup();
    expect(asPlain(await login('gateway', PASSWORD.gateway)).status).toBe(401);
  });

  it('logout ends the session, clears the cookie and is audited', async () => {
    const { routes, sessions, audit } = await sessionSetup();
    const { token, record } = sessions.create('alice', '10.99.0.2');
    const r = asPlain(
      await handler(
        routes,
        'POST',
        '/api/logout',
      )(request({ path: '/api/logout', method: 'POST', session: { token, record, user: ADMIN } })),
    );
    expect(r.status).toBe(200);
    expect(String(r.headers!['set-cookie'])).toMatch(/Max-Age=0/);
    expect(sessions.resolve(token)).toBeUndefined();
    expect(audit.at(-1)).toMatchObject({ kind: 'login', what: 'dashboard logout', who: 'alice' });
  });

  it('without a session, GET /api/session says whether users exist and nothing about the tanks', async () => {
    const { routes } = await sessionSetup();
    const r = asPlain(await handler(routes, 'GET', '/api/session')(request({ path: '/api/session' })));
    expect(body(r)).toEqual({ user: null, usersExist: true, gateway: { name: 'Farm' } });
  });
});

describe('commands from the page', () => {
  function setup(answer: (payload: Record<string, unknown>) => CommandResult | undefined) {
    const calls: { origin: CommandOrigin; payload: Record<string, unknown> }[] = [];
    const routes = commandRoutes({
      submitCommand: async (origin, payload) => {
        const p = JSON.parse(payload.toString()) as Record<string, unknown>;
        calls.push({ origin, payload: p });
        return answer(p);
      },
      tankIds: ['house'],
      now: () => 1_700_000_000_000,
    });
    const send = (user: UserRecord, b: unknown, tank = 'house') =>
      handler(
        routes,
        'POST',
        '/api/tanks/:tank/command',
      )(
        as(user, {
          path: `/api/tanks/${tank}/command`,
          method: 'POST',
          params: { tank },
          body: b,
          address: '10.99.0.2',
        }),
      ) as Promise<WebResponse>;
    return { calls, send };
  }
  const accepted = (p: Record<string, unknown>): CommandResult => ({
    id: String(p.id),
    result: 'accepted',
    message: 'ok',
    time: 't',
  });

  it('goes to the command path stamped by the gateway, from the dashboard, and returns its answer', async () => {
    const { calls, send } = setup(accepted);
    const r = asPlain(await send(ADMIN, { id: 'web-0001', action: 'valve', open: true, minutes: 10 }));
    expect(r.status).toBe(200);
    expect(calls).toEqual([
      {
        origin: { user: 'alice', from: '10.99.0.2 (dashboard)', retained: false },
        payload: {
          id: 'web-0001',
          action: 'valve',
          open: true,
          minutes: 10,
          tank: 'house',
          ts: 1_700_000_000_000,
        },
      },
    ]);
  });

  it('a retry with the same id gets the first answer and does not act twice', async () => {
    const { calls, send } = setup(accepted);
    const first = await send(ADMIN, { id: 'web-0002', action: 'pump', on: false });
    const again = await send(ADMIN, { id: 'web-0002', action: 'pump', on: false });
    expect(again).toEqual(first);
    expect(calls).toHaveLength(1);
  });

  it('maps refusals: a viewer 403, a safety rule 409, malformed 400, over the rate 429, no such tank 404', async () => {
    const refused =
      (reason: string) =>
      (p: Record<string, unknown>): CommandResult => ({
        id: String(p.id),
        result: 'refused',
        reason,
        time: 't',
      });
    expect(
      asPlain(
        await setup(refused('user vic (role viewer) may not send commands')).send(VIEWER, {
          id: 'web-0003',
          action: 'valve',
          open: true,
        }),
      ).status,
    ).toBe(403);
    expect(
      asPlain(
        await setup(refused('refused: the high-high probe is wet')).send(ADMIN, {
          id: 'web-0004',
          action: 'valve',
          open: true,
        }),
      ).status,
    ).toBe(409);
    expect(
      asPlain(
        await setup(refused('malformed: open: expected boolean')).send(ADMIN, {
          id: 'web-0005',
          action: 'valve',
          open: 1,
        }),
      ).status,
    ).toBe(400);
    expect(
      asPlain(await setup(() => undefined).send(ADMIN, { id: 'web-0006', action: 'valve', open: true }))
        .status,
    ).toBe(429);
    expect(
      asPlain(await setup(accepted).send(ADMIN, { id: 'web-0007', action: 'valve', open: true }, 'pond'))
        .status,
    ).toBe(404);
  });

  it('the page may not set the tank or the time itself', async () => {
    const { calls, send } = setup(accepted);
    expect(asPlain(await send(ADMIN, { id: 'web-0008', action: 'valve', open: true, ts: 1 })).status).toBe(
      400,
    );
    expect(
      asPlain(await send(ADMIN, { id: 'web-0009', action: 'valve', open: true, tank: 'farm' })).status,
    ).toBe(400);
    expect(asPlain(await send(ADMIN, ['valve'])).status).toBe(400);
    expect(calls).toHaveLength(0);
  });
});

describe('metrics access', () => {
  const dir = tempDir('metrics-');
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, 'first-token-0123456789\n');
  const routes = metricsRoutes({ render: () => 'smart_tank_up 1\n', roles: ['admin'], tokenFile });
  const get = (r: Partial<WebRequest>) =>
    handler(routes, 'GET', '/metrics')(request({ path: '/metrics', ...r })) as Promise<WebResponse>;

  it('needs the token or an allowed role', async () => {
    const none = asPlain(await get({}));
    expect(none.status).toBe(401);
    expect(none.headers!['www-authenticate']).toMatch(/^Bearer/);
    expect(
      asPlain(await get({ headers: { host: 'x', authorization: 'Bearer wrong-token-0000' } })).status,
    ).toBe(401);
    const ok = asPlain(await get({ headers: { host: 'x', authorization: 'Bearer first-token-0123456789' } }));
    expect(ok.status).toBe(200);
    expect(ok.headers!['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(asPlain(await handler(routes, 'GET', '/metrics')(as(VIEWER, { path: '/metrics' }))).status).toBe(
      403,
    );
    expect(asPlain(await handler(routes, 'GET', '/metrics')(as(ADMIN, { path: '/metrics' }))).status).toBe(
      200,
    );
  });

  it('a rotated token works without a restart; the old one no longer does', async () => {
    writeFileSync(tokenFile, 'second-token-0123456789\n');
    expect(
      asPlain(await get({ headers: { host: 'x', authorization: 'Bearer second-token-0123456789' } })).status,
    ).toBe(200);
    expect(
      asPlain(await get({ headers: { host: 'x', authorization: 'Bearer first-token-0123456789' } })).status,
    ).toBe(401);
  });
});

describe('trends and alarms', () => {
  const now = Date.UTC(2026, 5, 10, 12);
  const points = Array.from({ length: 12 * 24 * 8 }, (_, i) => ({
    tank: 'house',
    t: now - 8 * 86_400_000 + i * 300_000,
    levelPct: 50,
    litres: 1000 - (i % 288),
    valveOpen: false,
    pumpOn: true,
  }));
  const asked: string[] = [];
  const routes = trendRoutes({
    history: {
      history: (tank, from, to, res) => {
        asked.push(`${tank} ${res} ${(to - from) / 86_400_000}`);
        return points.filter((p) => p.t >= from && p.t <= to);
      },
    },
    state: { tankState: () => undefined },
    tankIds: ['house'],
    now: () => now,
    localDay: (t) => Math.floor(t / 86_400_000),
    fineDays: 30,
  });
  const trend = (tank: string, range?: string) =>
    handler(
      routes,
      'GET',
      '/api/tanks/:tank/trend',
    )(
      request({
        path: `/api/tanks/${tank}/trend`,
        params: { tank },
        query: new URLSearchParams(range ? { range } : {}),
      }),
    ) as Promise<WebResponse>;

  it('compresses the trend for a browser that accepts gzip', async () => {
    const { gunzipSync } = await import('node:zlib');
    const r = asPlain(
      await handler(
        routes,
        'GET',
        '/api/tanks/:tank/trend',
      )(
        request({
          path: '/api/tanks/house/trend',
          params: { tank: 'house' },
          query: new URLSearchParams({ range: '7d' }),
          headers: { host: 'x', 'accept-encoding': 'gzip, br' },
        }),
      ),
    );
    expect(r.headers!['content-encoding']).toBe('gzip');
    expect(JSON.parse(gunzipSync(r.body as unknown as Buffer).toString())).toMatchObject({
      tank: 'house',
      range: '7d',
    });
  });

  it('answers one tank and range, with its server time, and at least a week for the use estimate', async () => {
    const r = asPlain(await trend('house', '24h'));
    expect(r.status).toBe(200);
    expect(r.headers!['server-timing']).toMatch(/^trend;dur=\d+(\.\d)?, cache;desc="miss"$/);
    const t = JSON.parse(String(r.body)) as { t: number[]; usePerDayLitres: number; range: string };
    expect(t.range).toBe('24h');
    expect(t.t.length).toBeGreaterThan(280);
    expect(asked.at(-1)).toBe('house fine 7');
    expect(t.usePerDayLitres).toBeGreaterThan(0);
    // Asked again within the minute: the same answer without touching the history.
    const asks = asked.length;
    const again = asPlain(await trend('house', '24h'));
    expect(again.headers!['server-timing']).toMatch(/cache;desc="hit"$/);
    expect(again.body).toEqual(r.body);
    expect(asked).toHaveLength(asks);
    expect(asPlain(await trend('house', '1y')).status).toBe(400);
    expect(asPlain(await trend('pond', '24h')).status).toBe(404);
  });

  it('lists active alarms with when and why they were raised, and whether they are acknowledged', async () => {
    const raise = {
      time: '2026-06-10T10:00:00.000Z',
      timeSynced: true,
      tank: 'house',
      type: 'alarm',
      alarm: 'sensor-stale',
      active: true,
      severity: 'alarm',
      message: 'no reading',
    };
    const routes2 = alarmRoutes({
      history: { events: () => [{ tank: 'house', t: 1, type: 'alarm', event: JSON.stringify(raise) }] },
      state: {
        tankStates: () => [
          {
            tank: 'house',
            alarms: ['sensor-stale', 'unclean-restart'],
            acknowledged: ['sensor-stale'],
          } as unknown as TankStatePayload,
        ],
      },
      now: () => now,
    });
    const r = body(await handler(routes2, 'GET', '/api/alarms')(request({ path: '/api/alarms' })));
    expect(r.active).toEqual([
      {
        tank: 'house',
        alarm: 'sensor-stale',
        acknowledged: true,
        since: raise.time,
        severity: 'alarm',
        message: 'no reading',
      },
      { tank: 'house', alarm: 'unclean-restart', acknowledged: false },
    ]);
    expect(r.recent).toEqual([raise]);
  });
});
