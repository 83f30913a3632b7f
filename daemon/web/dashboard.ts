// The farmer's dashboard as one component with one lifecycle: the live feed (fed by the gateway at the
// same points as MQTT, with the same payloads), the web site (site.ts: sessions, the page, the routes,
// the listeners) and notifications (daemon/notify/), which read the same feed. The site and the
// notifications are loaded only when configured, so a gateway without them pays for neither. The
// gateway hands in decisions and health; the rest of the daemon is reached through capabilities only.

import type { Clock } from '../clock.js';
import type { Config, TankConfig } from '../config/schema.js';
import type { CommandOrigin, CommandResult } from '../commands/command-service.js';
import type { Decision } from '../control/types.js';
import type { LevelReading } from '../level/estimator.js';
import type { Logger } from '../log.js';
import type { Notifications } from '../notify/notifications.js';
import type { HistoryReader } from '../runtime/mqtt-plane.js';
import type { AuditEntry } from '../security/audit-log.js';
import type { Credentials } from '../security/credentials.js';
import type { LoginGuard } from '../security/login-guard.js';
import { systemPayload, TankTelemetry, type Publisher } from '../telemetry/telemetry.js';
import type { SystemHealth, TankEventPayload, TankStatePayload, Topics } from '../telemetry/topics.js';
import { LiveFeed } from './live-feed.js';
import { renderMetrics, TickHistogram } from './metrics.js';
import type { WebSite } from './site.js';

export const NOTIFY_DB_FILE = 'notify.db';

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
  private readonly telemetry = new Map<string, TankTelemetry>();
  private readonly tick = new TickHistogram();
  private readonly startTimeS = Math.round(Date.now() / 1000);
  private site: WebSite | undefined;
  private notifications: Notifications | undefined;

  constructor(private readonly deps: DashboardDeps) {
    const { config, clock, topics } = deps;
    this.feed = new LiveFeed(config.web.replayEvents);
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

  get listening(): { host: string; port: number; protocol: 'http' | 'https'; kind: string }[] {
    return this.site?.listening ?? [];
  }

  /** Never fails the gateway: the tank is controlled whatever the dashboard does (a failure is logged). */
  async start(): Promise<void> {
    const { config, log } = this.deps;
    if (config.notify) {
      try {
        const { Notifications } = await import('../notify/notifications.js');
        const { join } = await import('node:path');
        this.notifications = new Notifications({
          notify: config.notify,
          gateway: { id: config.gateway.id, name: config.gateway.name, timezone: config.gateway.timezone },
          tanks: this.deps.tanks.map((t) => ({ id: t.tank.id, name: t.tank.name })),
          feed: this.feed,
          users: this.deps.credentials,
          clock: this.deps.clock,
          file: join(config.gateway.stateDir, NOTIFY_DB_FILE),
          log: log.child('notify'),
        });
        await this.notifications.start();
      } catch (err) {
        this.notifications = undefined;
        log.error('notifications cannot start: none will be sent', { error: err as Error });
      }
    }
    if (!config.web.enabled) return;
    try {
      const { WebSite } = await import('./site.js');
      this.site = new WebSite({ ...this.deps, feed: this.feed, metricsText: () => this.metricsText() });
      await this.site.start();
    } catch (err) {
      this.site = undefined;
      log.error('dashboard cannot start: the tank runs on without it', { error: err as Error });
    }
  }

  async stop(): Promise<void> {
    const errors: unknown[] = [];
    for (const step of [() => this.site?.stop(), () => this.notifications?.stop()]) {
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
      dashboard: this.site?.counters() ?? { streams: 0, sessions: 0 },
      ...(this.notifications ? { notifications: this.notifications.counters() } : {}),
    });
  }
}
