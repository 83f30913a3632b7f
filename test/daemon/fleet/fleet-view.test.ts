// What an operator sees: liveness of a gateway (its will, its bridge, silence) and the flags of a tank
// (offline, fault, low, stale), in the order that puts attention first.

import { describe, expect, it } from 'vitest';
import { FleetState } from '../../../daemon/fleet/fleet-state.js';
import { fleetView } from '../../../daemon/fleet/fleet-view.js';
import { T0, tankState } from './fleet-fixtures.js';

const P = 'smart-tank';
const POLICY = { offlineAfterS: 180, staleAfterS: 900 };
const NOW = T0 + 60_000;

function fleetWith(
  ...tanks: { gateway: string; tank: string; state: Parameters<typeof tankState>[0]; at?: number }[]
) {
  const s = new FleetState(P);
  for (const t of tanks)
    s.ingest(
      `${P}/${t.gateway}/tank/${t.tank}/state`,
      JSON.stringify(tankState({ tank: t.tank, ...t.state })),
      t.at ?? NOW - 1000,
    );
  return s;
}

describe('fleet view', () => {
  it('flags a low, a faulty and a stale tank, attention first, lowest level first', () => {
    const s = fleetWith(
      { gateway: 'a', tank: 'ok', state: { levelPct: 50 } },
      { gateway: 'b', tank: 'low', state: { levelPct: 9 } },
      {
        gateway: 'c',
        tank: 'fault',
        state: { levelPct: 70, faults: ['level sensor not responding'], alarms: ['sensor-stale'] },
      },
      { gateway: 'd', tank: 'stale', state: { levelPct: 60 }, at: NOW - 1000 * 1000 },
      { gateway: 'e', tank: 'critical', state: { levelPct: 20, alarms: ['level-critical'] } },
    );
    // gateway d was heard long ago: it is offline too
    const v = fleetView(s, NOW, POLICY);
    const by = Object.fromEntries(v.tanks.map((t) => [t.tank, t.flags]));
    expect(by).toEqual({
      ok: [],
      low: ['low'],
      fault: ['fault'],
      stale: ['offline', 'stale'],
      critical: ['low'],
    });
    expect(v.tanks.map((t) => t.tank)).toEqual(['stale', 'fault', 'low', 'critical', 'ok']);
    expect(v.counts).toMatchObject({
      gateways: 5,
      online: 4,
      tanks: 5,
      offline: 1,
      fault: 1,
      low: 2,
      stale: 1,
    });
  });

  it('takes a gateway offline on its will, on its bridge going down, or after offlineAfterS of silence', () => {
    const s = fleetWith({ gateway: 'g', tank: 'house', state: {}, at: NOW - 10_000 });
    const live = () => fleetView(s, NOW, POLICY).gateways[0]!;
    expect(live()).toMatchObject({ online: true, lastHeardAtMs: NOW - 10_000 });
    s.ingest(`${P}/g/bridge`, '0', NOW - 5000);
    expect(live()).toMatchObject({ online: false, offlineReason: 'bridge-down' });
    s.ingest(`${P}/g/bridge`, '1', NOW - 4000);
    expect(live().online).toBe(true);
    s.ingest(`${P}/g/status`, 'offline', NOW - 3000);
    expect(live()).toMatchObject({ online: false, offlineReason: 'said-offline' });
    s.ingest(`${P}/g/status`, 'online', NOW - 2000);
    expect(live().online).toBe(true);
    expect(fleetView(s, NOW - 2000 + 180_000, POLICY).gateways[0]!.online).toBe(true);
    expect(fleetView(s, NOW - 2000 + 181_000, POLICY).gateways[0]).toMatchObject({
      online: false,
      offlineReason: 'silent',
    });
  });

  it('labels rows with their site and VPN server from the inventories', () => {
    const s = fleetWith({ gateway: 'g', tank: 'house', state: {} });
    const v = fleetView(
      s,
      NOW,
      POLICY,
      new Map([['g', { site: 'dunmore', server: 3, address: '10.77.2.5' }]]),
    );
    expect(v.tanks[0]).toMatchObject({ site: 'dunmore', server: 3 });
    expect(v.gateways[0]).toMatchObject({ site: 'dunmore', server: 3 });
  });
});
