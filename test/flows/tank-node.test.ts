// The tank and gateway-health nodes, in Node-RED (node-red-node-test-helper) against a real broker: the
// test publishes what the daemon publishes, on the daemon's topics, and checks what the nodes emit and
// show, that malformed payloads reach a Catch node, and that the shared connection recovers.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import gatewayNode from '../../flows/nodes/src/gateway-node.js';
import healthNode from '../../flows/nodes/src/health-node.js';
import tankNode from '../../flows/nodes/src/tank-node.js';
import type { SystemHealth } from '../../daemon/telemetry/topics.js';
import { TestBroker } from '../helpers/aedes-broker.js';
import { waitFor } from '../helpers/daemon.js';
import {
  CREDENTIALS,
  EVENT_TIMEOUT_MS,
  gatewayConfig,
  helper,
  record,
  errorsOf,
  flow,
  statuses,
  tankState,
  TOPICS,
  USERS,
} from './kit.js';

const NODES = [gatewayNode, tankNode, healthNode];

function health(overrides: Partial<SystemHealth> = {}): SystemHealth {
  return {
    time: new Date().toISOString(),
    timeSynced: true,
    gateway: 'farm-gw-01',
    uptimeS: 3600,
    daemonUptimeS: 600,
    load1: 0.2,
    cpuPct: 12.4,
    memUsedPct: 41.6,
    memAvailableMb: 280,
    daemonRssMb: 62,
    cpuTemperatureC: 48.2,
    stateBytesWritten: 1200,
    ...overrides,
  };
}

describe('smart-tank tank and health nodes', () => {
  let broker: TestBroker;
  beforeEach(async () => {
    broker = await new TestBroker(USERS).start();
  });
  afterEach(async () => {
    await helper.unload();
    await broker.stop();
  });

  async function loadTankFlow(tank = 'house', gatewayExtra: Record<string, unknown> = {}) {
    await helper.load(
      NODES,
      flow(gatewayConfig(broker.url, gatewayExtra), [
        { id: 'tank', type: 'smart-tank-tank', gateway: 'gw', tank, wires: [['state'], ['events']] },
        { id: 'state', type: 'helper' },
        { id: 'events', type: 'helper' },
        { id: 'catch', type: 'catch', scope: ['tank'], uncaught: false, wires: [['caught']] },
        { id: 'caught', type: 'helper' },
      ]),
      CREDENTIALS,
    );
    return {
      state: record('state'),
      events: record('events'),
      caught: record('caught'),
      status: statuses('tank'),
    };
  }

  it('emits the retained tank state as the typed payload and shows level and status text', async () => {
    const daemon = await broker.client('gateway');
    await daemon.publishAsync(TOPICS.tankState('house'), JSON.stringify(tankState()), {
      retain: true,
      qos: 1,
    });
    const { state, status } = await loadTankFlow();

    const first = await state.next();
    expect(first).toMatchObject({
      topic: TOPICS.tankState('house'),
      tank: 'house',
      payload: tankState({ time: expect.any(String) }),
    });
    await status.until((s) => s.fill === 'green' && s.text === '54% Water is ready to use', 'green, ready');

    await daemon.publishAsync(
      TOPICS.tankState('house'),
      JSON.stringify(tankState({ displayPct: 12.2, valve: 'open', status: 'Water is refilling' })),
      { qos: 1 },
    );
    await state.next((m) => (m.payload as { valve: string }).valve === 'open');
    await status.until(
      (s) => s.fill === 'blue' && s.shape === 'dot' && s.text === '12% Water is refilling',
      'blue, refilling',
    );

    await daemon.publishAsync(
      TOPICS.tankState('house'),
      JSON.stringify(
        tankState({ faults: ['sensor-stale'], status: 'Fault: level sensor stale', quality: 'stale' }),
      ),
      { qos: 1 },
    );
    await status.until((s) => s.fill === 'red' && s.text === '54% Fault: level sensor stale', 'red, fault');

    await daemon.publishAsync(TOPICS.tankState('house'), JSON.stringify(tankState({ quality: 'stale' })), {
      qos: 1,
    });
    await status.until(
      (s) => s.fill === 'yellow' && s.text === 'level stale',
      'yellow, level not trustworthy',
    );
  });

  it('emits tank events on the second output, and only for its own tank', async () => {
    const { events, state } = await loadTankFlow();
    await waitFor(
      () => broker.subscribed.some((s) => s.topic === TOPICS.tankEvent('house')),
      EVENT_TIMEOUT_MS,
      'the event subscription',
    );
    const daemon = await broker.client('gateway');
    const base = { time: new Date().toISOString(), timeSynced: true };
    await daemon.publishAsync(
      TOPICS.tankEvent('farm'),
      JSON.stringify({
        ...base,
        tank: 'farm',
        type: 'valve',
        open: true,
        reason: 'below low',
        safety: false,
      }),
      { qos: 1 },
    );
    const alarm = {
      ...base,
      tank: 'house',
      type: 'alarm',
      alarm: 'level-critical',
      active: true,
      severity: 'alarm',
      message: 'level 4% below critical 5%',
    };
    await daemon.publishAsync(TOPICS.tankEvent('house'), JSON.stringify(alarm), { qos: 1 });

    const got = await events.next();
    expect(got).toMatchObject({
      topic: TOPICS.tankEvent('house'),
      tank: 'house',
      event: 'alarm',
      payload: alarm,
    });
    expect(events.messages).toHaveLength(1);
    expect(state.messages).toHaveLength(0);
  });

  it('with no tank id follows every tank and names the tank in its status', async () => {
    const daemon = await broker.client('gateway');
    await daemon.publishAsync(
      TOPICS.tankState('farm'),
      JSON.stringify(tankState({ tank: 'farm', displayPct: 33 })),
      { retain: true, qos: 1 },
    );
    const { state, status } = await loadTankFlow('');
    expect(await state.next()).toMatchObject({ tank: 'farm', topic: TOPICS.tankState('farm') });
    await status.until((s) => s.text === 'farm 33% Water is ready to use', 'the farm tank named');
    expect(broker.subscribed.map((s) => s.topic)).toContain(TOPICS.tankState('+'));
  });

  it('a payload that is not a tank state reaches a Catch node naming the field, and is not emitted', async () => {
    const { state, caught } = await loadTankFlow();
    const daemon = await broker.client('gateway');
    await waitFor(
      () => broker.subscribed.some((s) => s.topic === TOPICS.tankState('house')),
      EVENT_TIMEOUT_MS,
      'the state subscription',
    );
    await daemon.publishAsync(
      TOPICS.tankState('house'),
      JSON.stringify({ ...tankState(), levelPct: 'high' }),
      { qos: 1 },
    );
    await daemon.publishAsync(TOPICS.tankState('house'), 'not json', { qos: 1 });
    const first = await caught.next();
    expect((first.error as { message: string }).message).toBe(
      `${TOPICS.tankState('house')}: not a tank state: levelPct: expected a number or null`,
    );
    const second = await caught.next();
    expect((second.error as { message: string }).message).toContain('not a tank state: not JSON');
    expect(state.messages).toHaveLength(0);
  });

  it("shows the gateway's Last Will: offline, with the last level", async () => {
    const daemon = await broker.client('gateway');
    await daemon.publishAsync(TOPICS.tankState('house'), JSON.stringify(tankState()), {
      retain: true,
      qos: 1,
    });
    await daemon.publishAsync(TOPICS.status, 'online', { retain: true, qos: 1 });
    const { status } = await loadTankFlow();
    await status.until((s) => s.fill === 'green', 'online first');
    await daemon.publishAsync(TOPICS.status, 'offline', { retain: true, qos: 1 });
    await status.until(
      (s) => s.fill === 'grey' && s.text === 'gateway offline; last 54%',
      'grey, gateway offline',
    );
  });

  it('a refused login shows red and is not retried (the gateway would lock the address out)', async () => {
    await helper.load(
      NODES,
      flow(gatewayConfig(broker.url, { reconnect: 0.1 }), [
        { id: 'tank', type: 'smart-tank-tank', gateway: 'gw', tank: 'house', wires: [[], []] },
      ]),
      { gw: { password: 'wrong-password' } },
    );
    const status = statuses('tank');
    await status.until(
      (s) => s.fill === 'red' && /^login as nodered refused/.test(s.text ?? ''),
      'login refused',
    );
    // Reconnecting every 0.1 s would have made about ten more attempts in this time.
    const NO_RETRY_WINDOW_MS = 1000;
    await new Promise((r) => setTimeout(r, NO_RETRY_WINDOW_MS));
    expect(broker.logins).toEqual([{ user: 'nodered', ok: false }]);
  });

  it('keeps trying while the broker is away (the opposite case: not a refused login)', async () => {
    const port = broker.port;
    await broker.stop();
    await helper.load(
      NODES,
      flow(gatewayConfig(`mqtt://127.0.0.1:${port}`, { reconnect: 0.1 }), [
        { id: 'tank', type: 'smart-tank-tank', gateway: 'gw', tank: 'house', wires: [[], []] },
      ]),
      CREDENTIALS,
    );
    const status = statuses('tank');
    await status.until((s) => s.fill === 'red' && /^disconnected/.test(s.text ?? ''), 'disconnected');
    broker = await new TestBroker(USERS).start(port);
    await status.until(
      (s) => s.fill === 'grey' && s.text === 'waiting for tank state',
      'connected once it is back',
    );
    expect(broker.logins).toEqual([{ user: 'nodered', ok: true }]);
  });

  it('renews its subscriptions after the broker comes back', async () => {
    const { state, status } = await loadTankFlow('house', { reconnect: 0.1 });
    await status.until(
      (s) => s.fill === 'grey' && s.text === 'waiting for tank state',
      'connected, no state yet',
    );
    const port = broker.port;
    await broker.stop();
    await status.until((s) => s.fill === 'red' || s.fill === 'yellow', 'disconnected');
    broker = await new TestBroker(USERS).start(port);
    await waitFor(
      () => broker.subscribed.some((s) => s.topic === TOPICS.tankState('house')),
      EVENT_TIMEOUT_MS,
      'the state subscription renewed on the new broker',
    );
    const daemon = await broker.client('gateway');
    await daemon.publishAsync(TOPICS.tankState('house'), JSON.stringify(tankState({ displayPct: 70 })), {
      qos: 1,
    });
    expect(await state.next()).toMatchObject({ payload: { displayPct: 70 } });
  });

  it('the health node emits system health and online/offline, and shows CPU and temperature', async () => {
    const daemon = await broker.client('gateway');
    await daemon.publishAsync(TOPICS.status, 'online', { retain: true, qos: 1 });
    await daemon.publishAsync(TOPICS.system, JSON.stringify(health()), { retain: true, qos: 1 });
    await helper.load(
      NODES,
      flow(gatewayConfig(broker.url), [
        { id: 'health', type: 'smart-tank-health', gateway: 'gw', wires: [['system'], ['online']] },
        { id: 'system', type: 'helper' },
        { id: 'online', type: 'helper' },
      ]),
      CREDENTIALS,
    );
    const system = record('system');
    const online = record('online');
    const status = statuses('health');
    expect(await system.next()).toMatchObject({
      topic: TOPICS.system,
      payload: health({ time: expect.any(String) }),
    });
    expect(await online.next()).toMatchObject({ topic: TOPICS.status, payload: 'online' });
    await status.until(
      (s) => s.fill === 'green' && s.text === 'online · CPU 12% · mem 42% · 48°C',
      'green with figures',
    );
    await daemon.publishAsync(TOPICS.status, 'offline', { retain: true, qos: 1 });
    expect(await online.next((m) => m.payload === 'offline')).toMatchObject({ payload: 'offline' });
    await status.until((s) => s.fill === 'red' && s.text === 'gateway offline', 'red, offline');
  });

  it('nodes without a usable gateway config say why (status and error), every problem at once', async () => {
    await helper.load(
      NODES,
      flow(gatewayConfig('http://example', { gateway: 'Farm GW', user: 'no/slash' }), [
        { id: 'tank', type: 'smart-tank-tank', gateway: 'gw', tank: 'house', wires: [[], []] },
        { id: 'other', type: 'smart-tank-tank', gateway: 'missing', tank: 'house', wires: [[], []] },
      ]),
      CREDENTIALS,
    );
    expect(statuses('tank').seen()).toEqual([{ fill: 'red', shape: 'ring', text: 'no gateway' }]);
    expect(errorsOf('tank')).toEqual([
      'gateway config: broker URL http://example: must start with mqtt://, mqtts://, ws:// or wss://; ' +
        'gateway id "Farm GW": must be 1-32 characters: lower-case letters, digits, - or _; ' +
        'user "no/slash": 1-64 letters, digits, _ . @ or -',
    ]);
    expect(errorsOf('other')).toEqual(['no gateway configured: pick a smart-tank gateway config node']);
    expect(broker.logins).toEqual([]);
  });
});
