// /metrics of the fleet service (Prometheus text exposition 0.0.4), from the fleet view: every tank's
// level, litres, flags and active alarms, every gateway's liveness, every hub's bridge, and the service's
// own counters. A value the fleet does not have is left out, never written as 0. Labels: site and server
// (from the inventories), gateway, tank.

import type { FleetCounters } from './fleet-state.js';
import type { FleetView, TankFlag } from './fleet-view.js';

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

type Labels = Record<string, string>;

function escapeLabel(v: string): string {
  return v.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n');
}

class Exposition {
  private readonly lines: string[] = [];

  metric(name: string, type: 'gauge' | 'counter', help: string): this {
    this.lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    return this;
  }

  sample(name: string, labels: Labels, value: number | null | undefined): this {
    if (value === null || value === undefined || !Number.isFinite(value)) return this;
    const l = Object.entries(labels);
    const text = l.length ? `{${l.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}` : '';
    this.lines.push(`${name}${text} ${value}`);
    return this;
  }

  text(): string {
    return this.lines.join('\n') + '\n';
  }
}

export interface FleetMetricsInput {
  view: FleetView;
  counters: FleetCounters;
  central: { connected: boolean; reconnects: number };
  commands: { answered: number; unanswered: number };
  process: { rssBytes: number; startTimeS: number };
}

const FLAGS: readonly TankFlag[] = ['offline', 'fault', 'low', 'stale'];

export function renderFleetMetrics(m: FleetMetricsInput): string {
  const e = new Exposition();
  const place = (x: { site: string | null; server: number | null }) => ({
    site: x.site ?? '',
    server: x.server === null ? '' : String(x.server),
  });
  const tankLabels = m.view.tanks.map((t) => ({ ...place(t), gateway: t.gateway, tank: t.tank }));
  const perTank = (name: string, help: string, value: (i: number) => number | null) => {
    e.metric(name, 'gauge', help);
    m.view.tanks.forEach((_, i) => e.sample(name, tankLabels[i]!, value(i)));
  };
  const tanks = m.view.tanks;
  perTank(
    'smart_tank_fleet_tank_level_percent',
    'Level, percent of capacity (absent when unknown).',
    (i) => tanks[i]!.levelPct,
  );
  perTank(
    'smart_tank_fleet_tank_level_litres',
    'Water in the tank, litres (absent when unknown).',
    (i) => tanks[i]!.litres,
  );
  perTank(
    'smart_tank_fleet_tank_capacity_litres',
    'Capacity of the tank, litres.',
    (i) => tanks[i]!.capacityLitres,
  );
  perTank(
    'smart_tank_fleet_tank_low_threshold_percent',
    'The refill (low) threshold in force.',
    (i) => tanks[i]!.lowPct,
  );
  perTank(
    'smart_tank_fleet_tank_state_age_seconds',
    "Seconds since the fleet received this tank's state.",
    (i) => Math.max(0, Math.round((m.view.atMs - tanks[i]!.receivedAtMs) / 1000)),
  );
  for (const flag of FLAGS)
    perTank(
      `smart_tank_fleet_tank_${flag}`,
      {
        offline: "1 when the tank's gateway is offline.",
        fault: '1 when the tank reports a fault or a fault alarm.',
        low: '1 when the level is below the refill threshold (or critical).',
        stale: "1 when the tank's state is older than liveness.staleAfterS or its sensor is stale.",
      }[flag],
      (i) => (tanks[i]!.flags.includes(flag) ? 1 : 0),
    );
  e.metric('smart_tank_fleet_tank_alarm', 'gauge', 'An active alarm of a tank (1; absent when not active).');
  tanks.forEach((t, i) => {
    for (const alarm of t.alarms) e.sample('smart_tank_fleet_tank_alarm', { ...tankLabels[i]!, alarm }, 1);
  });

  const gw = m.view.gateways;
  const gwLabels = gw.map((g) => ({ ...place(g), gateway: g.id }));
  e.metric(
    'smart_tank_fleet_gateway_up',
    'gauge',
    '1 when the gateway is online (see liveness in the README).',
  );
  gw.forEach((g, i) => e.sample('smart_tank_fleet_gateway_up', gwLabels[i]!, g.online ? 1 : 0));
  e.metric(
    'smart_tank_fleet_gateway_silent_seconds',
    'gauge',
    'Seconds since anything new came from the gateway.',
  );
  gw.forEach((g, i) =>
    e.sample(
      'smart_tank_fleet_gateway_silent_seconds',
      gwLabels[i]!,
      g.lastHeardAtMs === null ? null : Math.max(0, Math.round((m.view.atMs - g.lastHeardAtMs) / 1000)),
    ),
  );
  e.metric(
    'smart_tank_fleet_gateway_outbox_messages',
    'gauge',
    "Messages waiting in the gateway's own outbox.",
  );
  gw.forEach((g, i) => e.sample('smart_tank_fleet_gateway_outbox_messages', gwLabels[i]!, g.outboxMessages));

  e.metric(
    'smart_tank_fleet_hub_bridge_up',
    'gauge',
    "1 when the hub's bridge to the central tier is connected.",
  );
  for (const h of m.view.hubs) e.sample('smart_tank_fleet_hub_bridge_up', { hub: h.hub }, h.up ? 1 : 0);

  const c = m.view.counts;
  e.metric('smart_tank_fleet_gateways', 'gauge', 'Gateways known to the fleet.').sample(
    'smart_tank_fleet_gateways',
    {},
    c.gateways,
  );
  e.metric('smart_tank_fleet_gateways_online', 'gauge', 'Gateways online.').sample(
    'smart_tank_fleet_gateways_online',
    {},
    c.online,
  );
  e.metric('smart_tank_fleet_tanks', 'gauge', 'Tanks known to the fleet.').sample(
    'smart_tank_fleet_tanks',
    {},
    c.tanks,
  );
  e.metric(
    'smart_tank_fleet_messages_total',
    'counter',
    'Messages received from the central broker, by outcome.',
  );
  for (const [outcome, n] of [
    ['applied', m.counters.applied],
    ['duplicate', m.counters.duplicates],
    ['invalid', m.counters.invalid],
    ['ignored', m.counters.messages - m.counters.applied - m.counters.duplicates - m.counters.invalid],
  ] as const)
    e.sample('smart_tank_fleet_messages_total', { outcome }, n);
  e.metric(
    'smart_tank_fleet_central_connected',
    'gauge',
    '1 while the session with the central broker is up.',
  );
  e.sample('smart_tank_fleet_central_connected', {}, m.central.connected ? 1 : 0);
  e.metric('smart_tank_fleet_central_reconnects_total', 'counter', 'Reconnections to the central broker.');
  e.sample('smart_tank_fleet_central_reconnects_total', {}, m.central.reconnects);
  e.metric('smart_tank_fleet_commands_total', 'counter', 'Commands sent from the fleet page, by outcome.');
  e.sample('smart_tank_fleet_commands_total', { outcome: 'answered' }, m.commands.answered);
  e.sample('smart_tank_fleet_commands_total', { outcome: 'unanswered' }, m.commands.unanswered);
  e.metric('process_resident_memory_bytes', 'gauge', 'Resident memory of the fleet service.');
  e.sample('process_resident_memory_bytes', {}, m.process.rssBytes);
  e.metric('process_start_time_seconds', 'gauge', 'Start time of the fleet service since the epoch.');
  e.sample('process_start_time_seconds', {}, m.process.startTimeS);
  return e.text();
}
