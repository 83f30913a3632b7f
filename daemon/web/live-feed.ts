// The dashboard's live feed, in process: tank states, tank events and gateway health as the gateway
// publishes them, numbered, with a bounded ring of the most recent entries so a tab that reconnects
// (Last-Event-ID) gets what it missed, and a full snapshot when the gap is older than the ring (or the
// daemon restarted in between: every run has its own boot id).

import { randomBytes } from 'node:crypto';
import type { SystemHealth, TankEventPayload, TankStatePayload } from '../telemetry/topics.js';

export type FeedKind = 'state' | 'event' | 'system';

export interface FeedEntry {
  /** `${bootId}.${seq}`: the SSE event id. */
  id: string;
  seq: number;
  kind: FeedKind;
  /** The payload's JSON, as MQTT carries it. */
  data: string;
}

export interface Snapshot {
  /** Id of the last entry the snapshot includes (resume from it). */
  id: string;
  tanks: TankStatePayload[];
  system: SystemHealth | null;
}

export type Resume = { entries: FeedEntry[] } | { snapshot: Snapshot };

type Listener = (entry: FeedEntry) => void;

export class LiveFeed {
  readonly bootId: string;
  private readonly ring: (FeedEntry | undefined)[];
  private seq = 0;
  private readonly states = new Map<string, { data: string; payload: TankStatePayload }>();
  private system: { data: string; payload: SystemHealth } | undefined;
  private readonly listeners = new Set<Listener>();

  constructor(
    private readonly capacity: number,
    bootId = randomBytes(6).toString('base64url'),
  ) {
    this.ring = new Array<FeedEntry | undefined>(capacity);
    this.bootId = bootId;
  }

  get lastId(): string {
    return `${this.bootId}.${this.seq}`;
  }

  get listenerCount(): number {
    return this.listeners.size;
  }

  publishState(payload: TankStatePayload, data = JSON.stringify(payload)): void {
    this.states.set(payload.tank, { data, payload });
    this.push('state', data);
  }

  publishEvent(payload: TankEventPayload, data = JSON.stringify(payload)): void {
    this.push('event', data);
  }

  publishSystem(payload: SystemHealth, data = JSON.stringify(payload)): void {
    this.system = { data, payload };
    this.push('system', data);
  }

  /** The latest state of each tank (in the order they first reported). */
  tankStates(): TankStatePayload[] {
    return [...this.states.values()].map((s) => s.payload);
  }

  tankState(tank: string): TankStatePayload | undefined {
    return this.states.get(tank)?.payload;
  }

  latestSystem(): SystemHealth | undefined {
    return this.system?.payload;
  }

  snapshot(): Snapshot {
    return { id: this.lastId, tanks: this.tankStates(), system: this.system?.payload ?? null };
  }

  /** What a client that last saw `lastEventId` needs: the entries after it, or a snapshot. */
  resume(lastEventId: string | undefined): Resume {
    const seen = parseEventId(lastEventId);
    if (!seen || seen.bootId !== this.bootId || seen.seq > this.seq) return { snapshot: this.snapshot() };
    const oldest = Math.max(1, this.seq - this.capacity + 1);
    if (seen.seq + 1 < oldest) return { snapshot: this.snapshot() };
    const entries: FeedEntry[] = [];
    for (let s = seen.seq + 1; s <= this.seq; s++) entries.push(this.ring[s % this.capacity]!);
    return { entries };
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private push(kind: FeedKind, data: string): void {
    const seq = ++this.seq;
    const entry: FeedEntry = { id: `${this.bootId}.${seq}`, seq, kind, data };
    this.ring[seq % this.capacity] = entry;
    for (const l of this.listeners) l(entry);
  }
}

export function parseEventId(id: string | undefined): { bootId: string; seq: number } | undefined {
  if (!id) return undefined;
  const m = /^([A-Za-z0-9_-]{1,32})\.(\d{1,15})$/.exec(id.trim());
  return m ? { bootId: m[1]!, seq: Number(m[2]) } : undefined;
}
