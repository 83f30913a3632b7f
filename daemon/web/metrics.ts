// Prometheus metrics (text exposition format 0.0.4), rendered from what the dashboard already holds: the
// latest tank states and gateway health (the same payloads as MQTT), the control tick's duration, and
// the process itself. A value the gateway does not have is left out, never written as 0.

import { ALARM_KINDS } from '../control/types.js';
import type { SystemHealth, TankStatePayload } from '../telemetry/topics.js';

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Control tick duration buckets, seconds: a tick reads sensors and drives relays (ms on a Pi). */
export const TICK_BUCKETS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

export class TickHistogram {
  readonly counts = new Array<number>(TICK_BUCKETS_S.length).fill(0);
  count = 0;
  sumS = 0;

  observe(ms: number): void {
    const s = ms / 1000;
    this.count++;
    this.sumS += s;
    for (let i = 0; i < TICK_BUCKETS_S.length; i++) if (s <= TICK_BUCKETS_S[i]!) this.counts[i]!++;
  }
}

export interface MetricsInput {
  gateway: string;
  tanks: readonly TankStatePayload[];
  system: (SystemHealth & { rootFsFreeMb?: number; rootFsUsedPct?: number }) | undefined;
  tick: TickHistogram;
  mqtt: { connected: boolean; outboxMessages: number };
  process: { rssBytes: number; heapUsedBytes: number; startTimeS: number };
  dashboard: { streams: number; sessions: number };
  notifications?: { queued: number; sent: number; failed: number };
}

type Labels = Record<string, string>;

class Exposition {
  private readonly lines: string[] = [];

  metric(name: string, type: 'gauge' | 'counter' | 'histogram', help: string): this {
    this.lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    return this;
  }

  sample(name: string, labels: Labels, value: number | null | undefined): this {
    if (value === null || value === undefined || !Number.isFinite(value)) return this;
    const l = Object.entries(labels);
    const labelText = l.length ? `{${l.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}` : '';
    this.lines.push(`${name}${labelText} ${formatValue(value)}`);
    return this;
  }

  text(): string {
    return this.lines.join('\n') + '\n';
  }
}

export function renderMetrics(m: MetricsInput): string {
  const e = new Exposition();
  const g = { gateway: m.gateway };
  const perTank = (
    name: string,
    help: string,
    value: (t: TankStatePayload) => number | null | undefined,
    type: 'gauge' | 'counter' = 'gauge',
  ) => {
    e.metric(name, type, help);
    for (const t of m.tanks) e.sample(name, { ...g, tank: t.tank }, value(t));
  };
  const bool = (b: boolean) => (b ? 1 : 0);

  perTank(
    'smart_tank_level_percent',
    'Level, percent of capacity by volume (absent when unknown).',
    (t) => t.levelPct,
  );
  perTank('smart_tank_level_litres', 'Water in the tank, litres (absent when unknown).', (t) => t.litres);
  perTank('smart_tank_capacity_litres', 'Capacity of the tank, litres.', (t) => t.capacityLitres);
  perTank(
    'smart_tank_reading_usable',
    '1 when the level reading is usable (quality ok or noisy), 0 when stale, starting or disagreeing.',
    (t) => bool(t.quality === 'ok' || t.quality === 'noisy'),
  );
  perTank(
    'smart_tank_last_good_reading_timestamp_seconds',
    'When the level sensor last gave a good reading.',
    (t) => (t.lastGoodTime ? Date.parse(t.lastGoodTime) / 1000 : null),
  );
  perTank(
    'smart_tank_state_timestamp_seconds',
    'Time of the latest tank state.',
    (t) => Date.parse(t.time) / 1000,
  );
  perTank('smart_tank_valve_open', '1 while the fill valve is open.', (t) => bool(t.valve === 'open'));
  perTank('smart_tank_pump_on', '1 while the pump runs (absent without a pump).', (t) =>
    t.pump === null ? null : bool(t.pump === 'on'),
  );
  perTank('smart_tank_manual_mode', '1 while an admin controls the tank by hand.', (t) =>
    bool(t.mode === 'manual'),
  );
  perTank(
    'smart_tank_net_flow_litres_per_minute',
    'Net flow from the level history (positive: rising).',
    (t) => t.netFlowLitresPerMin,
  );
  perTank('smart_tank_threshold_low_percent', 'Refill starts below this level.', (t) => t.thresholds.lowPct);
  perTank('smart_tank_threshold_high_percent', 'Refill stops at this level.', (t) => t.thresholds.highPct);

  e.metric('smart_tank_alarm_active', 'gauge', '1 while the alarm is active on the tank.');
  for (const t of m.tanks)
    for (const alarm of ALARM_KINDS)
      e.sample('smart_tank_alarm_active', { ...g, tank: t.tank, alarm }, bool(t.alarms.includes(alarm)));

  const s = m.system;
  e.metric('smart_tank_up', 'gauge', '1: the gateway daemon answers.').sample('smart_tank_up', g, 1);
  e.metric('smart_tank_mqtt_connected', 'gauge', '1 while the daemon has its MQTT session.');
  e.sample('smart_tank_mqtt_connected', g, bool(m.mqtt.connected));
  e.metric(
    'smart_tank_mqtt_outbox_messages',
    'gauge',
    'Telemetry waiting in the outbox (broker or tunnel down).',
  );
  e.sample('smart_tank_mqtt_outbox_messages', g, m.mqtt.outboxMessages);

  e.metric(
    'smart_tank_control_tick_duration_seconds',
    'histogram',
    'Duration of a control tick (read, decide, drive).',
  );
  TICK_BUCKETS_S.forEach((le, i) =>
    e.sample('smart_tank_control_tick_duration_seconds_bucket', { ...g, le: String(le) }, m.tick.counts[i]),
  );
  e.sample('smart_tank_control_tick_duration_seconds_bucket', { ...g, le: '+Inf' }, m.tick.count);
  e.sample('smart_tank_control_tick_duration_seconds_sum', g, m.tick.sumS);
  e.sample('smart_tank_control_tick_duration_seconds_count', g, m.tick.count);

  if (s) {
    e.metric('smart_tank_host_uptime_seconds', 'gauge', 'Uptime of the Pi.').sample(
      'smart_tank_host_uptime_seconds',
      g,
      s.uptimeS,
    );
    e.metric('smart_tank_host_load1', 'gauge', 'Load average over 1 minute.').sample(
      'smart_tank_host_load1',
      g,
      s.load1,
    );
    e.metric('smart_tank_host_cpu_percent', 'gauge', 'CPU busy, all cores.').sample(
      'smart_tank_host_cpu_percent',
      g,
      s.cpuPct,
    );
    e.metric('smart_tank_host_memory_used_percent', 'gauge', 'Memory in use.');
    e.sample('smart_tank_host_memory_used_percent', g, s.memUsedPct);
    e.metric('smart_tank_host_cpu_temperature_celsius', 'gauge', 'SoC temperature (absent where unknown).');
    e.sample('smart_tank_host_cpu_temperature_celsius', g, s.cpuTemperatureC);
    e.metric('smart_tank_host_root_fs_free_bytes', 'gauge', 'Free space on the SD card.');
    e.sample(
      'smart_tank_host_root_fs_free_bytes',
      g,
      s.rootFsFreeMb === undefined ? null : s.rootFsFreeMb * 1048576,
    );
    e.metric('smart_tank_audit_entries', 'gauge', 'Entries in the audit log (head of the hash chain).');
    e.sample('smart_tank_audit_entries', g, s.audit?.seq);
    if (s.vpn) {
      const v = s.vpn;
      e.metric('smart_tank_vpn_up', 'gauge', '1 while the VPN tunnel is up.').sample(
        'smart_tank_vpn_up',
        g,
        bool(v.state === 'up'),
      );
      e.metric('smart_tank_vpn_state', 'gauge', 'VPN tunnel state (1 for the current one).');
      for (const state of ['connecting', 'up', 'stale', 'down', 'stopped'])
        e.sample('smart_tank_vpn_state', { ...g, state }, bool(v.state === state));
      e.metric(
        'smart_tank_vpn_handshake_age_seconds',
        'gauge',
        'Seconds since the last WireGuard handshake.',
      );
      e.sample('smart_tank_vpn_handshake_age_seconds', g, v.handshakeAgeS);
      e.metric(
        'smart_tank_vpn_last_receive_age_seconds',
        'gauge',
        'Seconds since data last came in through the tunnel.',
      );
      e.sample('smart_tank_vpn_last_receive_age_seconds', g, v.lastRxAgeS);
      e.metric(
        'smart_tank_vpn_reconnects_total',
        'counter',
        'Times the tunnel came back after being stale or down.',
      );
      e.sample('smart_tank_vpn_reconnects_total', g, v.reconnects);
    }
  }

  e.metric('smart_tank_dashboard_streams', 'gauge', 'Open live streams (dashboard tabs).');
  e.sample('smart_tank_dashboard_streams', g, m.dashboard.streams);
  e.metric('smart_tank_dashboard_sessions', 'gauge', 'Dashboard sessions.').sample(
    'smart_tank_dashboard_sessions',
    g,
    m.dashboard.sessions,
  );
  if (m.notifications) {
    const n = m.notifications;
    e.metric('smart_tank_notifications_queued', 'gauge', 'Notifications waiting to be sent.');
    e.sample('smart_tank_notifications_queued', g, n.queued);
    e.metric('smart_tank_notifications_sent_total', 'counter', 'Notification messages sent since start.');
    e.sample('smart_tank_notifications_sent_total', g, n.sent);
    e.metric('smart_tank_notifications_failed_total', 'counter', 'Failed notification sends since start.');
    e.sample('smart_tank_notifications_failed_total', g, n.failed);
  }

  e.metric('process_resident_memory_bytes', 'gauge', 'Resident memory of the daemon.');
  e.sample('process_resident_memory_bytes', {}, m.process.rssBytes);
  e.metric('process_heap_used_bytes', 'gauge', 'JavaScript heap in use.').sample(
    'process_heap_used_bytes',
    {},
    m.process.heapUsedBytes,
  );
  e.metric('process_start_time_seconds', 'gauge', 'Start time of the daemon.');
  e.sample('process_start_time_seconds', {}, m.process.startTimeS);
  return e.text();
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function formatValue(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Math.round(v * 1e6) / 1e6);
}
