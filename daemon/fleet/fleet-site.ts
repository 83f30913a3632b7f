// The fleet page's web site, built from the farmer's dashboard's parts (daemon/web/): its request
// pipeline (host check, sessions, roles, CSRF), listeners, login route (LoginGuard: lockout, audit),
// live stream, /metrics route and asset catalog. The page itself is daemon/fleet/client/, layered over
// the dashboard's client (its login view, api, ui, format, strings, styles and icons are reused).

import { dirname, join } from 'node:path';
import type { Logger } from '../log.js';
import type { AuditEntry } from '../security/audit-log.js';
import type { Credentials } from '../security/credentials.js';
import type { LoginGuard } from '../security/login-guard.js';
import { createApp } from '../web/app.js';
import { AssetCatalog, DEFAULT_CLIENT_DIR } from '../web/assets.js';
import { liveRoutes } from '../web/routes/live.js';
import { metricsRoutes } from '../web/routes/metrics.js';
import { sessionRoutes } from '../web/routes/session.js';
import { staticRoutes } from '../web/routes/static.js';
import { WebServer } from '../web/server.js';
import { SessionStore } from '../web/sessions.js';
import type { FleetConfig } from './config.js';
import type { FleetFeed } from './fleet-feed.js';
import { fleetRoutes, type FleetRouteDeps } from './fleet-routes.js';

/** daemon/fleet/client in a source checkout or a package (plain modules: not compiled). */
export const FLEET_CLIENT_DIR = join(dirname(DEFAULT_CLIENT_DIR), '..', 'fleet', 'client');
export const SESSIONS_FILE = 'fleet-sessions.json';
const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

export interface FleetSiteDeps extends FleetRouteDeps {
  config: FleetConfig;
  credentials: Credentials;
  login: Pick<LoginGuard, 'login'>;
  feed: FleetFeed;
  metricsText(): string;
  audit(entry: AuditEntry): void;
  now(): number;
  version: string;
  log: Logger;
}

export class FleetSite {
  readonly sessions: SessionStore;
  readonly assets: AssetCatalog;
  readonly streams = { open: 0 };
  private server: WebServer | undefined;

  constructor(private readonly deps: FleetSiteDeps) {
    const web = deps.config.web;
    this.sessions = new SessionStore({
      file: join(deps.config.stateDir, SESSIONS_FILE),
      policy: {
        idleMs: web.session.idleMinutes * MINUTE_MS,
        absoluteMs: web.session.absoluteDays * DAY_MS,
        maxPerUser: web.session.maxPerUser,
      },
      now: deps.now,
      log: deps.log.child('sessions'),
    });
    // No precompressed cache for the fleet page: a server compresses it once at start.
    this.assets = new AssetCatalog(
      [FLEET_CLIENT_DIR, DEFAULT_CLIENT_DIR],
      deps.log.child('assets'),
      undefined,
    );
  }

  get listening() {
    return this.server?.listening ?? [];
  }

  async start(): Promise<void> {
    const { config, credentials, log } = this.deps;
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

  private routes() {
    const d = this.deps;
    const web = d.config.web;
    return [
      ...staticRoutes({ assets: this.assets }),
      ...sessionRoutes({
        login: d.login,
        sessions: this.sessions,
        users: d.credentials,
        audit: d.audit,
        info: {
          gateway: { id: 'fleet', name: `${d.config.site} fleet`, timezone: d.config.timezone },
          tanks: [],
          version: d.version,
        },
        lockoutMinutes: d.config.lockout.lockoutMinutes,
        absoluteMs: web.session.absoluteDays * DAY_MS,
      }),
      ...liveRoutes({
        feed: d.feed,
        sessions: this.sessions,
        maxStreams: web.maxStreams,
        streams: this.streams,
        log: d.log.child('live'),
      }),
      ...fleetRoutes(d),
      ...(web.metrics.enabled
        ? metricsRoutes({ render: d.metricsText, roles: web.metrics.roles, tokenFile: web.metrics.tokenFile })
        : []),
    ];
  }
}
