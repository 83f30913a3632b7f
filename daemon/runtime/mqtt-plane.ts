// The MQTT plane as one service with one lifecycle: users and ACL, the embedded broker (or none, with
// Mosquitto), the daemon's own session, the outbox and history store, command intake, and Home Assistant
// discovery. The gateway hands it decisions to publish and gets commands back through `apply`.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../clock.js';
import type { Config, TankConfig } from '../config/schema.js';
import type { CommandOutcome, TankCommand } from '../control/commands.js';
import type { Decision } from '../control/types.js';
import type { LevelReading } from '../level/estimator.js';
import type { Logger } from '../log.js';
import { CommandService, type CommandOrigin, type CommandResult } from '../commands/command-service.js';
import type { AuditEntry } from '../security/audit-log.js';
import type { Credentials } from '../security/credentials.js';
import type { LoginGuard } from '../security/login-guard.js';
import {
  TelemetryStore,
  STORE_FLUSH_MS,
  type HistoryPoint,
  type StoredEvent,
} from '../storage/telemetry-store.js';
import { EmbeddedBroker } from '../telemetry/embedded-broker.js';
import { discoveryMessages } from '../telemetry/home-assistant.js';
import { MqttLink } from '../telemetry/mqtt-link.js';
import { TelemetryChannel } from '../telemetry/telemetry-channel.js';
import { stamp, systemPayload, TankTelemetry } from '../telemetry/telemetry.js';
import { commandUser, topicsFor, type SystemHealth, type Topics } from '../telemetry/topics.js';

export interface MqttPlaneDeps {
  config: Config;
  clock: Clock;
  log: Logger;
  audit: (entry: AuditEntry) => void;
  /** Users and the login check, shared with the dashboard. */
  credentials: Credentials;
  login: LoginGuard;
  tanks: { tank: TankConfig; capacityLitres: number }[];
  apply: (tank: string, command: TankCommand, by: string) => Promise<{ outcome: CommandOutcome }>;
  version: string;
}

/** What the dashboard reads from the local history (trends, alarm history). */
export interface HistoryReader {
  history(tank: string, fromMs: number, toMs: number, resolution: 'fine' | 'coarse'): HistoryPoint[];
  events(sinceMs: number, limit: number, tank?: string): StoredEvent[];
}

export class MqttPlane {
  readonly topics: Topics;
  readonly credentials: Credentials;
  private broker: EmbeddedBroker | undefined;
  private link: MqttLink | undefined;
  private channel: TelemetryChannel | undefined;
  private store: TelemetryStore | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private readonly telemetry = new Map<string, TankTelemetry>();
  private commands: CommandService | undefined;
  /** Listener addresses and ports actually bound (embedded broker). */
  listening: { host: string; port: number }[] = [];

  constructor(private readonly deps: MqttPlaneDeps) {
    const { config } = deps;
    this.topics = topicsFor(config.mqtt.topicPrefix, config.gateway.id);
    this.credentials = deps.credentials;
  }

  get connected(): boolean {
    return this.link?.connected ?? false;
  }

  get outboxMessages(): number {
    return this.store?.outboxSize ?? 0;
  }

  async start(): Promise<void> {
    const { config, clock, log, audit } = this.deps;
    const mq = config.mqtt;

    this.store = new TelemetryStore(
      { file: mq.store.file ?? join(config.gateway.stateDir, 'telemetry.db'), ...mq.store },
      log.child('store'),
      () => clock.wallMs(),
    );
    await this.store.open();
    this.flushTimer = setInterval(() => this.flushStore(), STORE_FLUSH_MS);

    this.commands = new CommandService({
      mqtt: mq,
      credentials: this.credentials,
      clock,
      log: log.child('commands'),
      audit,
      apply: this.deps.apply,
      answer: (user, result, correlationData) => this.answer(user, result, correlationData),
    });

    let url = mq.url;
    let username = mq.username;
    let password = mq.passwordFile ? (await readFile(mq.passwordFile, 'utf8')).trim() : undefined;
    if (mq.broker === 'embedded') {
      this.broker = new EmbeddedBroker({
        mqtt: mq,
        credentials: this.credentials,
        login: this.deps.login,
        log: log.child('broker'),
        now: () => clock.monotonicMs(),
      });
      this.listening = await this.broker.start();
      const local = this.listening[0];
      if (!local) throw new Error('the embedded MQTT broker opened no listener (see the log)');
      url = `mqtt://${local.host.includes(':') ? `[${local.host}]` : local.host}:${local.port}`;
      username = this.broker.internalUser;
      password = this.broker.internalPassword;
      // Commands are taken where the broker sees who sent them from which address.
      this.broker.onCommand(this.topics.commandFilter, (p) => {
        const user = commandUser(this.topics, p.topic);
        if (!user) return;
        void this.commands?.handle(
          { user, from: `${p.identity.address} (${p.clientId})`, retained: p.retain },
          p.payload,
        );
      });
    } else {
      await this.credentials.refresh();
    }

    this.link = new MqttLink({
      url: url!,
      clientId: `smart-tank-${config.gateway.id}`,
      username,
      password,
      statusTopic: this.topics.status,
      protocolVersion: mq.broker === 'embedded' ? 4 : 5,
      log: log.child('mqtt'),
    });
    this.channel = new TelemetryChannel(this.link, this.store, log.child('outbox'));
    if (mq.broker === 'external') {
      // Mosquitto does not say who published; its ACL lets only <user> write .../command/<user>.
      this.link.subscribe(this.topics.commandFilter, (m) => {
        const user = commandUser(this.topics, m.topic);
        if (!user) return;
        void this.commands?.handle(
          { user, from: 'via Mosquitto', retained: m.retain, correlationData: m.correlationData },
          m.payload,
        );
      });
    }
    if (mq.homeAssistant.enabled) {
      this.link.onConnect(() => this.publishDiscovery());
      this.link.subscribe(`${mq.homeAssistant.discoveryPrefix}/status`, (m) => {
        if (m.payload.toString() === 'online') this.publishDiscovery();
      });
    }
    await this.link.start();
    for (const { tank, capacityLitres } of this.deps.tanks) {
      this.telemetry.set(
        tank.id,
        new TankTelemetry(tank, capacityLitres, this.topics, mq, this.channel, clock),
      );
    }
  }

  /**
   * A command from another door (the dashboard), through the same checked path as MQTT: schema, role,
   * signature policy, freshness, unique id, the controller's safety rules, audit. Undefined: dropped by
   * the per-user rate limit.
   */
  async submitCommand(origin: CommandOrigin, payload: Buffer): Promise<CommandResult | undefined> {
    if (!this.commands) throw new Error('the command service is not started');
    return this.commands.handle(origin, payload);
  }

  /** The local history, for the dashboard (empty until started). */
  get history(): HistoryReader {
    return {
      history: (tank, fromMs, toMs, resolution) => this.store?.history(tank, fromMs, toMs, resolution) ?? [],
      events: (sinceMs, limit, tank) => this.store?.events(sinceMs, limit, tank) ?? [],
    };
  }

  publishDecision(tankId: string, decision: Decision, reading: LevelReading, force = false): void {
    this.telemetry.get(tankId)?.publishDecision(decision, reading, force);
    const { clock } = this.deps;
    for (const event of decision.events) {
      const payload = { ...stamp(clock), tank: tankId, ...event };
      this.store?.recordEvent({
        tank: tankId,
        t: clock.wallMs(),
        type: event.type,
        event: JSON.stringify(payload),
      });
    }
    if (this.store && clock.wallSynced() && reading.levelPct !== undefined && reading.litres !== undefined) {
      this.store.recordHistory({
        tank: tankId,
        t: clock.wallMs(),
        levelPct: Math.round(reading.levelPct * 10) / 10,
        litres: Math.round(reading.litres),
        valveOpen: decision.outputs.valveOpen,
        pumpOn: decision.outputs.pumpOn,
      });
    }
  }

  publishSystem(health: Omit<SystemHealth, 'time' | 'timeSynced'>): void {
    this.channel?.publish(this.topics.system, JSON.stringify(systemPayload(health, this.deps.clock)), {
      retain: true,
    });
  }

  async stop(): Promise<void> {
    clearInterval(this.flushTimer);
    const errors: unknown[] = [];
    for (const step of [
      () => this.link?.stop(),
      async () => this.store?.close(),
      () => this.broker?.stop(),
    ]) {
      try {
        await step();
      } catch (err) {
        errors.push(err);
      }
    }
    if (errors.length > 0) throw new AggregateError(errors, 'stopping the MQTT plane');
  }

  private answer(user: string, result: CommandResult, correlationData?: Buffer): void {
    this.channel?.publish(this.topics.result(user), JSON.stringify(result), { correlationData });
  }

  private publishDiscovery(): void {
    for (const m of discoveryMessages(this.deps.config, this.topics, this.deps.version)) {
      this.channel?.publish(m.topic, JSON.stringify(m.payload), { retain: true });
    }
  }

  private flushStore(): void {
    try {
      this.store?.flush();
    } catch (err) {
      this.deps.log.warn('cannot write the telemetry store', { error: err as Error });
    }
  }
}
