// Notifications as one component: reads the dashboard's live feed (tank states and events, as MQTT
// carries them), tells each alarm's raise and clear once to the recipients that want it, queues in
// SQLite, sends with a rate limit per recipient (what waits goes out together) and retries with backoff
// while a channel is down; a daily "all well" heartbeat when configured. Every send and failure is logged.

import type { Clock } from '../clock.js';
import { ALARM_SEVERITY } from '../control/alarms.js';
import type { AlarmKind } from '../control/types.js';
import { LocalTime } from '../clock.js';
import type { NotifyConfig, NotifyRecipient, NotifySeverity } from '../config/notify-schema.js';
import type { Logger } from '../log.js';
import type { TankEventPayload, TankStatePayload } from '../telemetry/topics.js';
import type { FeedEntry } from '../web/live-feed.js';
import { localDayIn, type LocalDay } from '../web/trends.js';
import { EmailChannel, WebhookChannel, type Channel } from './channels.js';
import { composeMessage } from './messages.js';
import {
  alarmChanges,
  heartbeatDue,
  nextAllowedMs,
  recipientKey,
  recipientName,
  retryDelayMs,
  UNKNOWN_SEVERITY,
  wants,
  withinRate,
  type Notice,
  type QueueItem,
} from './policy.js';
import { NotifyQueue } from './queue.js';

/** How often the sender looks for due work (gateway clock), besides right after something is queued. */
export const SEND_CHECK_MS = 5_000;
const HEARTBEAT_DAY_KEY = 'heartbeat-day';

export interface NotificationsDeps {
  notify: NotifyConfig;
  gateway: { id: string; name?: string; timezone: string };
  tanks: { id: string; name?: string }[];
  feed: {
    subscribe(listener: (e: FeedEntry) => void): () => void;
    tankStates(): TankStatePayload[];
  };
  /** Users: a recipient tied to a removed user gets nothing. */
  users: { record(user: string): unknown };
  clock: Clock;
  file: string;
  log: Logger;
  /** Channels by kind (tests may hand in their own). */
  channels?: { email?: Channel; webhook?: Channel };
}

interface RecipientState {
  recipient: NotifyRecipient;
  key: string;
  name: string;
  sentAtMs: number[];
  failures: number;
  retryAtMs: number;
  sending: boolean;
}

export class Notifications {
  private readonly queue: NotifyQueue;
  private readonly recipients: RecipientState[];
  private told = new Map<string, Map<string, NotifySeverity>>();
  /** Severity and words of the latest raise event per tank/alarm (for the notice's text). */
  private readonly lastRaise = new Map<string, { severity: NotifySeverity; message: string }>();
  private readonly localTime: LocalTime;
  private readonly localDay: LocalDay;
  private readonly email: Channel | undefined;
  private readonly webhook: Channel;
  private unsubscribe: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private sent = 0;
  private failed = 0;
  private queued = 0;

  constructor(private readonly deps: NotificationsDeps) {
    const { notify } = deps;
    this.queue = new NotifyQueue(deps.file, notify.maxQueued);
    this.localTime = new LocalTime(deps.gateway.timezone);
    this.localDay = localDayIn((t) => this.localTime.hourOfDay(t));
    const timeoutMs = notify.timeoutS * 1000;
    this.email =
      deps.channels?.email ?? (notify.email ? new EmailChannel(notify.email, timeoutMs) : undefined);
    this.webhook = deps.channels?.webhook ?? new WebhookChannel(timeoutMs);
    this.recipients = notify.recipients.map((r) => ({
      recipient: r,
      key: recipientKey(r),
      name: recipientName(r),
      sentAtMs: [],
      failures: 0,
      retryAtMs: -Infinity,
      sending: false,
    }));
  }

  counters(): { queued: number; sent: number; failed: number } {
    return { queued: this.queued, sent: this.sent, failed: this.failed };
  }

  async start(): Promise<void> {
    const { log, feed } = this.deps;
    await this.queue.open();
    this.told = this.queue.told();
    const dropped = this.queue.dropExcept(this.recipients.map((r) => r.key));
    if (dropped > 0) log.info('notifications dropped: their recipient is no longer configured', { dropped });
    this.queued = this.queue.size;
    if (this.deps.notify.heartbeat && this.queue.meta(HEARTBEAT_DAY_KEY) === undefined)
      this.queue.setMeta(HEARTBEAT_DAY_KEY, String(this.firstHeartbeatDay()));
    this.unsubscribe = feed.subscribe((e) => this.onFeed(e));
    this.schedule(0);
    log.info('notifications ready', { recipients: this.recipients.map((r) => r.name), waiting: this.queued });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    clearTimeout(this.timer);
    // A send in flight finishes (or times out) before the queue closes.
    while (this.recipients.some((r) => r.sending)) await new Promise((r) => setTimeout(r, 20));
    this.queue.close();
  }

  private onFeed(e: FeedEntry): void {
    try {
      if (e.kind === 'event') {
        const ev = JSON.parse(e.data) as TankEventPayload;
        if (ev.type === 'alarm' && ev.active)
          this.lastRaise.set(`${ev.tank}/${ev.alarm}`, { severity: ev.severity, message: ev.message });
      } else if (e.kind === 'state') {
        this.onState(JSON.parse(e.data) as TankStatePayload);
      }
    } catch (err) {
      this.deps.log.error('notifications: cannot handle a feed entry', { error: err as Error });
    }
  }

  /** The state's alarm list against what was told: each raise and each clear becomes one notice. */
  private onState(state: TankStatePayload): void {
    const told = this.told.get(state.tank) ?? new Map<string, NotifySeverity>();
    const { raised, cleared } = alarmChanges(told, state.alarms);
    if (raised.length === 0 && cleared.length === 0) return;
    const notices: Notice[] = [];
    for (const alarm of raised) {
      const known = this.lastRaise.get(`${state.tank}/${alarm}`);
      // Without its event (an alarm restored at a restart): the kind's own severity.
      const severity = known?.severity ?? ALARM_SEVERITY[alarm as AlarmKind] ?? UNKNOWN_SEVERITY;
      told.set(alarm, severity);
      notices.push({
        kind: 'alarm',
        tank: state.tank,
        alarm,
        active: true,
        severity,
        message: known?.message ?? state.problem ?? '',
        time: state.time,
      });
    }
    for (const alarm of cleared) {
      const severity = told.get(alarm) ?? UNKNOWN_SEVERITY;
      told.delete(alarm);
      notices.push({
        kind: 'alarm',
        tank: state.tank,
        alarm,
        active: false,
        severity,
        message: '',
        time: state.time,
      });
    }
    this.told.set(state.tank, told);
    this.enqueue(
      notices,
      notices.map((n) => ({ tank: n.tank, alarm: n.alarm, active: n.active, severity: n.severity })),
    );
  }

  private enqueue(items: QueueItem[], told: Parameters<NotifyQueue['add']>[1] = []): void {
    const { notify, users, log, clock } = this.deps;
    const rows: { recipient: string; item: QueueItem }[] = [];
    for (const item of items)
      for (const r of this.recipients)
        if (wants(r.recipient, item, notify.minSeverity, (u) => users.record(u) !== undefined))
          rows.push({ recipient: r.key, item });
    const dropped = this.queue.add(rows, told, clock.wallMs());
    if (dropped > 0) log.warn('notification queue full: oldest messages dropped', { dropped });
    this.queued = this.queue.size;
    if (rows.length > 0) {
      log.info('notifications queued', {
        items: items.map((i) =>
          i.kind === 'alarm' ? `${i.tank}:${i.alarm}:${i.active ? 'raised' : 'cleared'}` : i.kind,
        ),
        recipients: new Set(rows.map((r) => r.recipient)).size,
      });
      this.schedule(0);
    }
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.runOnce(), delayMs / (this.deps.clock.rate ?? 1));
    this.timer.unref();
  }

  /** One pass of the sender: the heartbeat, then every recipient with something due (the timer calls it). */
  async runOnce(): Promise<void> {
    if (this.stopped) return;
    try {
      await this.sendDue();
    } catch (err) {
      this.deps.log.error('notifications: the sender failed; tried again later', { error: err as Error });
      this.schedule(SEND_CHECK_MS);
    }
  }

  private async sendDue(): Promise<void> {
    this.heartbeatCheck();
    const now = this.deps.clock.monotonicMs();
    let nextMs = SEND_CHECK_MS;
    await Promise.all(
      this.recipients.map(async (r) => {
        if (r.sending) return;
        if (now < r.retryAtMs) return void (nextMs = Math.min(nextMs, r.retryAtMs - now));
        const allowedAt = nextAllowedMs(r.sentAtMs, now, this.deps.notify.perRecipientPerHour);
        if (allowedAt > now) return void (nextMs = Math.min(nextMs, allowedAt - now));
        await this.sendTo(r);
      }),
    );
    this.schedule(Math.max(100, nextMs));
  }

  /** One message with everything that waits for this recipient. */
  private async sendTo(r: RecipientState): Promise<void> {
    const { clock, log, notify, gateway } = this.deps;
    const rows = this.queue.pending(r.key);
    if (rows.length === 0 || this.stopped) return;
    const now = clock.monotonicMs();
    if (!withinRate(r.sentAtMs, now, notify.perRecipientPerHour)) return;
    const items = rows.map((row) => row.item);
    const message = composeMessage(items, {
      gateway,
      tankName: (id) => this.deps.tanks.find((t) => t.id === id)?.name ?? id,
      dashboardUrl: notify.dashboardUrl,
      tanks: this.deps.feed.tankStates(),
    });
    const channel = r.recipient.email ? this.email : this.webhook;
    r.sending = true;
    try {
      if (!channel) throw new Error('no SMTP server configured (notify.email)');
      await channel.send(r.recipient, { message, items, gateway });
      this.queue.remove(rows.map((row) => row.id));
      this.queued = this.queue.size;
      r.sentAtMs.push(now);
      r.failures = 0;
      this.sent++;
      log.info('notification sent', {
        recipient: r.name,
        channel: r.recipient.email ? 'email' : 'webhook',
        items: items.length,
        subject: message.subject,
      });
    } catch (err) {
      r.failures++;
      this.failed++;
      const delayMs = retryDelayMs(r.failures, notify.retry.initialS * 1000, notify.retry.maxS * 1000);
      r.retryAtMs = now + delayMs;
      log.warn('notification send failed; kept in the queue', {
        recipient: r.name,
        error: err as Error,
        waiting: rows.length,
        retryS: Math.round(delayMs / 1000),
      });
    } finally {
      r.sending = false;
    }
  }

  private heartbeatCheck(): void {
    const { notify, clock } = this.deps;
    if (!notify.heartbeat || !clock.wallSynced()) return;
    const wall = clock.wallMs();
    const day = this.localDay(wall);
    const last = Number(this.queue.meta(HEARTBEAT_DAY_KEY));
    if (
      !heartbeatDue(
        notify.heartbeat.at,
        this.localTime.minuteOfDay(wall),
        day,
        Number.isFinite(last) ? last : undefined,
      )
    )
      return;
    this.queue.setMeta(HEARTBEAT_DAY_KEY, String(day));
    this.enqueue([{ kind: 'heartbeat', time: new Date(wall).toISOString() }]);
  }

  /** The first run does not send a heartbeat for a day whose time has already passed. */
  private firstHeartbeatDay(): number {
    const wall = this.deps.clock.wallMs();
    const day = this.localDay(wall);
    const [h, m] = this.deps.notify.heartbeat!.at.split(':').map(Number) as [number, number];
    return this.localTime.minuteOfDay(wall) >= h * 60 + m ? day : day - 1;
  }
}
