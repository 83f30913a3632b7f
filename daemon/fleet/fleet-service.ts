// The fleet service: one place that builds everything and starts it in order (state file, users, audit
// log, web site, central link, the once-a-second view for live pages), and stops it in reverse, each
// part on its own so that one failing does not leave the others running.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import { readFileIfExists, writeFileAtomic } from '../runtime/atomic-file.js';
import { AuditLog, type AuditEntry } from '../security/audit-log.js';
import { Credentials } from '../security/credentials.js';
import { LoginGuard } from '../security/login-guard.js';
import { CentralLink } from './central-link.js';
import { CommandSender } from './command-sender.js';
import type { FleetConfig } from './config.js';
import { FleetFeed } from './fleet-feed.js';
import { renderFleetMetrics } from './fleet-metrics.js';
import { FleetSite } from './fleet-site.js';
import { FleetState, type FleetSnapshotFile } from './fleet-state.js';
import { fleetView, type FleetView } from './fleet-view.js';
import { loadPlaces, type GatewayPlace } from './inventory.js';

export const STATE_FILE = 'fleet-state.json';
/** The last known fleet is written this often when it changed (and at a clean stop). */
export const STATE_SAVE_INTERVAL_MS = 60_000;
/** Live pages get the changes this often. */
export const VIEW_INTERVAL_MS = 1000;

export interface FleetServiceDeps {
  config: FleetConfig;
  clock: Clock;
  log: Logger;
  version: string;
}

export function fleetFilters(prefix: string): string[] {
  return [
    `${prefix}/+/status`,
    `${prefix}/+/system`,
    `${prefix}/+/bridge`,
    `${prefix}/+/tank/+/state`,
    `${prefix}/+/tank/+/event`,
    `${prefix}/+/result/+`,
    'fleet-hub/+/bridge',
  ];
}

export class FleetService {
  readonly state: FleetState;
  readonly feed = new FleetFeed();
  private places: Map<string, GatewayPlace> = new Map();
  private credentials: Credentials | undefined;
  private audit: AuditLog | undefined;
  private link: CentralLink | undefined;
  private sender: CommandSender | undefined;
  site: FleetSite | undefined;
  private viewTimer: NodeJS.Timeout | undefined;
  private saveTimer: NodeJS.Timeout | undefined;
  private savedVersion = -1;
  private readonly startTimeS = Date.now() / 1000;

  constructor(private readonly deps: FleetServiceDeps) {
    this.state = new FleetState(deps.config.topicPrefix);
  }

  private get stateFile(): string {
    return join(this.deps.config.stateDir, STATE_FILE);
  }

  view(): FleetView {
    const { liveness } = this.deps.config;
    return fleetView(this.state, this.deps.clock.wallMs(), liveness, this.places);
  }

  metricsText(): string {
    const mem = process.memoryUsage();
    return renderFleetMetrics({
      view: this.view(),
      counters: this.state.counters,
      central: { connected: this.link?.connected ?? false, reconnects: this.link?.reconnects ?? 0 },
      commands: { answered: this.sender?.answered ?? 0, unanswered: this.sender?.unanswered ?? 0 },
      process: { rssBytes: mem.rss, startTimeS: this.startTimeS },
    });
  }

  async start(): Promise<void> {
    const { config, clock, log } = this.deps;
    this.places = await loadPlaces(config.inventoryFiles);
    await this.restoreState();
    this.credentials = new Credentials(config.users, log.child('users'));
    await this.credentials.refresh();
    this.audit = new AuditLog(join(config.stateDir, 'audit.log'), clock);
    await this.audit.open();
    const audit = (e: AuditEntry) =>
      void this.audit
        ?.append(e)
        .catch((err: unknown) => log.error('audit write failed', { error: err as Error }));
    audit({ kind: 'start', who: 'fleet', from: 'local', what: 'fleet service start', result: 'started' });
    const login = new LoginGuard({
      credentials: this.credentials,
      policy: { maxFailures: config.lockout.maxFailures, lockoutMs: config.lockout.lockoutMinutes * 60_000 },
      audit,
      log: log.child('login'),
      now: () => clock.monotonicMs(),
    });
    const password = (
      await readFile(config.central.passwordFile, 'utf8').catch((err: Error) => {
        throw new Error(`cannot read central.passwordFile ${config.central.passwordFile}: ${err.message}`);
      })
    ).trim();
    this.link = new CentralLink({
      urls: config.central.urls,
      username: config.central.username,
      password,
      clientId: config.central.clientId,
      ...(config.central.caFile ? { caFile: config.central.caFile } : {}),
      filters: fleetFilters(config.topicPrefix),
      log: log.child('central'),
      onMessage: (topic, payload) => this.onMessage(topic, payload),
    });
    const credentials = this.credentials;
    this.sender = new CommandSender({
      prefix: config.topicPrefix,
      publish: (t, p) => this.link!.publish(t, p),
      hmacKey: (u) => credentials.hmacKey(u),
      now: () => clock.wallMs(),
      answerTimeoutMs: config.commands.answerTimeoutS * 1000,
      log: log.child('commands'),
    });
    this.site = new FleetSite({
      config,
      credentials,
      login,
      feed: this.feed,
      view: () => this.view(),
      sender: this.sender,
      knows: (g) => this.state.gateways.has(g) || this.places.has(g),
      metricsText: () => this.metricsText(),
      audit,
      now: () => clock.wallMs(),
      version: this.deps.version,
      log: log.child('web'),
    });
    await this.site.start();
    await this.link.start();
    this.viewTimer = setInterval(() => {
      // The view is made only for open pages (each then gets what changed).
      if (this.feed.listenerCount > 0 || !this.feed.snapshot()) this.feed.publish(this.view());
    }, VIEW_INTERVAL_MS);
    this.saveTimer = setInterval(() => void this.saveState(), STATE_SAVE_INTERVAL_MS);
    log.info('fleet service started', {
      gateways: this.state.gateways.size,
      inventories: config.inventoryFiles.length,
      web: this.site.listening.map((l) => `${l.protocol}://${l.host}:${l.port}`),
    });
  }

  private onMessage(topic: string, payload: Buffer): void {
    const r = this.state.ingest(topic, payload, this.deps.clock.wallMs());
    if (r.outcome === 'answer') this.sender?.settle(r.gateway, r.user, r.answer);
    else if (r.outcome === 'invalid')
      this.deps.log.debug('message refused', () => ({ topic, problem: r.problem }));
  }

  private async restoreState(): Promise<void> {
    const text = await readFileIfExists(this.stateFile);
    if (!text) return;
    try {
      this.state.restore(JSON.parse(text) as FleetSnapshotFile);
      this.savedVersion = this.state.version;
    } catch (err) {
      this.deps.log.warn('fleet state file unreadable: starting empty', {
        file: this.stateFile,
        error: err as Error,
      });
    }
  }

  private async saveState(): Promise<void> {
    if (this.state.version === this.savedVersion) return;
    const version = this.state.version;
    try {
      await writeFileAtomic(this.stateFile, JSON.stringify(this.state.toSnapshot()));
      this.savedVersion = version;
    } catch (err) {
      this.deps.log.error('cannot write the fleet state file', { file: this.stateFile, error: err as Error });
    }
  }

  async stop(): Promise<void> {
    const { log } = this.deps;
    clearInterval(this.viewTimer);
    clearInterval(this.saveTimer);
    const step = async (what: string, fn: () => Promise<void> | undefined) => {
      try {
        await fn();
      } catch (err) {
        log.error(`fleet stop: ${what} failed`, { error: err as Error });
      }
    };
    await step('central link', () => this.link?.stop());
    await step('web site', () => this.site?.stop());
    await step('state file', () => this.saveState());
    await step('audit log', async () => {
      await this.audit?.append({
        kind: 'stop',
        who: 'fleet',
        from: 'local',
        what: 'fleet service stop',
        result: 'stopped',
      });
      await this.audit?.close();
    });
  }
}
