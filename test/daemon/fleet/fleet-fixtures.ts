// Tank states and health as a gateway publishes them (the daemon's own payload types), for the fleet's
// unit tests.

import type { SystemHealth, TankStatePayload } from '../../../daemon/telemetry/topics.js';

export const T0 = Date.parse('2026-12-01T08:00:00Z');

export function tankState(o: Partial<TankStatePayload> & { atMs?: number } = {}): TankStatePayload {
  const { atMs = T0, ...rest } = o;
  return {
    time: new Date(atMs).toISOString(),
    timeSynced: true,
    tank: 'house',
    name: 'House tank',
    levelPct: 55,
    litres: 1100,
    capacityLitres: 2000,
    displayPct: 55,
    quality: 'ok',
    valve: 'closed',
    pump: 'off',
    mode: 'auto',
    status: 'Water is ready to use',
    faults: [],
    alarms: [],
    acknowledged: [],
    probes: {},
    thresholds: { lowPct: 15, highPct: 80, source: 'config' },
    netFlowLitresPerMin: null,
    minutesToFull: null,
    ...rest,
  };
}

export function health(atMs = T0): SystemHealth {
  return {
    time: new Date(atMs).toISOString(),
    timeSynced: true,
    gateway: 'farm-gw-01',
    uptimeS: 100,
    daemonUptimeS: 90,
    load1: 0.1,
    cpuPct: 2,
    memUsedPct: 30,
    memAvailableMb: 300,
    daemonRssMb: 80,
    cpuTemperatureC: 51.5,
    stateBytesWritten: 0,
    outboxMessages: 3,
  };
}
