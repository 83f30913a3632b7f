// /metrics of the fleet: valid exposition format (promtool), every tank's level and flags, active alarms,
// gateway liveness; an unknown level is absent, never 0.

import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { renderFleetMetrics } from '../../../daemon/fleet/fleet-metrics.js';
import { FleetState } from '../../../daemon/fleet/fleet-state.js';
import { fleetView } from '../../../daemon/fleet/fleet-view.js';
import { T0, tankState } from './fleet-fixtures.js';

const P = 'smart-tank';
const NOW = T0 + 30_000;

function render(): string {
  const s = new FleetState(P);
  s.ingest(
    `${P}/a/tank/house/state`,
    JSON.stringify(tankState({ levelPct: 12.5, alarms: ['level-critical'] })),
    NOW - 5000,
  );
  s.ingest(
    `${P}/b/tank/farm/state`,
    JSON.stringify(tankState({ tank: 'farm', levelPct: null, litres: null, quality: 'stale' })),
    NOW - 5000,
  );
  s.ingest('fleet-hub/server-1/bridge', '1', NOW);
  const view = fleetView(
    s,
    NOW,
    { offlineAfterS: 180, staleAfterS: 900 },
    new Map([['a', { site: 'dun"more', server: 1, address: '' }]]),
  );
  return renderFleetMetrics({
    view,
    counters: s.counters,
    central: { connected: true, reconnects: 2 },
    commands: { answered: 1, unanswered: 0 },
    process: { rssBytes: 80e6, startTimeS: 1 },
  });
}

describe('fleet metrics', () => {
  it('is valid text exposition format (promtool check metrics)', () => {
    const r = spawnSync('promtool', ['check', 'metrics'], { input: render(), encoding: 'utf8' });
    expect(r.error, 'promtool is missing: apt-get install -y prometheus').toBeUndefined();
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });

  it("has every tank's level and flags, active alarms and gateway liveness, labelled by site and server", () => {
    const m = render();
    expect(m).toContain(
      'smart_tank_fleet_tank_level_percent{site="dun\\"more",server="1",gateway="a",tank="house"} 12.5',
    );
    expect(m).toContain('smart_tank_fleet_tank_low{site="dun\\"more",server="1",gateway="a",tank="house"} 1');
    expect(m).toContain(
      'smart_tank_fleet_tank_alarm{site="dun\\"more",server="1",gateway="a",tank="house",alarm="level-critical"} 1',
    );
    expect(m).toContain('smart_tank_fleet_tank_stale{site="",server="",gateway="b",tank="farm"} 1');
    expect(m).not.toMatch(/smart_tank_fleet_tank_level_percent\{[^}]*gateway="b"/);
    expect(m).toContain('smart_tank_fleet_gateway_up{site="",server="",gateway="b"} 1');
    expect(m).toContain('smart_tank_fleet_hub_bridge_up{hub="server-1"} 1');
    expect(m).toContain('smart_tank_fleet_messages_total{outcome="applied"} 3');
  });
});
