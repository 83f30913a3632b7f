// The gateway in-process on simulated hardware: start/stop order, stop in every start-up phase leaves the
// outputs safe, a failed output write is fatal and still drives the others safe.

import { afterEach, describe, expect, it } from 'vitest';
import { SystemClock } from '../../../daemon/clock.js';
import { silentLogger } from '../../../daemon/log.js';
import { Gateway } from '../../../daemon/runtime/gateway.js';
import type { Notifier } from '../../../daemon/systemd/notify.js';
import { SimulatedSite } from '../../../drivers/sim/devices.js';
import type { DigitalOutput, TankHardware } from '../../../drivers/types.js';
import { configWith, quietHost, rawTank } from '../../helpers/config.js';
import { tempDir } from '../../helpers/daemon.js';

class RecordingNotifier implements Notifier {
  readonly messages: string[] = [];
  watchdogIntervalMs = undefined;
  ready = (s: string) => void this.messages.push(`READY ${s}`);
  status = (s: string) => void this.messages.push(`STATUS ${s}`);
  watchdog = () => void this.messages.push('WATCHDOG');
  stopping = (s: string) => void this.messages.push(`STOPPING ${s}`);
  close = () => void this.messages.push('CLOSE');
}

const gateways: Gateway[] = [];
afterEach(async () => {
  for (const g of gateways.splice(0)) await g.stop('test cleanup');
});

function build(options: { breakPump?: boolean; initialLevelPct?: number } = {}) {
  const config = configWith([rawTank({ sim: { initialLevelPct: options.initialLevelPct ?? 10 } })], {
    gateway: { id: 'gw', stateDir: tempDir('gw-'), timezone: 'UTC' },
    mqtt: { listen: { host: '127.0.0.1', port: 0 } },
  });
  const clock = new SystemClock('assume-synced');
  const site = new SimulatedSite(config, clock);
  const hw: TankHardware = site.hardwareFor(config.tanks[0]!);
  const writes: string[] = [];
  const spy = (name: string, out: DigitalOutput, failOn?: boolean): DigitalOutput => ({
    description: out.description,
    get value() {
      return out.value;
    },
    open: () => out.open(),
    close: () => out.close(),
    write: async (on) => {
      writes.push(`${name}=${on ? 1 : 0}`);
      if (failOn !== undefined && on === failOn) throw new Error('EIO: relay board not answering');
      await out.write(on);
    },
  });
  const hardware = {
    house: {
      ...hw,
      valves: [spy('valve', hw.valves[0]!)],
      pump: spy('pump', hw.pump!, options.breakPump ? true : undefined),
    },
  };
  const fatal: Error[] = [];
  const notifier = new RecordingNotifier();
  const gateway = new Gateway({
    config,
    clock,
    log: silentLogger,
    notifier,
    hardware,
    hostHealth: quietHost,
    onFatal: (e) => fatal.push(e),
  });
  gateways.push(gateway);
  return { gateway, hardware, writes, fatal, notifier, model: site.model('house') };
}

describe('gateway lifecycle', () => {
  it('drives outputs safe first, refills a low tank, sends READY, and stops safe with STOPPING', async () => {
    const { gateway, writes, notifier, model } = build({ initialLevelPct: 10 });
    await gateway.start();
    expect(writes.slice(0, 2)).toEqual(['valve=0', 'pump=0']);
    expect(model.valves[0]).toBe(true); // 10% < 15%: refilling from the first tick
    expect(notifier.messages.find((m) => m.startsWith('READY'))).toMatch(
      /^READY house (9|10|11)% refilling$/,
    );
    await gateway.stop('test');
    expect(model.valves[0]).toBe(false);
    expect(model.pumpOn).toBe(false);
    expect(notifier.messages.filter((m) => m.startsWith('STOPPING') || m === 'CLOSE')).toEqual([
      'STOPPING stopping: test',
      'CLOSE',
    ]);
  });

  // Stop requested while start is in each of its phases: the stop waits for the phase, then leaves safe.
  for (const delayMs of [0, 1, 5, 20, 50]) {
    it(`a stop ${delayMs} ms into start-up leaves every output off and sends no READY`, async () => {
      const { gateway, model, notifier } = build({ initialLevelPct: 10 });
      const starting = gateway.start();
      await new Promise((r) => setTimeout(r, delayMs));
      await gateway.stop('early');
      await starting;
      expect(model.valves[0]).toBe(false);
      expect(model.pumpOn).toBe(false);
      const ready = notifier.messages.findIndex((m) => m.startsWith('READY'));
      const stopping = notifier.messages.findIndex((m) => m.startsWith('STOPPING'));
      if (ready >= 0) expect(ready).toBeLessThan(stopping);
    });
  }

  it('treats an output that cannot be driven as fatal; the stop that follows still drives the rest safe', async () => {
    const { gateway, fatal, model } = build({ breakPump: true, initialLevelPct: 10 });
    await expect(gateway.start()).rejects.toThrow(/cannot drive simulated pump .* on: EIO/);
    await gateway.stop('fatal');
    expect(model.valves[0]).toBe(false);
    expect(fatal).toEqual([]);
  });

  it('acts on a command at once, without waiting for the next sample', async () => {
    const { gateway, model } = build({ initialLevelPct: 50 });
    await gateway.start();
    expect(model.valves[0]).toBe(false);
    const { outcome } = await gateway.command('house', { action: 'valve', open: true, minutes: 5 }, 'alice');
    expect(outcome.accepted).toBe(true);
    expect(model.valves[0]).toBe(true);
    const close = await gateway.command('house', { action: 'valve', open: false }, 'alice');
    expect(close.outcome.accepted).toBe(true);
    expect(model.valves[0]).toBe(false);
    const unknown = await gateway.command('shed', { action: 'mode', mode: 'auto' }, 'alice');
    expect(unknown.outcome).toEqual({ accepted: false, reason: 'unknown tank "shed"' });
  });
});
