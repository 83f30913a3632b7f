// Login, logout and "who am I": the dashboard's door into the one login check every door shares
// (LoginGuard: lockout per address and user name, audit of every login, failure and lockout).

import type { AuditEntry } from '../../security/audit-log.js';
import type { LoginAttempt, LoginOutcome } from '../../security/login-guard.js';
import { mayCommand, type UserRecord } from '../../security/roles.js';
import { sessionCookie } from '../app.js';
import { json, problem, type Route, type WebRequest } from '../http.js';
import { csrfTokenFor, type SessionStore } from '../sessions.js';

/** What the page needs to know about the gateway and its tanks (names, sizes, limits). */
export interface DashboardInfo {
  gateway: { id: string; name: string | null; timezone: string };
  tanks: {
    id: string;
    name: string | null;
    capacityLitres: number;
    hasPump: boolean;
    manualMaxMinutes: number;
    criticalPct: number;
  }[];
  version: string;
}

export interface SessionRouteDeps {
  login: { login(attempt: LoginAttempt): Promise<LoginOutcome> };
  sessions: SessionStore;
  users: { readonly userCount: number; refresh(): Promise<void> };
  audit: (entry: AuditEntry) => void;
  info: DashboardInfo;
  lockoutMinutes: number;
  /** Session lifetime, for the cookie's Max-Age. */
  absoluteMs: number;
}

const MAX_FIELD_CHARS = 256;

export function sessionRoutes(deps: SessionRouteDeps): Route[] {
  const you = (user: UserRecord, token: string) => ({
    user: { name: user.user, role: user.role, canCommand: mayCommand(user) },
    csrf: csrfTokenFor(token),
    ...deps.info,
  });

  return [
    {
      method: 'GET',
      path: '/api/session',
      access: 'public',
      handler: async (req) => {
        if (req.session) return json(200, you(req.session.user, req.session.token));
        await deps.users.refresh();
        return json(200, {
          user: null,
          usersExist: deps.users.userCount > 0,
          gateway: { name: deps.info.gateway.name },
        });
      },
    },
    {
      method: 'POST',
      path: '/api/login',
      access: 'public',
      handler: async (req) => {
        const { user, password } = fields(req);
        const outcome = await deps.login.login({ user, password, address: req.address, door: 'web' });
        if (!outcome.ok) {
          return outcome.reason === 'locked'
            ? json(429, {
                error: 'locked',
                minutes: deps.lockoutMinutes,
                message: `Too many failed logins from this address: try again in ${deps.lockoutMinutes} minutes.`,
              })
            : problem(401, 'refused', 'Wrong user name or password.');
        }
        if (!outcome.record || outcome.record.role === 'gateway')
          return problem(403, 'no-role', 'This user has no dashboard role (see smart-tank user list).');
        const { token } = deps.sessions.create(outcome.user, req.address);
        return json(200, you(outcome.record, token), {
          'set-cookie': sessionCookie(token, req.secure, deps.absoluteMs / 1000),
        });
      },
    },
    {
      method: 'POST',
      path: '/api/logout',
      access: 'session',
      handler: (req) => {
        const s = req.session!;
        deps.sessions.destroy(s.token);
        deps.audit({
          kind: 'login',
          who: s.user.user,
          from: req.address,
          what: 'dashboard logout',
          result: 'session ended',
        });
        return json(200, { user: null }, { 'set-cookie': sessionCookie('', req.secure, 0) });
      },
    },
  ];
}

function fields(req: WebRequest): { user?: string; password?: string } {
  const b = req.body as Record<string, unknown> | undefined;
  const str = (v: unknown) =>
    typeof v === 'string' && v.length > 0 && v.length <= MAX_FIELD_CHARS ? v : undefined;
  return { user: str(b?.user)?.trim(), password: str(b?.password) };
}
