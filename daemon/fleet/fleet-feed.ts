// The fleet page's live feed: each `publish(view)` (once a second while a page is open) compares the
// view with the last one and makes one numbered entry with only what changed (rows whose data or flags
// changed, rows gone, the counts), so 2,500 gateways cost a page a few rows a second, not the fleet.
// A reconnecting page sends its last entry id and gets what it missed from a bounded ring, or a full
// snapshot when the gap is older or the service restarted (the daemon's dashboard feed works the same).

import { randomBytes } from 'node:crypto';
import type { FleetView, GatewayView, TankView } from './fleet-view.js';

export interface FleetFeedEntry {
  id: string;
  kind: 'delta';
  data: string;
}

export interface FleetSnapshot {
  id: string;
  view: FleetView;
}

export interface FleetDelta {
  atMs: number;
  counts: FleetView['counts'];
  hubs: FleetView['hubs'];
  tanks: TankView[];
  tanksGone: string[];
  gateways: GatewayView[];
  gatewaysGone: string[];
}

type Listener = (e: FleetFeedEntry) => void;

export const tankKey = (t: Pick<TankView, 'gateway' | 'tank'>) => `${t.gateway}/${t.tank}`;

export class FleetFeed {
  private readonly bootId = randomBytes(4).toString('hex');
  private seq = 0;
  private readonly ring: FleetFeedEntry[] = [];
  private readonly listeners = new Set<Listener>();
  private last: FleetView | undefined;
  private tankRows = new Map<string, string>();
  private gatewayRows = new Map<string, string>();

  constructor(private readonly ringSize = 64) {}

  get id(): string {
    return `${this.bootId}.${this.seq}`;
  }

  get listenerCount(): number {
    return this.listeners.size;
  }

  /** Takes the view of this moment; makes an entry when anything changed since the last one. */
  publish(view: FleetView): FleetFeedEntry | undefined {
    const tanks = new Map(view.tanks.map((t) => [tankKey(t), JSON.stringify(t)]));
    const gateways = new Map(view.gateways.map((g) => [g.id, JSON.stringify(g)]));
    const changedTanks = view.tanks.filter((t) => this.tankRows.get(tankKey(t)) !== tanks.get(tankKey(t)));
    const changedGateways = view.gateways.filter((g) => this.gatewayRows.get(g.id) !== gateways.get(g.id));
    const tanksGone = [...this.tankRows.keys()].filter((k) => !tanks.has(k));
    const gatewaysGone = [...this.gatewayRows.keys()].filter((k) => !gateways.has(k));
    const countsChanged =
      JSON.stringify([this.last?.counts, this.last?.hubs]) !== JSON.stringify([view.counts, view.hubs]);
    this.last = view;
    this.tankRows = tanks;
    this.gatewayRows = gateways;
    if (
      !countsChanged &&
      !changedTanks.length &&
      !changedGateways.length &&
      !tanksGone.length &&
      !gatewaysGone.length
    )
      return undefined;
    const delta: FleetDelta = {
      atMs: view.atMs,
      counts: view.counts,
      hubs: view.hubs,
      tanks: changedTanks,
      tanksGone,
      gateways: changedGateways,
      gatewaysGone,
    };
    this.seq++;
    const entry: FleetFeedEntry = { id: this.id, kind: 'delta', data: JSON.stringify(delta) };
    this.ring.push(entry);
    if (this.ring.length > this.ringSize) this.ring.shift();
    for (const l of this.listeners) l(entry);
    return entry;
  }

  snapshot(): FleetSnapshot | undefined {
    return this.last ? { id: this.id, view: this.last } : undefined;
  }

  /** What a page that saw `lastEventId` missed, or a snapshot when that is out of reach. */
  resume(lastEventId: string | undefined): { entries: FleetFeedEntry[] } | { snapshot: FleetSnapshot } {
    const snap = this.snapshot() ?? { id: this.id, view: emptyView() };
    const m = lastEventId ? /^([0-9a-f]+)\.(\d+)$/.exec(lastEventId) : null;
    if (!m || m[1] !== this.bootId) return { snapshot: snap };
    const seq = Number(m[2]);
    if (seq === this.seq) return { entries: [] };
    const first = this.ring[0];
    const firstSeq = first ? Number(first.id.split('.')[1]) : this.seq + 1;
    if (seq > this.seq || seq < firstSeq - 1) return { snapshot: snap };
    return { entries: this.ring.filter((e) => Number(e.id.split('.')[1]) > seq) };
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

function emptyView(): FleetView {
  return {
    atMs: 0,
    gateways: [],
    tanks: [],
    counts: { gateways: 0, online: 0, tanks: 0, offline: 0, fault: 0, low: 0, stale: 0 },
    hubs: [],
  };
}
