import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { SystemHealth, TankStatePayload } from '../../../daemon/telemetry/topics.js';
import { renderMetrics, TickHistogram } from '../../../daemon/web/metrics.js';

const tank = (patch: Partial<TankStatePayload>): TankStatePayload =>
  ({
    time: '2026-06-01T00:00:00.000Z',
    timeSynced: true,
    tank: 'house',
    levelPct: 54.2,
    litres: 1085,
    capacityLitres: 2001,
    displayPct: 54,
    quality: 'ok',
    lastGoodTime: '2026-06-01T00:00:00.000Z',
    valve: 'open',
    pump: 'on',
    mode: 'auto',
    status: 'Water is refilling',
    faults: [],
    alarms: ['leak'],
    acknowledged: [],
    probes: {},
    thresholds: { lowPct: 15, highPct: 80, source: 'config' },
    netFlowLitresPerMin: 11.5,
    minutesToFull: 40,
    ...patch,
  }) as TankStatePayload;

function render() {
  const tick = new TickHistogram();
  tick.observe(0.8);
  tick.observe(3);
  tick.observe(4000);
  return renderMetrics({
    gateway: 'farm-"gw"',
    tanks: [
      tank({}),
      tank({
        tank: 'farm',
        levelPct: null,
        litres: null,
        quality: 'stale',
        pump: null,
        valve: 'closed',
        alarms: [],
      }),
    ],
    system: {
      gateway: 'g',
      uptimeS: 100,
      load1: 0.5,
      cpuPct: 3,
      memUsedPct: 40,
      memAvailableMb: 200,
      cpuTemperatureC: null,
      rootFsFreeMb: 1024,
      vpn: { state: 'up', handshakeAgeS: 30, lastRxAgeS: 2, reconnects: 1 },
      audit: { seq: 7, hash: 'h' },
    } as unknown as SystemHealth,
    tick,
    mqtt: { connected: true, outboxMessages: 0 },
    process: { rssBytes: 50e6, heapUsedBytes: 10e6, startTimeS: 1 },
    dashboard: { streams: 2, sessions: 3 },
    notifications: { queued: 1, sent: 2, failed: 0 },
  });
}

describe('Prometheus metrics', () => {
  it('is valid text exposition format (promtool check metrics)', () => {
    const r = spawnSync('promtool', ['check', 'metrics'], { input: render(), encoding: 'utf8' });
    expect(r.error, 'promtool is missing: apt-get install -y prometheus').toBeUndefined();
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });

  it('an unknown level is left out, never written as 0', () => {
    const text = render();
    expect(text).toContain('smart_tank_level_percent{gateway="farm-\\"gw\\"",tank="house"} 54.2');
    expect(text).not.toMatch(/smart_tank_level_percent\{[^}]*tank="farm"/);
    expect(text).toContain('smart_tank_reading_usable{gateway="farm-\\"gw\\"",tank="farm"} 0');
    expect(text).not.toMatch(/smart_tank_pump_on\{[^}]*tank="farm"/);
    expect(text).not.toContain('smart_tank_host_cpu_temperature_celsius{');
  });

  it('every alarm kind per tank is 0 or 1; the tick histogram is cumulative', () => {
    const text = render();
    expect(text).toContain('smart_tank_alarm_active{gateway="farm-\\"gw\\"",tank="house",alarm="leak"} 1');
    expect(text).toContain(
      'smart_tank_alarm_active{gateway="farm-\\"gw\\"",tank="house",alarm="sensor-stale"} 0',
    );
    expect(text).toContain(
      'smart_tank_control_tick_duration_seconds_bucket{gateway="farm-\\"gw\\"",le="0.001"} 1',
    );
    expect(text).toContain(
      'smart_tank_control_tick_duration_seconds_bucket{gateway="farm-\\"gw\\"",le="0.005"} 2',
    );
    expect(text).toContain(
      'smart_tank_control_tick_duration_seconds_bucket{gateway="farm-\\"gw\\"",le="+Inf"} 3',
    );
    expect(text).toContain('smart_tank_vpn_up{gateway="farm-\\"gw\\""} 1');
    expect(text).toContain('smart_tank_host_root_fs_free_bytes{gateway="farm-\\"gw\\""} 1073741824');
  });
});
