// The fleet page's own decisions (daemon/fleet/client/fleet-model.js, plain JavaScript the page runs):
// filters, search, sort orders and groups.

import { describe, expect, it } from 'vitest';
import { filterRows, groupRows, sortRows } from '../../../daemon/fleet/client/fleet-model.js';
import type { TankView } from '../../../daemon/fleet/fleet-view.js';

function row(o: Partial<TankView>): TankView {
  return {
    gateway: 'g',
    tank: 't',
    name: 'Tank',
    server: 1,
    site: 'dunmore',
    levelPct: 50,
    litres: 1000,
    capacityLitres: 2000,
    lowPct: 15,
    highPct: 80,
    valve: 'closed',
    pump: null,
    mode: 'auto',
    status: 'Water is ready to use',
    quality: 'ok',
    faults: [],
    alarms: [],
    time: '2026-12-01T08:00:00.000Z',
    receivedAtMs: 0,
    flags: [],
    ...o,
  };
}

const rows = [
  row({ gateway: 'a', levelPct: 60, server: 2 }),
  row({ gateway: 'b', levelPct: 10, flags: ['low'], server: 1 }),
  row({ gateway: 'c', levelPct: null, flags: ['offline', 'stale'], server: 2, site: 'kilmore' }),
  row({ gateway: 'd', levelPct: 70, flags: ['fault'], server: 1 }),
];

describe('fleet page model', () => {
  it('filters by attention, by flag and by words', () => {
    expect(filterRows(rows, 'attention', '').map((r) => r.gateway)).toEqual(['b', 'c', 'd']);
    expect(filterRows(rows, 'low', '').map((r) => r.gateway)).toEqual(['b']);
    expect(filterRows(rows, 'all', 'kilmore').map((r) => r.gateway)).toEqual(['c']);
    expect(filterRows(rows, 'all', 'server 2').map((r) => r.gateway)).toEqual(['a', 'c']);
  });

  it('sorts by attention (offline, fault, low, stale), by level (unknown first) and back', () => {
    expect(sortRows(rows, 'attention', 'asc').map((r) => r.gateway)).toEqual(['c', 'd', 'b', 'a']);
    expect(sortRows(rows, 'level', 'asc').map((r) => r.gateway)).toEqual(['c', 'b', 'a', 'd']);
    expect(sortRows(rows, 'level', 'desc').map((r) => r.gateway)).toEqual(['d', 'a', 'b', 'c']);
  });

  it('groups by VPN server and site in the order of the sort', () => {
    const g = groupRows(sortRows(rows, 'attention', 'asc'), 'server');
    expect(g.map((x) => [x.site, x.server, x.rows.map((r) => r.gateway)])).toEqual([
      ['kilmore', 2, ['c']],
      ['dunmore', 1, ['d', 'b']],
      ['dunmore', 2, ['a']],
    ]);
    expect(groupRows(rows, 'none')).toHaveLength(1);
  });
});
