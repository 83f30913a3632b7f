// What an operator needs to see, decided from the fleet's state and the time (pure): per gateway whether
// it is online, and why not; per tank whether it is low, in fault, stale or offline, in the order that
// puts the tanks needing attention first. The page, /metrics and the JSON API all read this view.

import type { FleetState, GatewayRecord, TankRecord } from './fleet-state.js';
import type { GatewayPlace } from './inventory.js';

export interface LivenessPolicy {
  offlineAfterS: number;
  staleAfterS: number;
}

export type OfflineReason = 'said-offline' | 'bridge-down' | 'silent' | 'never-heard';

export interface GatewayView {
  id: string;
  server: number | null;
  site: string | null;
  online: boolean;
  offlineReason?: OfflineReason;
  /** When anything new last came from it (ms since the epoch, the fleet's clock; null: never). */
  lastHeardAtMs: number | null;
  cpuTemperatureC: number | null;
  outboxMessages: number | null;
  tanks: number;
}

export type TankFlag = 'offline' | 'fault' | 'low' | 'stale';

export interface TankView {
  gateway: string;
  tank: string;
  name: string;
  server: number | null;
  site: string | null;
  levelPct: number | null;
  litres: number | null;
  capacityLitres: number;
  lowPct: number;
  highPct: number;
  valve: string;
  pump: string | null;
  mode: string;
  status: string;
  quality: string;
  faults: string[];
  alarms: string[];
  /** The tank's own time of its last state (ISO), and when the fleet received it (ms, its clock). */
  time: string;
  receivedAtMs: number;
  flags: TankFlag[];
}

/** Rows carry absolute times, so a row changes only when its data or flags do (the live feed sends changes). */
export interface FleetView {
  atMs: number;
  gateways: GatewayView[];
  tanks: TankView[];
  counts: { gateways: number; online: number; tanks: number } & Record<TankFlag, number>;
  hubs: { hub: string; up: boolean }[];
}

/** Alarms that mean the tank itself is not working as it should (the daemon's fault kinds). */
const FAULT_ALARMS = new Set([
  'sensor-stale',
  'sensor-disagree',
  'high-high',
  'no-rise',
  'fill-timeout',
  'short-cycling',
  'dry-run',
  'leak',
]);

export function gatewayLiveness(
  g: GatewayRecord,
  nowMs: number,
  policy: LivenessPolicy,
): { online: boolean; reason?: OfflineReason; silentS: number | null } {
  const silentS = g.lastHeardMs > 0 ? Math.max(0, (nowMs - g.lastHeardMs) / 1000) : null;
  if (silentS === null) return { online: false, reason: 'never-heard', silentS };
  // The daemon's own Last Will, or the hub saying the gateway's link went, unless it spoke since.
  if (g.status?.value === 'offline' && g.status.atMs >= g.lastHeardMs)
    return { online: false, reason: 'said-offline', silentS };
  if (g.bridge && !g.bridge.up && g.bridge.atMs >= g.lastHeardMs)
    return { online: false, reason: 'bridge-down', silentS };
  if (silentS > policy.offlineAfterS) return { online: false, reason: 'silent', silentS };
  return { online: true, silentS };
}

export function tankFlags(
  t: TankRecord,
  gatewayOnline: boolean,
  nowMs: number,
  policy: LivenessPolicy,
): TankFlag[] {
  const s = t.state;
  const flags: TankFlag[] = [];
  if (!gatewayOnline) flags.push('offline');
  if (s.faults.length > 0 || s.alarms.some((a) => FAULT_ALARMS.has(a))) flags.push('fault');
  if ((s.levelPct !== null && s.levelPct < s.thresholds.lowPct) || s.alarms.includes('level-critical'))
    flags.push('low');
  if ((nowMs - t.receivedMs) / 1000 > policy.staleAfterS || s.quality === 'stale') flags.push('stale');
  return flags;
}

const FLAG_RANK: Record<TankFlag, number> = { offline: 0, fault: 1, low: 2, stale: 3 };

/** Tanks needing attention first (by their most serious flag), then the lowest level first. */
export function attentionOrder(a: TankView, b: TankView): number {
  const rank = (t: TankView) => Math.min(4, ...t.flags.map((f) => FLAG_RANK[f]));
  return (
    rank(a) - rank(b) ||
    (a.levelPct ?? -1) - (b.levelPct ?? -1) ||
    a.gateway.localeCompare(b.gateway) ||
    a.tank.localeCompare(b.tank)
  );
}

export function fleetView(
  state: FleetState,
  nowMs: number,
  policy: LivenessPolicy,
  places: ReadonlyMap<string, GatewayPlace> = new Map(),
): FleetView {
  const gateways: GatewayView[] = [];
  const tanks: TankView[] = [];
  const counts = { gateways: 0, online: 0, tanks: 0, offline: 0, fault: 0, low: 0, stale: 0 };
  for (const g of state.gateways.values()) {
    const place = places.get(g.id);
    const live = gatewayLiveness(g, nowMs, policy);
    counts.gateways++;
    if (live.online) counts.online++;
    gateways.push({
      id: g.id,
      server: place?.server ?? null,
      site: place?.site ?? null,
      online: live.online,
      ...(live.reason ? { offlineReason: live.reason } : {}),
      lastHeardAtMs: g.lastHeardMs > 0 ? g.lastHeardMs : null,
      cpuTemperatureC: g.system?.cpuTemperatureC ?? null,
      outboxMessages: g.system?.outboxMessages ?? null,
      tanks: g.tanks.size,
    });
    for (const [id, t] of g.tanks) {
      const flags = tankFlags(t, live.online, nowMs, policy);
      for (const f of flags) counts[f]++;
      counts.tanks++;
      const s = t.state;
      tanks.push({
        gateway: g.id,
        tank: id,
        name: s.name ?? id,
        server: place?.server ?? null,
        site: place?.site ?? null,
        levelPct: s.levelPct,
        litres: s.litres,
        capacityLitres: s.capacityLitres,
        lowPct: s.thresholds.lowPct,
        highPct: s.thresholds.highPct,
        valve: s.valve,
        pump: s.pump,
        mode: s.mode,
        status: s.status,
        quality: s.quality,
        faults: s.faults,
        alarms: s.alarms,
        time: s.time,
        receivedAtMs: t.receivedMs,
        flags,
      });
    }
  }
  tanks.sort(attentionOrder);
  gateways.sort((a, b) => Number(a.online) - Number(b.online) || a.id.localeCompare(b.id));
  const hubs = [...state.hubs]
    .map(([hub, h]) => ({ hub, up: h.up }))
    .sort((a, b) => a.hub.localeCompare(b.hub));
  return { atMs: nowMs, gateways, tanks, counts, hubs };
}
