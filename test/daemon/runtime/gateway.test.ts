// The gateway in-process on simulated hardware: start/stop order, stop in every start-up phase leaves the
// outputs safe, a failed output write is fatal and still drives the others safe.

import { appendFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SystemClock } from '../../../daemon/clock.js';
import { silentLogger } from '../../../daemon/log.js';
import { Gateway } from '../../../daemon/runtime/gateway.js';
import { verifyAuditText } from '../../../daemon/security/audit-log.js';
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

function build(
  options: { breakPump?: boolean; initialLevelPct?: number; stateDir?: string; mqttPort?: number } = {},
) {
  // A sensor that corrects the speed of sound itself: the level read at READY does not depend on the hour
  // of the day (the simulated air is warmer at noon).
  const tank = rawTank({
    sim: { initialLevelPct: options.initialLevelPct ?? 10 },
    level: { ultrasonic: { mountHeightMm: 1600, compensatesTemperature: true } },
  });
  const config = configWith([tank], {
    gateway: { id: 'gw', stateDir: options.stateDir ?? tempDir('gw-'), timezone: 'UTC' },
    mqtt: { listen: { host: '127.0.0.1', port: options.mqttPort ?? 0 } },
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

describe('after a crash: what a start may and may not do to the records of the last run', () => {
  async function stateOf(dir: string) {
    return JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as {
      clean: boolean;
      tanks: { house: { mode: string; manual?: { valveOpen?: boolean } } };
    };
  }

  it('a torn last audit line (power cut mid-write) is recovered and the gateway starts', async () => {
    const dir = tempDir('gw-');
    const first = build({ stateDir: dir });
    await first.gateway.start();
    await first.gateway.stop('first run');
    appendFileSync(join(dir, 'audit.log'), '{"seq":99999,"time":"2026-');
    const second = build({ stateDir: dir });
    await second.gateway.start();
    await second.gateway.stop('second run');
    const text = readFileSync(join(dir, 'audit.log'), 'utf8');
    expect(verifyAuditText(text)).toMatchObject({ ok: true });
    expect(text).toMatch(/"kind":"recovery".*"what":"audit log tail torn by a crash or power cut"/);
    expect(readdirSync(dir).some((f) => f.startsWith('audit.log.torn-'))).toBe(true);
  });

  it("a start that fails never overwrites the last run's state (lockouts, overrides, unclean flag)", async () => {
    const dir = tempDir('gw-');
    const first = build({ stateDir: dir, initialLevelPct: 50 });
    await first.gateway.start();
    await first.gateway.command('house', { action: 'valve', open: true, minutes: 60 }, 'alice');
    // A crash: no stop. The state file says manual mode, valve override, not clean.
    const crashed = await stateOf(dir);
    expect(crashed).toMatchObject({
      clean: false,
      tanks: { house: { mode: 'manual', manual: { valveOpen: true } } },
    });
    // The next start fails (its MQTT port is taken) before it is ready.
    const blocker = createServer().listen(0, '127.0.0.1');
    await new Promise((r) => blocker.once('listening', r));
    const port = (blocker.address() as { port: number }).port;
    const failing = build({ stateDir: dir, mqttPort: port });
    await expect(failing.gateway.start()).rejects.toThrow(/cannot listen/);
    await failing.gateway.stop('start failed');
    blocker.close();
    expect(await stateOf(dir)).toMatchObject({ clean: false, tanks: { house: { mode: 'manual' } } });
    await first.gateway.stop('cleanup');
  });

  it('an audit log cut short between two runs raises audit-tampered in the system telemetry', async () => {
    const dir = tempDir('gw-');
    const first = build({ stateDir: dir });
    await first.gateway.start();
    await first.gateway.command('house', { action: 'mode', mode: 'auto' }, 'alice');
    await first.gateway.stop('first run');
    const lines = readFileSync(join(dir, 'audit.log'), 'utf8').trimEnd().split('\n');
    writeFileSync(join(dir, 'audit.log'), lines.slice(0, 2).join('\n') + '\n'); // the tail removed
    expect(verifyAuditText(readFileSync(join(dir, 'audit.log'), 'utf8'))).toMatchObject({ ok: true });
    const second = build({ stateDir: dir });
    await second.gateway.start();
    const audit = readFileSync(join(dir, 'audit.log'), 'utf8');
    expect(audit).toMatch(/"kind":"tamper".*lines were removed/);
    await second.gateway.stop('second run');
  });
});
