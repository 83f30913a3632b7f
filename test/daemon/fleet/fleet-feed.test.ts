// The page's live feed: only what changed, numbered; a reconnecting page gets what it missed or a snapshot.

import { describe, expect, it } from 'vitest';
import { FleetFeed, type FleetDelta } from '../../../daemon/fleet/fleet-feed.js';
import { FleetState } from '../../../daemon/fleet/fleet-state.js';
import { fleetView } from '../../../daemon/fleet/fleet-view.js';
import { T0, tankState } from './fleet-fixtures.js';

const P = 'smart-tank';
const POLICY = { offlineAfterS: 180, staleAfterS: 900 };

describe('fleet feed', () => {
  it('sends only the rows that changed, and nothing when nothing did', () => {
    const s = new FleetState(P);
    for (const g of ['a', 'b', 'c']) s.ingest(`${P}/${g}/tank/house/state`, JSON.stringify(tankState()), T0);
    const feed = new FleetFeed();
    expect(JSON.parse(feed.publish(fleetView(s, T0 + 1000, POLICY))!.data).tanks).toHaveLength(3);
    // Time passing alone changes no row (rows carry absolute times).
    expect(feed.publish(fleetView(s, T0 + 2000, POLICY))).toBeUndefined();
    s.ingest(
      `${P}/b/tank/house/state`,
      JSON.stringify(tankState({ atMs: T0 + 5000, levelPct: 10 })),
      T0 + 5000,
    );
    const d = JSON.parse(feed.publish(fleetView(s, T0 + 6000, POLICY))!.data) as FleetDelta;
    expect(d.tanks.map((t) => [t.gateway, t.flags])).toEqual([['b', ['low']]]);
    expect(d.gateways.map((g) => g.id)).toEqual(['b']);
    // Silence past offlineAfterS flips every row.
    const late = JSON.parse(feed.publish(fleetView(s, T0 + 200_000, POLICY))!.data) as FleetDelta;
    expect(late.gateways.filter((g) => !g.online)).toHaveLength(3);
  });

  it('resumes from the last id, or gives a snapshot when the id is unknown or too old', () => {
    const s = new FleetState(P);
    const feed = new FleetFeed(2);
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      s.ingest(
        `${P}/a/tank/house/state`,
        JSON.stringify(tankState({ atMs: T0 + i * 1000, levelPct: 50 + i })),
        T0 + i * 1000,
      );
      ids.push(feed.publish(fleetView(s, T0 + i * 1000, POLICY))!.id);
    }
    expect(feed.resume(ids[2])).toEqual({ entries: [expect.objectContaining({ id: ids[3] })] });
    expect(feed.resume(ids[3])).toEqual({ entries: [] });
    expect('snapshot' in feed.resume(ids[0])).toBe(true);
    expect('snapshot' in feed.resume('beef.1')).toBe(true);
    expect('snapshot' in feed.resume(undefined)).toBe(true);
  });
});
