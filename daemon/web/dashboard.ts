// The farmer's dashboard as one component with one lifecycle: the live feed (fed by the gateway at the
// same points as MQTT), sessions, the page's assets, the routes and the listeners, plus notifications
// (daemon/notify/), which read the same feed. The gateway hands it decisions and health; it reaches the
// rest of the daemon only through the capabilities below.

import { join } from 'node:path';
import type { Clock } from '../clock.js';
import type { Config, TankConfig } from '../config/schema.js';
import type { CommandOrigin, CommandResult } from '../commands/command-service.js';
import type { Decision } from '../control/types.js';
import type { LevelReading } from '../level/estimator.js';
import type { Logger } from '../log.js';
import { Notifications } from '../notify/notifications.js';
import type { HistoryReader } from '../runtime/mqtt-plane.js';
import type { AuditEntry } from '../security/audit-log.js';
import type { Credentials } from '../security/credentials.js';
import type { LoginGuard } from '../security/login-guard.js';
import { systemPayload, TankTelemetry, type Publisher } from '../telemetry/telemetry.js';
import type { SystemHealth, TankEventPayload, TankStatePayload, Topics } from '../telemetry/topics.js';
import { LocalTime } from '../clock.js';
import { createApp } from './app.js';
import { AssetCatalog, DEFAULT_CLIENT_DIR } from './assets.js';
import { AuditReader } from './audit-reader.js';
import type { Route } from './http.js';
import { LiveFeed } from './live-feed.js';
import { renderMetrics, TickHistogram } from './metrics.js';
import { commandRoutes } from './routes/commands.js';
import { alarmRoutes, auditRoutes, stateRoutes, trendRoutes } from './routes/data.js';
import { liveRoutes } from './routes/live.js';
import { metricsRoutes } from './routes/metrics.js';
import { sessionRoutes, type DashboardInfo } from './routes/session.js';
import { staticRoutes } from './routes/static.js';
import { WebServer } from './server.js';
import { SessionStore } from './sessions.js';
import { localDayFrom } from './trends.js';

export const SESSIONS_FILE = 'web-sessions.json';
const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

export interface DashboardDeps {
  config: Config;
  clock: Clock;
  log: Logger;
  credentials: Credentials;
  login: LoginGuard;
  audit: (entry: AuditEntry) => void;
  auditFile: string;
  /** The MQTT plane's command path and history, and its link state for the metrics. */
  plane: {
    submitCommand(origin: CommandOrigin, payload: Buffer): Promise<CommandResult | undefined>;
    readonly history: HistoryReader;
    readonly connected: boolean;
    readonly outboxMessages: number;
  };
  topics: Topics;
  tanks: { tank: TankConfig; capacityLitres: number }[];
  version: string;
  /** Where the page's files are (tests and packages may move them). */
  clientDir?: string;
}

export class Dashboard {
  readonly feed: LiveFeed;
  readonly sessions: SessionStore;
  readonly assets: AssetCatalog;
  private readonly telemetry = new Map<string, TankTelemetry>();
  private readonly tick = new TickHistogram();
  private readonly streams = { open: 0 };
  private readonly startTimeS = Math.round(Date.now() / 1000);
  private server: WebServer | undefined;
  private notifications: Notifications | undefined;

  constructor(private readonly deps: DashboardDeps) {
    const { config, clock, log, topics } = deps;
    const web = config.web;
    this.feed = new LiveFeed(web.replayEvents);
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
    // The feed gets exactly what MQTT gets: the same payloads, published by the same rule.
    for (const { tank, capacityLitres } of deps.tanks) {
      const publisher: Publisher = {
        publish: (topic, payload) => {
          if (topic === topics.tankState(tank.id))
            this.feed.publishState(JSON.parse(payload) as TankStatePayload, payload);
          else if (topic === topics.tankEvent(tank.id))
            this.feed.publishEvent(JSON.parse(payload) as TankEventPayload, payload);
        },
      };
      this.telemetry.set(
        tank.id,
        new TankTelemetry(tank, capacityLitres, topics, config.mqtt, publisher, clock),
      );
    }
    if (config.notify) {
      this.notifications = new Notifications({
        notify: config.notify,
        gateway: { id: config.gateway.id, name: config.gateway.name, timezone: config.gateway.timezone },
        tanks: deps.tanks.map((t) => ({ id: t.tank.id, name: t.tank.name })),
        feed: this.feed,
        users: deps.credentials,
        clock,
        file: join(config.gateway.stateDir, 'notify.db'),
        log: log.child('notify'),
      });
    }
  }

  publishDecision(tankId: string, decision: Decision, reading: LevelReading, force = false): void {
    this.telemetry.get(tankId)?.publishDecision(decision, reading, force);
  }

  publishSystem(health: Omit<SystemHealth, 'time' | 'timeSynced'>): void {
    this.feed.publishSystem(systemPayload(health, this.deps.clock));
  }

  /** A completed control tick's duration, for the metrics. */
  recordTick(ms: number): void {
    this.tick.observe(ms);
  }

  get listening() {
    return this.server?.listening ?? [];
  }

  /** Never fails the gateway: the tank is controlled whatever the dashboard does (a failure is logged). */
  async start(): Promise<void> {
    const { log } = this.deps;
    try {
      await this.notifications?.start();
    } catch (err) {
      this.notifications = undefined;
      log.error('notifications cannot start: none will be sent', { error: err as Error });
    }
    try {
      await this.startServer();
    } catch (err) {
      this.server = undefined;
      log.error('dashboard cannot start: the tank runs on without it', { error: err as Error });
    }
  }

  private async startServer(): Promise<void> {
    const { config, log, credentials } = this.deps;
    if (!config.web.enabled) return;
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
    const errors: unknown[] = [];
    for (const step of [
      () => this.server?.stop(),
      () => this.sessions.flush(),
      () => this.notifications?.stop(),
    ]) {
      try {
        await step();
      } catch (err) {
        errors.push(err);
      }
    }
    if (errors.length > 0) throw new AggregateError(errors, 'stopping the dashboard');
  }

  metricsText(): string {
    const { config, plane } = this.deps;
    const mem = process.memoryUsage();
    return renderMetrics({
      gateway: config.gateway.id,
      tanks: this.feed.tankStates(),
      system: this.feed.latestSystem(),
      tick: this.tick,
      mqtt: { connected: plane.connected, outboxMessages: plane.outboxMessages },
      process: { rssBytes: mem.rss, heapUsedBytes: mem.heapUsed, startTimeS: this.startTimeS },
      dashboard: { streams: this.streams.open, sessions: this.sessions.size },
      ...(this.notifications ? { notifications: this.notifications.counters() } : {}),
    });
  }

  private routes(): Route[] {
    const { config, clock, plane, login, credentials, audit, log } = this.deps;
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
        feed: this.feed,
        sessions: this.sessions,
        maxStreams: config.web.maxStreams,
        streams: this.streams,
        log: log.child('live'),
      }),
      ...stateRoutes({ state: this.feed }),
      ...trendRoutes({
        history: plane.history,
        state: this.feed,
        tankIds,
        now,
        localDay: localDayFrom((t) => localTime.hourOfDay(t)),
        fineDays: config.mqtt.store.fineDays,
      }),
      ...alarmRoutes({ history: plane.history, state: this.feed, now }),
      ...auditRoutes({ audit: new AuditReader(this.deps.auditFile) }),
      ...commandRoutes({ submitCommand: (o, p) => plane.submitCommand(o, p), tankIds, now }),
      ...(config.web.metrics.enabled
        ? metricsRoutes({
            render: () => this.metricsText(),
            roles: config.web.metrics.roles,
            tokenFile: config.web.metrics.tokenFile,
          })
        : []),
    ];
  }
}
