// The gateway with a VPN supervisor (a fake one at its interface): started after the tanks are safe and
// before the MQTT plane (a listener may bind the tunnel address), stopped before MQTT, its state in the
// system health payload and republished at once when it changes.

import { connectAsync, type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { SystemClock } from '../../../daemon/clock.js';
import { silentLogger } from '../../../daemon/log.js';
import { Gateway } from '../../../daemon/runtime/gateway.js';
import { silentNotifier as notifier } from '../../../daemon/systemd/notify.js';
import type { SystemHealth } from '../../../daemon/telemetry/topics.js';
import type { VpnHealth, VpnState, VpnSupervisor } from '../../../daemon/vpn/status.js';
import { SimulatedSite } from '../../../drivers/sim/devices.js';
import { configWith, quietHost, rawTank } from '../../helpers/config.js';
import { tempDir, waitFor } from '../../helpers/daemon.js';

class FakeVpn implements VpnSupervisor {
  readonly kind = 'wireguard' as const;
  state: VpnState = 'stopped';
  private listener: ((s: VpnHealth) => void) | undefined;
  constructor(private readonly onEvent: (what: 'start' | 'stop') => void) {}
  async start() {
    this.onEvent('start');
    this.state = 'connecting';
  }
  async stop() {
    this.onEvent('stop');
    this.set('stopped');
  }
  onChange(listener: (s: VpnHealth) => void) {
    this.listener = listener;
  }
  set(state: VpnState) {
    this.state = state;
    this.listener?.(this.status());
  }
  status(): VpnHealth {
    return {
      kind: 'wireguard',
      interface: 'wg0',
      state: this.state,
      stateForS: 1,
      address: '10.99.0.3/24',
      endpoint: '203.0.113.10:51820',
      endpointHost: 'hub.farm.test',
      handshakeAgeS: this.state === 'up' ? 3 : null,
      lastRxAgeS: null,
      rxBytes: 0,
      txBytes: 0,
      reconnects: 0,
      restarts: 0,
      lastError: null,
    };
  }
}

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

function build() {
  const config = configWith([rawTank({ sim: { initialLevelPct: 50 } })], {
    gateway: { id: 'gw', stateDir: tempDir('gw-vpn-'), timezone: 'UTC' },
    mqtt: { listen: { host: '127.0.0.1', port: 0 } },
  });
  const clock = new SystemClock('assume-synced');
  const site = new SimulatedSite(config, clock);
  const hardware = { house: site.hardwareFor(config.tanks[0]!) };
  const model = site.model('house');
  const events: string[] = [];
  let gateway: Gateway | undefined;
  const vpn = new FakeVpn((what) => {
    const g = gateway!;
    events.push(
      what === 'start'
        ? `vpn start: outputs ${model.valves[0] || model.pumpOn ? 'live' : 'safe'}, MQTT listeners ${g.plane.listening.length}`
        : `vpn stop: MQTT ${g.plane.connected ? 'connected' : 'gone'}`,
    );
  });
  gateway = new Gateway({
    config,
    clock,
    log: silentLogger,
    notifier,
    hardware,
    hostHealth: quietHost,
    onFatal: () => {},
    vpn,
  });
  const g = gateway;
  cleanup.push(() => g.stop('test cleanup'));
  return { gateway: g, vpn, events };
}

describe('gateway with a VPN tunnel', () => {
  it('starts the tunnel once the outputs are safe and before MQTT; stops it before MQTT', async () => {
    const { gateway, events } = build();
    await gateway.start();
    expect(events).toEqual(['vpn start: outputs safe, MQTT listeners 0']);
    await gateway.stop('test');
    expect(events[1]).toBe('vpn stop: MQTT connected');
  });

  it('puts the tunnel state into the system health and publishes a change at once', async () => {
    const { gateway, vpn } = build();
    await gateway.start();
    const port = gateway.plane.listening[0]!.port;
    const client: MqttClient = await connectAsync(`mqtt://127.0.0.1:${port}`, {
      clientId: `t-${process.pid}`,
    });
    cleanup.push(() => client.endAsync(true));
    let last: SystemHealth | undefined;
    client.on('message', (_t, payload) => (last = JSON.parse(payload.toString()) as SystemHealth));
    await client.subscribeAsync(gateway.topics.system, { qos: 1 });
    await waitFor(() => last?.vpn?.state === 'connecting', 5_000, 'health with the tunnel connecting');
    expect(last!.vpn).toMatchObject({ kind: 'wireguard', interface: 'wg0', address: '10.99.0.3/24' });

    // The health interval is 60 s: only the change itself can publish this within the wait.
    vpn.set('up');
    await waitFor(() => last?.vpn?.state === 'up', 3_000, 'health with the tunnel up');
    expect(last!.vpn!.handshakeAgeS).toBe(3);
  });
});
