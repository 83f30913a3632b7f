// The dashboard's web site: sessions, the page's assets, the routes with the capabilities each takes,
// and the listeners. Loaded by the dashboard only when web.enabled (a gateway without it does not pay
// for an HTTP server).

import { join } from 'node:path';
import { LocalTime } from '../clock.js';
import { createApp } from './app.js';
import { AssetCatalog, DEFAULT_CLIENT_DIR } from './assets.js';
import { AuditReader } from './audit-reader.js';
import type { DashboardDeps } from './dashboard.js';
import type { Route } from './http.js';
import type { LiveFeed } from './live-feed.js';
import { commandRoutes } from './routes/commands.js';
import { alarmRoutes, auditRoutes, stateRoutes, trendRoutes } from './routes/data.js';
import { liveRoutes } from './routes/live.js';
import { metricsRoutes } from './routes/metrics.js';
import { sessionRoutes, type DashboardInfo } from './routes/session.js';
import { staticRoutes } from './routes/static.js';
import { WebServer } from './server.js';
import { SessionStore } from './sessions.js';
import { localDayIn } from './trends.js';

export const SESSIONS_FILE = 'web-sessions.json';
const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

export interface WebSiteDeps extends DashboardDeps {
  feed: LiveFeed;
  metricsText: () => string;
}

export class WebSite {
  readonly sessions: SessionStore;
  readonly assets: AssetCatalog;
  private readonly streams = { open: 0 };
  private server: WebServer | undefined;

  constructor(private readonly deps: WebSiteDeps) {
    const { config, clock, log } = deps;
    const web = config.web;
    this.sessions = new SessionStore({
      file: join(config.gateway.stateDir, SESSIONS_FILE),
      policy: {
        idleMs: web.session.idleMinutes * MINUTE_MS,
        absoluteMs: web.session.absoluteDays * DAY_MS,
        maxPerUser: web.session.maxPerUser,
      },
      now: () => clock.wallMs(),
      log: log.child('sessions'),
    });
    this.assets = new AssetCatalog(deps.clientDir ?? DEFAULT_CLIENT_DIR, log.child('assets'));
  }

  get listening() {
    return this.server?.listening ?? [];
  }

  counters(): { streams: number; sessions: number } {
    return { streams: this.streams.open, sessions: this.sessions.size };
  }

  async start(): Promise<void> {
    const { config, log, credentials } = this.deps;
    await this.sessions.load();
    await this.assets.load();
    this.server = new WebServer({
      web: config.web,
      app: createApp({
        routes: this.routes(),
        sessions: this.sessions,
        users: credentials,
        hostnames: config.web.hostnames,
        log,
      }),
      users: credentials,
      log,
    });
    await this.server.start();
  }

  async stop(): Promise<void> {
    try {
      await this.server?.stop();
    } finally {
      await this.sessions.flush();
    }
  }

  private routes(): Route[] {
    const { config, clock, plane, login, credentials, audit, log, feed } = this.deps;
    const tankIds = config.tanks.map((t) => t.id);
    const now = () => clock.wallMs();
    const localTime = new LocalTime(config.gateway.timezone);
    const info: DashboardInfo = {
      gateway: {
        id: config.gateway.id,
        name: config.gateway.name ?? null,
        timezone: config.gateway.timezone,
      },
      tanks: this.deps.tanks.map(({ tank, capacityLitres }) => ({
        id: tank.id,
        name: tank.name ?? null,
        capacityLitres: Math.round(capacityLitres),
        hasPump: tank.pump !== undefined,
        manualMaxMinutes: tank.control.manualMaxMinutes,
        criticalPct: tank.control.criticalPct,
      })),
      version: this.deps.version,
    };
    return [
      ...staticRoutes({ assets: this.assets }),
      ...sessionRoutes({
        login,
        sessions: this.sessions,
        users: credentials,
        audit,
        info,
        lockoutMinutes: config.mqtt.lockout.lockoutMinutes,
        absoluteMs: config.web.session.absoluteDays * DAY_MS,
      }),
      ...liveRoutes({
        feed,
        sessions: this.sessions,
        maxStreams: config.web.maxStreams,
        streams: this.streams,
        log: log.child('live'),
      }),
      ...stateRoutes({ state: feed }),
      ...trendRoutes({
        history: plane.history,
        state: feed,
        tankIds,
        now,
        localDay: localDayIn((t) => localTime.hourOfDay(t)),
        fineDays: config.mqtt.store.fineDays,
      }),
      ...alarmRoutes({ history: plane.history, state: feed, now }),
      ...auditRoutes({ audit: new AuditReader(this.deps.auditFile) }),
      ...commandRoutes({ submitCommand: (o, p) => plane.submitCommand(o, p), tankIds, now }),
      ...(config.web.metrics.enabled
        ? metricsRoutes({
            render: this.deps.metricsText,
            roles: config.web.metrics.roles,
            tokenFile: config.web.metrics.tokenFile,
          })
        : []),
    ];
  }
}
