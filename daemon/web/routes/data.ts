// Read-only views of the gateway: tank states, trends, alarms (active and recent), health, and for
// admins the audit log with its chain's status. Each handler takes only what it reads.

import type { AlarmKind } from '../../control/types.js';
import type { HistoryReader } from '../../runtime/mqtt-plane.js';
import type { SystemHealth, TankEventPayload, TankStatePayload } from '../../telemetry/topics.js';
import type { AuditReader } from '../audit-reader.js';
import { json, problem, type Route } from '../http.js';
import { buildTrend, RANGES, RECENT_USE_MS, type LocalDay, type TrendRange } from '../trends.js';

export interface StateReader {
  tankStates(): TankStatePayload[];
  tankState(tank: string): TankStatePayload | undefined;
  latestSystem(): SystemHealth | undefined;
}

export function stateRoutes(deps: { state: StateReader }): Route[] {
  return [
    {
      method: 'GET',
      path: '/api/tanks',
      access: 'session',
      handler: () => json(200, { tanks: deps.state.tankStates() }),
    },
    {
      method: 'GET',
      path: '/api/system',
      access: 'session',
      handler: () => json(200, { system: deps.state.latestSystem() ?? null }),
    },
  ];
}

export interface TrendRouteDeps {
  history: Pick<HistoryReader, 'history'>;
  state: Pick<StateReader, 'tankState'>;
  tankIds: readonly string[];
  /** Wall-clock ms. */
  now: () => number;
  localDay: LocalDay;
  /** Days of 5-minute history kept (older trends come from hourly points). */
  fineDays: number;
}

export function trendRoutes(deps: TrendRouteDeps): Route[] {
  return [
    {
      method: 'GET',
      path: '/api/tanks/:tank/trend',
      access: 'session',
      handler: (req) => {
        const started = performance.now();
        const tank = req.params.tank!;
        if (!deps.tankIds.includes(tank)) return problem(404, 'tank', `No tank "${tank}".`);
        const range = (req.query.get('range') ?? '24h') as TrendRange;
        if (!(range in RANGES)) return problem(400, 'range', 'range must be 24h, 7d or 30d.');
        const now = deps.now();
        const spanMs = Math.max(RANGES[range], RECENT_USE_MS);
        const resolution = spanMs <= deps.fineDays * 86_400_000 ? 'fine' : 'coarse';
        const points = deps.history.history(tank, now - spanMs, now, resolution);
        const trend = buildTrend(
          points,
          range,
          now,
          deps.localDay,
          deps.state.tankState(tank)?.litres ?? null,
        );
        const ms = performance.now() - started;
        return json(200, { tank, ...trend }, { 'server-timing': `trend;dur=${ms.toFixed(1)}` });
      },
    },
  ];
}

export interface ActiveAlarm {
  tank: string;
  alarm: AlarmKind;
  acknowledged: boolean;
  /** From the raise event, when the history has it. */
  since?: string;
  severity?: string;
  message?: string;
}

const ALARM_LOOKBACK_MS = 30 * 86_400_000;
const RECENT_EVENTS = 100;

export function alarmRoutes(deps: {
  history: Pick<HistoryReader, 'events'>;
  state: Pick<StateReader, 'tankStates'>;
  now: () => number;
}): Route[] {
  return [
    {
      method: 'GET',
      path: '/api/alarms',
      access: 'session',
      handler: () => {
        const events = deps.history
          .events(deps.now() - ALARM_LOOKBACK_MS, 1000)
          .map((e) => JSON.parse(e.event) as TankEventPayload);
        const raised = new Map<string, TankEventPayload & { type: 'alarm' }>();
        for (const e of events)
          if (e.type === 'alarm' && e.active && !raised.has(`${e.tank}/${e.alarm}`))
            raised.set(`${e.tank}/${e.alarm}`, e);
        const active: ActiveAlarm[] = [];
        for (const t of deps.state.tankStates()) {
          const acknowledged = new Set(t.acknowledged ?? []);
          for (const alarm of t.alarms) {
            const e = raised.get(`${t.tank}/${alarm}`);
            active.push({
              tank: t.tank,
              alarm,
              acknowledged: acknowledged.has(alarm),
              ...(e ? { since: e.time, severity: e.severity, message: e.message } : {}),
            });
          }
        }
        return json(200, { active, recent: events.slice(0, RECENT_EVENTS) });
      },
    },
  ];
}

export function auditRoutes(deps: { audit: AuditReader }): Route[] {
  return [
    {
      method: 'GET',
      path: '/api/audit',
      access: 'admin',
      handler: async (req) => {
        const limit = Math.min(200, Math.max(1, Number(req.query.get('limit') ?? 50) || 50));
        return json(200, await deps.audit.read(limit));
      },
    },
  ];
}
