// Read-only views of the gateway: tank states, trends, alarms (active and recent), health, and for
// admins the audit log with its chain's status. Each handler takes only what it reads.

import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { AlarmKind } from '../../control/types.js';
import type { HistoryReader } from '../../runtime/mqtt-plane.js';
import type { SystemHealth, TankEventPayload, TankStatePayload } from '../../telemetry/topics.js';
import type { AuditReader } from '../audit-reader.js';
import { header, json, problem, type Route } from '../http.js';
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

/**
 * A computed trend is reused this long (the history gains a point every 5 minutes): phones that open
 * the page together, or one that reloads it again and again, cost the control loop one computation.
 */
export const TREND_CACHE_MS = 60_000;
const gzipAsync = promisify(gzip);

interface CachedTrend {
  atMs: number;
  computeMs: number;
  raw: Buffer;
  gz: Buffer;
}

export function trendRoutes(deps: TrendRouteDeps): Route[] {
  const cache = new Map<string, Promise<CachedTrend>>();
  const compute = async (tank: string, range: TrendRange, now: number): Promise<CachedTrend> => {
    const started = performance.now();
    const spanMs = Math.max(RANGES[range], RECENT_USE_MS);
    const resolution = spanMs <= deps.fineDays * 86_400_000 ? 'fine' : 'coarse';
    const points = deps.history.history(tank, now - spanMs, now, resolution);
    const trend = buildTrend(points, range, now, deps.localDay, deps.state.tankState(tank)?.litres ?? null);
    const raw = Buffer.from(JSON.stringify({ tank, ...trend }));
    const computeMs = performance.now() - started;
    // Compressed in the thread pool: a month of points is ~35 KB of JSON, ~8 KB over a weak link.
    return { atMs: now, computeMs, raw, gz: await gzipAsync(raw, { level: 6 }) };
  };
  return [
    {
      method: 'GET',
      path: '/api/tanks/:tank/trend',
      access: 'session',
      handler: async (req) => {
        const tank = req.params.tank!;
        if (!deps.tankIds.includes(tank)) return problem(404, 'tank', `No tank "${tank}".`);
        const range = (req.query.get('range') ?? '24h') as TrendRange;
        if (!(range in RANGES)) return problem(400, 'range', 'range must be 24h, 7d or 30d.');
        const now = deps.now();
        const key = `${tank}\u0000${range}`;
        let entry = cache.get(key);
        let hit = true;
        if (!entry || now - (await entry).atMs >= TREND_CACHE_MS || now < (await entry).atMs) {
          hit = false;
          entry = compute(tank, range, now);
          cache.set(key, entry);
          entry.catch(() => cache.delete(key));
        }
        const t = await entry;
        const gzipOk = /\bgzip\b/i.test(header(req, 'accept-encoding') ?? '');
        return {
          status: 200,
          headers: {
            'content-type': 'application/json; charset=utf-8',
            'cache-control': 'no-store',
            vary: 'accept-encoding',
            'server-timing': `trend;dur=${t.computeMs.toFixed(1)}, cache;desc="${hit ? 'hit' : 'miss'}"`,
            ...(gzipOk ? { 'content-encoding': 'gzip' } : {}),
          },
          body: gzipOk ? t.gz : t.raw,
        };
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
