// The latest state of every gateway and tank, from the messages the central broker delivers. One
// message in, one decision out (applied, a duplicate or an older copy, invalid, not ours): at-least-once
// delivery through two bridges and a clustered broker repeats messages (a bridge resends what it had in
// flight, a quorum queue redelivers what its lost leader had not settled) and may hand an old copy after
// a newer one, so a tank's state is replaced only by a state stamped later. Times are given (receivedMs),
// never read here.

import * as z from '../config/zod.js';
import type { GatewayStatus, SystemHealth, TankEventPayload, TankStatePayload } from '../telemetry/topics.js';

/** What a topic under the prefix (or a hub's bridge state) is about. */
export type FleetTopic =
  | { kind: 'status'; gateway: string }
  | { kind: 'system'; gateway: string }
  | { kind: 'bridge'; gateway: string }
  | { kind: 'state'; gateway: string; tank: string }
  | { kind: 'event'; gateway: string; tank: string }
  | { kind: 'result'; gateway: string; user: string }
  | { kind: 'command'; gateway: string; user: string }
  | { kind: 'hub'; hub: string };

const SEGMENT = /^[A-Za-z0-9_.@-]{1,64}$/;

export function parseFleetTopic(prefix: string, topic: string): FleetTopic | undefined {
  const hub = /^fleet-hub\/([A-Za-z0-9_-]{1,64})\/bridge$/.exec(topic);
  if (hub) return { kind: 'hub', hub: hub[1]! };
  if (!topic.startsWith(prefix + '/')) return undefined;
  const parts = topic.slice(prefix.length + 1).split('/');
  if (!parts.every((p) => SEGMENT.test(p))) return undefined;
  const [gateway, a, b, c] = parts as [string, string?, string?, string?];
  if (parts.length === 2 && (a === 'status' || a === 'system' || a === 'bridge')) return { kind: a, gateway };
  if (parts.length === 4 && a === 'tank' && c === 'state') return { kind: 'state', gateway, tank: b! };
  if (parts.length === 4 && a === 'tank' && c === 'event') return { kind: 'event', gateway, tank: b! };
  if (parts.length === 3 && a === 'result') return { kind: 'result', gateway, user: b! };
  if (parts.length === 3 && a === 'command') return { kind: 'command', gateway, user: b! };
  return undefined;
}

// Loose schemas: the fields the fleet uses, checked; any others (a newer daemon's) kept as they are.
const isoTime = z.string().check(z.refine((s) => !Number.isNaN(Date.parse(s)), 'must be an ISO time'));
const tankStateSchema = z.looseObject({
  time: isoTime,
  timeSynced: z.boolean(),
  tank: z.optional(z.string()),
  name: z.optional(z.string().check(z.maxLength(64))),
  levelPct: z.nullable(z.number()),
  litres: z.nullable(z.number()),
  capacityLitres: z.number(),
  quality: z.string(),
  valve: z.string(),
  pump: z.nullable(z.string()),
  mode: z.string(),
  status: z.string().check(z.maxLength(200)),
  faults: z.array(z.string()),
  alarms: z.array(z.string()),
  thresholds: z.looseObject({ lowPct: z.number(), highPct: z.number() }),
});
const eventSchema = z.looseObject({ time: isoTime, type: z.string() });
const systemSchema = z.looseObject({ time: isoTime });
const resultSchema = z.looseObject({ id: z.string(), result: z.string() });

export interface TankRecord {
  state: TankStatePayload;
  /** When the fleet received the state in force (ms, the fleet's clock). */
  receivedMs: number;
  lastEvent?: TankEventPayload;
}

export interface GatewayRecord {
  id: string;
  /** The newest non-duplicate message from this gateway arrived then (the fleet's clock). */
  lastHeardMs: number;
  status?: { value: GatewayStatus; atMs: number };
  /** Its Mosquitto's bridge to the hub: up (1) or down (0, the bridge's will at the hub). */
  bridge?: { up: boolean; atMs: number };
  system?: SystemHealth;
  tanks: Map<string, TankRecord>;
}

export interface CommandAnswer {
  id: string;
  result: string;
  reason?: string;
  message?: string;
  tank?: string;
  action?: string;
  time?: string;
}

export type Ingested =
  | { outcome: 'applied'; topic: FleetTopic }
  | { outcome: 'answer'; gateway: string; user: string; answer: CommandAnswer }
  | { outcome: 'duplicate'; topic: FleetTopic }
  | { outcome: 'invalid'; topic: FleetTopic | undefined; problem: string }
  | { outcome: 'ignored' };

export interface FleetCounters {
  messages: number;
  applied: number;
  duplicates: number;
  invalid: number;
}

export const SNAPSHOT_FORMAT = 1;

export interface FleetSnapshotFile {
  format: number;
  hubs: { hub: string; up: boolean; atMs: number }[];
  gateways: {
    id: string;
    lastHeardMs: number;
    status?: GatewayRecord['status'];
    bridge?: GatewayRecord['bridge'];
    system?: SystemHealth;
    tanks: { id: string; state: TankStatePayload; receivedMs: number }[];
  }[];
}

/** Events remembered per tank to recognise a repeated one (a few minutes of a busy tank). */
const EVENT_MEMORY = 64;

export class FleetState {
  readonly gateways = new Map<string, GatewayRecord>();
  readonly hubs = new Map<string, { up: boolean; atMs: number }>();
  readonly counters: FleetCounters = { messages: 0, applied: 0, duplicates: 0, invalid: 0 };
  /** Bumped on every change: the page and the snapshot writer look at it. */
  version = 0;
  private readonly recentEvents = new Map<string, string[]>();

  constructor(private readonly prefix: string) {}

  ingest(topic: string, payload: Buffer | string, receivedMs: number): Ingested {
    this.counters.messages++;
    const t = parseFleetTopic(this.prefix, topic);
    if (!t || t.kind === 'command') return { outcome: 'ignored' };
    const text = payload.toString();
    const r = this.apply(t, text, receivedMs);
    if (r.outcome === 'applied' || r.outcome === 'answer') {
      this.counters.applied++;
      this.version++;
    } else if (r.outcome === 'duplicate') this.counters.duplicates++;
    else if (r.outcome === 'invalid') this.counters.invalid++;
    return r;
  }

  /** The last known state, for the state file (a restart shows the fleet as it was, aged honestly). */
  toSnapshot(): FleetSnapshotFile {
    return {
      format: SNAPSHOT_FORMAT,
      hubs: [...this.hubs].map(([hub, h]) => ({ hub, ...h })),
      gateways: [...this.gateways.values()].map((g) => ({
        id: g.id,
        lastHeardMs: g.lastHeardMs,
        ...(g.status ? { status: g.status } : {}),
        ...(g.bridge ? { bridge: g.bridge } : {}),
        ...(g.system ? { system: g.system } : {}),
        tanks: [...g.tanks].map(([id, t]) => ({ id, state: t.state, receivedMs: t.receivedMs })),
      })),
    };
  }

  restore(s: FleetSnapshotFile): void {
    if (s.format !== SNAPSHOT_FORMAT) return;
    for (const h of s.hubs) this.hubs.set(h.hub, { up: h.up, atMs: h.atMs });
    for (const g of s.gateways) {
      const tanks = new Map(g.tanks.map((t) => [t.id, { state: t.state, receivedMs: t.receivedMs }]));
      this.gateways.set(g.id, {
        id: g.id,
        lastHeardMs: g.lastHeardMs,
        ...(g.status ? { status: g.status } : {}),
        ...(g.bridge ? { bridge: g.bridge } : {}),
        ...(g.system ? { system: g.system } : {}),
        tanks,
      });
    }
    this.version++;
  }

  private gateway(id: string): GatewayRecord {
    let g = this.gateways.get(id);
    if (!g) {
      g = { id, lastHeardMs: 0, tanks: new Map() };
      this.gateways.set(id, g);
    }
    return g;
  }

  private apply(t: FleetTopic, text: string, now: number): Ingested {
    if (t.kind === 'hub') {
      if (text !== '1' && text !== '0') return { outcome: 'invalid', topic: t, problem: 'expected 1 or 0' };
      this.hubs.set(t.hub, { up: text === '1', atMs: now });
      return { outcome: 'applied', topic: t };
    }
    if (t.kind === 'status') {
      if (text !== 'online' && text !== 'offline')
        return { outcome: 'invalid', topic: t, problem: 'expected online or offline' };
      const g = this.gateway(t.gateway);
      g.status = { value: text, atMs: now };
      if (text === 'online') g.lastHeardMs = now;
      return { outcome: 'applied', topic: t };
    }
    if (t.kind === 'bridge') {
      if (text !== '1' && text !== '0') return { outcome: 'invalid', topic: t, problem: 'expected 1 or 0' };
      const g = this.gateway(t.gateway);
      g.bridge = { up: text === '1', atMs: now };
      if (text === '1') g.lastHeardMs = now;
      return { outcome: 'applied', topic: t };
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return { outcome: 'invalid', topic: t, problem: 'not JSON' };
    }
    switch (t.kind) {
      case 'state':
        return this.applyState(t, json, now);
      case 'event':
        return this.applyEvent(t, json, now);
      case 'system': {
        const r = systemSchema.safeParse(json);
        if (!r.success) return { outcome: 'invalid', topic: t, problem: problemOf(r.error) };
        const g = this.gateway(t.gateway);
        const system = r.data as unknown as SystemHealth;
        if (g.system && Date.parse(g.system.time) >= Date.parse(system.time))
          return { outcome: 'duplicate', topic: t };
        g.system = system;
        g.lastHeardMs = now;
        return { outcome: 'applied', topic: t };
      }
      case 'result': {
        const r = resultSchema.safeParse(json);
        if (!r.success) return { outcome: 'invalid', topic: t, problem: problemOf(r.error) };
        return { outcome: 'answer', gateway: t.gateway, user: t.user, answer: r.data as CommandAnswer };
      }
      default:
        return { outcome: 'ignored' };
    }
  }

  private applyState(t: Extract<FleetTopic, { kind: 'state' }>, json: unknown, now: number): Ingested {
    const r = tankStateSchema.safeParse(json);
    if (!r.success) return { outcome: 'invalid', topic: t, problem: problemOf(r.error) };
    const state = r.data as unknown as TankStatePayload;
    const g = this.gateway(t.gateway);
    const current = g.tanks.get(t.tank);
    if (current && Date.parse(current.state.time) >= Date.parse(state.time))
      return { outcome: 'duplicate', topic: t };
    g.tanks.set(t.tank, { ...current, state: { ...state, tank: t.tank }, receivedMs: now });
    g.lastHeardMs = now;
    return { outcome: 'applied', topic: t };
  }

  private applyEvent(t: Extract<FleetTopic, { kind: 'event' }>, json: unknown, now: number): Ingested {
    const r = eventSchema.safeParse(json);
    if (!r.success) return { outcome: 'invalid', topic: t, problem: problemOf(r.error) };
    const key = `${t.gateway}/${t.tank}`;
    const fingerprint = JSON.stringify(json);
    const seen = this.recentEvents.get(key) ?? [];
    if (seen.includes(fingerprint)) return { outcome: 'duplicate', topic: t };
    seen.push(fingerprint);
    if (seen.length > EVENT_MEMORY) seen.shift();
    this.recentEvents.set(key, seen);
    const g = this.gateway(t.gateway);
    g.lastHeardMs = now;
    const tank = g.tanks.get(t.tank);
    if (tank) tank.lastEvent = r.data as unknown as TankEventPayload;
    return { outcome: 'applied', topic: t };
  }
}

function problemOf(error: z.core.$ZodError): string {
  const i = error.issues[0]!;
  return `${i.path.join('.') || '(root)'}: ${i.message}`;
}
