// The gateway: builds nothing itself (the launcher hands in config, clock, hardware, notifier), starts its
// parts in order and stops them in reverse, each in its own try/catch so one failing part never leaves an
// output live.
//
// Start: tanks (devices open, outputs safe) -> audit log -> restore state -> VPN tunnel -> MQTT plane
//        (broker, session, outbox, commands) -> first tick -> loop, READY=1.
// Stop:  STOPPING=1 -> loop halted -> outputs safe -> clean snapshot -> VPN down -> MQTT "offline" ->
//        broker -> devices closed -> audit log closed.

import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { levelSampleIntervalMs, type Config } from '../config/schema.js';
import { LocalTime, type Clock } from '../clock.js';
import type { TankCommand } from '../control/commands.js';
import type { ControlEvent, Decision } from '../control/types.js';
import type { Logger } from '../log.js';
import type { Notifier } from '../systemd/notify.js';
import { AuditLog, type AuditEntry } from '../security/audit-log.js';
import { Credentials } from '../security/credentials.js';
import { LoginGuard } from '../security/login-guard.js';
import { gatewayVpn, type VpnSupervisor } from '../vpn/index.js';
import type { Topics } from '../telemetry/topics.js';
import type { HostHealth } from '../../drivers/system/health.js';
import type { TankHardware } from '../../drivers/types.js';
import { readFileIfExists, writeFileAtomic } from './atomic-file.js';
import { MqttPlane } from './mqtt-plane.js';
import { Dashboard } from '../web/dashboard.js';
import { StateStore } from './state-store.js';
import { TankRuntime } from './tank-runtime.js';
import { UNCLEAN_RESTART_ALARM_MS, UNCLEAN_RESTART_MESSAGE } from './restart.js';

export interface GatewayDeps {
  config: Config;
  clock: Clock;
  log: Logger;
  notifier: Notifier;
  hardware: Record<string, TankHardware>;
  hostHealth: { read(): Promise<HostHealth> };
  /** Called when the gateway cannot go on (an output cannot be driven); the launcher exits non-zero. */
  onFatal: (err: Error) => void;
  /** The daemon's version, for discovery and logs. */
  version?: string;
  /** The VPN tunnel's supervisor; built from config.vpn when not given (tests hand in a fake). */
  vpn?: VpnSupervisor;
}

export const AUDIT_FILE_NAME = 'audit.log';
const CONFIG_HASH_FILE = 'config.sha256';

export class Gateway {
  readonly topics: Topics;
  readonly plane: MqttPlane;
  readonly audit: AuditLog;
  /** Users, roles and the login check of every door (MQTT, dashboard). */
  readonly credentials: Credentials;
  readonly login: LoginGuard;
  /** The farmer's dashboard and notifications, fed at the same points as MQTT. */
  readonly dashboard: Dashboard;
  private readonly tanks: TankRuntime[];
  private readonly store: StateStore;
  private readonly vpn: VpnSupervisor | undefined;
  private loopTimer: NodeJS.Timeout | undefined;
  private healthTimer: NodeJS.Timeout | undefined;
  private currentTick: Promise<void> = Promise.resolve();
  private starting: Promise<void> | undefined;
  private stopRequested = false;
  private stopped = false;
  private lastWatchdogMs = -Infinity;
  private lastStatus = '';
  private readonly startedAtMs: number;

  constructor(private readonly deps: GatewayDeps) {
    const { config, clock, log } = deps;
    const localTime = new LocalTime(config.gateway.timezone);
    this.tanks = config.tanks.map((tank) => {
      const hardware = deps.hardware[tank.id];
      if (!hardware) throw new Error(`no hardware for tank "${tank.id}"`);
      return new TankRuntime({ tank, hardware, clock, localTime, log: log.child('control') });
    });
    this.store = new StateStore(config.gateway.stateDir, clock, log.child('state'));
    this.audit = new AuditLog(join(config.gateway.stateDir, AUDIT_FILE_NAME), clock);
    const audit = (entry: AuditEntry) => this.record(entry);
    this.credentials = new Credentials(config.mqtt.users, log.child('users'));
    const { lockout } = config.mqtt;
    this.login = new LoginGuard({
      credentials: this.credentials,
      policy: { maxFailures: lockout.maxFailures, lockoutMs: lockout.lockoutMinutes * 60_000 },
      audit,
      log: log.child('login'),
      now: () => clock.monotonicMs(),
      reserved: [config.mqtt.users.gatewayUser],
    });
    this.plane = new MqttPlane({
      config,
      clock,
      log,
      audit,
      credentials: this.credentials,
      login: this.login,
      tanks: this.tanks.map((t) => ({ tank: t.tank, capacityLitres: t.capacityLitres })),
      apply: (tank, command, by) => this.command(tank, command, by),
      version: deps.version ?? 'dev',
    });
    this.topics = this.plane.topics;
    this.dashboard = new Dashboard({
      config,
      clock,
      log: log.child('web'),
      credentials: this.credentials,
      login: this.login,
      audit,
      auditFile: this.audit.file,
      plane: this.plane,
      topics: this.topics,
      tanks: this.tanks.map((t) => ({ tank: t.tank, capacityLitres: t.capacityLitres })),
      version: deps.version ?? 'dev',
    });
    this.vpn =
      deps.vpn ?? (config.vpn ? gatewayVpn(config.vpn, { clock, log: log.child('vpn') }) : undefined);
    // A change of tunnel state is news for the farmer now, not at the next health interval.
    this.vpn?.onChange(() => void this.publishHealth());
    this.startedAtMs = clock.monotonicMs();
  }

  start(): Promise<void> {
    this.starting ??= this.startPhases();
    return this.starting;
  }

  private async startPhases(): Promise<void> {
    const { config, log, clock, notifier } = this.deps;

    // 1. Devices open and outputs safe before anything else can fail.
    for (const t of this.tanks) await t.start();
    if (this.stopRequested) return;
    await this.audit.open();
    await this.auditConfigChange();

    // 2. Restore the controller state of the last run.
    const restored = await this.store.load();
    if (restored) {
      for (const t of this.tanks) {
        const state = restored.tanks[t.id];
        if (!state) continue;
        t.restore(state);
        for (const note of t.started.restoreNotes) {
          log.warn('restored state changed', { tank: t.id, note });
          this.record({
            kind: 'config',
            who: 'gateway',
            from: 'local',
            what: `tank ${t.id}: thresholds`,
            result: note,
          });
        }
      }
      if (restored.unclean) {
        log.warn('previous run did not stop cleanly (crash or power cut)', {
          downS: restored.downMs && Math.round(restored.downMs / 1000),
        });
        const nowMs = clock.monotonicMs();
        for (const t of this.tanks)
          t.started.raiseTimedAlarm(
            'unclean-restart',
            UNCLEAN_RESTART_MESSAGE,
            nowMs,
            UNCLEAN_RESTART_ALARM_MS,
          );
      }
    }
    this.record({
      kind: 'start',
      who: 'gateway',
      from: 'local',
      what: 'daemon start',
      result: !restored
        ? 'first start'
        : restored.unclean
          ? 'after a crash or power cut'
          : 'after a clean stop',
    });
    await this.store.maybeSave(this.states(), { force: true, clean: false });
    if (this.stopRequested) return;

    // 2b. The VPN tunnel, once the tanks are safe: start() waits for the interface (a listener may bind its
    //     address) within a bound, never for the server; nothing in the control loop waits on the tunnel.
    await this.vpn?.start();
    if (this.stopRequested) return;

    // 3. Telemetry and commands: the tanks never wait for them.
    await this.plane.start();
    if (this.stopRequested) return;
    await this.dashboard.start();
    if (this.stopRequested) return;

    // 4. A first completed control tick on a primed level reading, then READY.
    await this.tickAll(true);
    if (this.stopRequested) return;
    this.scheduleLoop();
    this.healthTimer = setInterval(
      () => void this.publishHealth(),
      this.realMs(config.mqtt.systemIntervalS * 1000),
    );
    void this.publishHealth();
    notifier.ready(this.summary());
    log.info('gateway ready', {
      gateway: config.gateway.id,
      tanks: this.tanks.map((t) => t.id),
      hardware: config.hardware.backend,
      mqtt:
        config.mqtt.broker === 'embedded'
          ? `embedded ${this.plane.listening.map((l) => `${l.host}:${l.port}`).join(' ')}`
          : config.mqtt.url,
      startMs: Math.round(clock.monotonicMs() - this.startedAtMs),
    });
  }

  async stop(reason = 'stop requested'): Promise<void> {
    if (this.stopped) return;
    this.stopRequested = true;
    const { log, notifier } = this.deps;
    notifier.stopping(`stopping: ${reason}`);
    await this.starting?.catch(() => {});
    this.stopped = true;
    clearTimeout(this.loopTimer);
    clearInterval(this.healthTimer);
    await this.currentTick.catch(() => {});

    const step = async (what: string, fn: () => Promise<unknown>) => {
      try {
        await fn();
      } catch (err) {
        log.error(`stop: ${what} failed`, { error: err as Error });
      }
    };
    for (const t of this.tanks) {
      await step(`safe state of tank ${t.id}`, async () => {
        const failures = await t.safeState();
        if (failures.length > 0)
          throw new AggregateError(failures, failures.map((f) => f.message).join('; '));
      });
    }
    await step('saving state', () => this.store.maybeSave(this.states(), { force: true, clean: true }));
    await step('VPN', async () => this.vpn?.stop());
    await step('dashboard', () => this.dashboard.stop());
    await step('MQTT', () => this.plane.stop());
    for (const t of this.tanks) {
      await step(`closing devices of tank ${t.id}`, async () => {
        const failures = await t.stop();
        if (failures.length > 0)
          throw new AggregateError(failures, failures.map((f) => f.message).join('; '));
      });
    }
    await step('audit log', async () => {
      this.record({ kind: 'stop', who: 'gateway', from: 'local', what: 'daemon stop', result: reason });
      await this.audit.close();
    });
    notifier.close();
    log.info('gateway stopped', { reason });
  }

  /** An operator command for one tank, acted on at once. */
  async command(tankId: string, command: TankCommand, by: string) {
    const t = this.tanks.find((x) => x.id === tankId);
    if (!t) return { outcome: { accepted: false as const, reason: `unknown tank "${tankId}"` } };
    const result = await t.command(command, by);
    if (result.decision) this.afterDecision(t, result.decision, true);
    return result;
  }

  tank(tankId: string): TankRuntime | undefined {
    return this.tanks.find((t) => t.id === tankId);
  }

  private scheduleLoop(): void {
    if (this.stopped) return;
    const intervalMs = Math.min(...this.tanks.map((t) => levelSampleIntervalMs(t.tank)));
    this.loopTimer = setTimeout(() => {
      this.currentTick = this.tickAll().then(
        () => this.scheduleLoop(),
        (err: unknown) => this.deps.onFatal(err as Error),
      );
    }, this.realMs(intervalMs));
  }

  /** Real milliseconds for an interval of the (possibly accelerated) clock. */
  private realMs(clockMs: number): number {
    return clockMs / (this.deps.clock.rate ?? 1);
  }

  private async tickAll(first = false): Promise<void> {
    const { clock, notifier, log } = this.deps;
    const now = clock.monotonicMs();
    for (const t of this.tanks) {
      if (!first && !t.due(now)) continue;
      const tickStartMs = performance.now();
      const decision = first ? await t.firstTick() : await t.tick();
      this.dashboard.recordTick(performance.now() - tickStartMs);
      this.afterDecision(t, decision, false);
    }
    await this.store
      .maybeSave(this.states())
      .catch((err: unknown) => log.warn('cannot save state', { error: err as Error }));

    // Only a completed tick feeds the watchdog.
    const wd = notifier.watchdogIntervalMs;
    if (wd !== undefined && now - this.lastWatchdogMs >= wd / 2) {
      notifier.watchdog();
      this.lastWatchdogMs = now;
    }
    const summary = this.summary();
    if (summary !== this.lastStatus) {
      notifier.status(summary);
      this.lastStatus = summary;
    }
  }

  /** Every decision, from a tick or a command, is published, its events logged and its safety trips audited. */
  private afterDecision(t: TankRuntime, decision: Decision, force: boolean): void {
    // Telemetry and the dashboard's live feed get every decision at the same point.
    this.plane.publishDecision(t.id, decision, t.started.lastReading, force);
    this.dashboard.publishDecision(t.id, decision, t.started.lastReading, force);
    for (const e of decision.events) {
      logEvent(this.deps.log, t.id, e);
      // Safety trips belong in the record of what happened to the tank.
      if (e.type === 'alarm' && e.active && e.severity === 'alarm') {
        this.record({
          kind: 'safety',
          who: 'gateway',
          from: 'local',
          what: `tank ${t.id}: ${e.alarm}`,
          result: e.message,
        });
      }
    }
  }

  private async publishHealth(): Promise<void> {
    const { clock, config, log } = this.deps;
    try {
      const host = await this.deps.hostHealth.read();
      const health = {
        gateway: config.gateway.id,
        ...host,
        daemonUptimeS: Math.round((clock.monotonicMs() - this.startedAtMs) / 1000),
        daemonRssMb: Math.round(process.memoryUsage.rss() / 1048576),
        stateBytesWritten: this.store.bytesWritten,
        outboxMessages: this.plane.outboxMessages,
        audit: { seq: this.audit.headSeq, hash: this.audit.headHash },
        ...(this.vpn ? { vpn: this.vpn.status() } : {}),
      };
      this.plane.publishSystem(health);
      this.dashboard.publishSystem(health);
    } catch (err) {
      log.warn('cannot read system health', { error: err as Error });
    }
  }

  /** Appends to the audit log; a failing write is logged, never thrown into the control loop. */
  private record(entry: AuditEntry): void {
    this.audit
      .append(entry)
      .catch((err: unknown) => this.deps.log.error('cannot write the audit log', { error: err as Error }));
  }

  /** A configuration different from the last run's is recorded (what changed is in the file's history). */
  private async auditConfigChange(): Promise<void> {
    const file = join(this.deps.config.gateway.stateDir, CONFIG_HASH_FILE);
    const hash = createHash('sha256').update(JSON.stringify(this.deps.config)).digest('hex');
    const previous = (await readFileIfExists(file))?.trim();
    if (previous === hash) return;
    this.record({
      kind: 'config',
      who: 'installer',
      from: 'local',
      what: previous ? 'configuration changed' : 'first configuration',
      result: 'loaded',
      detail: { previous: previous ?? null, current: hash },
    });
    await writeFileAtomic(file, hash + '\n');
  }

  private states() {
    return Object.fromEntries(this.tanks.map((t) => [t.id, t.started.state]));
  }

  /** One line for systemd's STATUS=: e.g. "house 54% ready; farm 33% refilling". */
  private summary(): string {
    return this.tanks
      .map((t) => {
        const d = t.started.lastDecision;
        const pct = t.started.lastReading.levelPct;
        const text = !d
          ? 'starting'
          : d.status.statusText.startsWith('Fault')
            ? 'FAULT'
            : d.state.valveOpen
              ? 'refilling'
              : 'ready';
        return `${t.id} ${pct === undefined ? '?' : Math.round(pct)}% ${text}`;
      })
      .join('; ');
  }
}

function logEvent(log: Logger, tank: string, e: ControlEvent): void {
  switch (e.type) {
    case 'alarm':
      if (e.active) log.warn(`alarm raised: ${e.alarm}`, { tank, message: e.message });
      else log.info(`alarm cleared: ${e.alarm}`, { tank });
      break;
    case 'valve':
      log.info(`fill valve ${e.open ? 'opened' : 'closed'}`, { tank, reason: e.reason });
      break;
    case 'pump':
      log.info(`pump ${e.on ? 'on' : 'off'}`, { tank, reason: e.reason });
      break;
    case 'mode':
      log.info(`mode ${e.mode}`, { tank, reason: e.reason });
      break;
    case 'fill-completed':
      log.info('fill completed', { tank, litres: e.litres, minutes: e.minutes });
      break;
  }
}
