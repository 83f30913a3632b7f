import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CliIo } from '../../../daemon/cli/io.js';
import { hwCheckCommand } from '../../../daemon/cli/hw-check.js';
import { main } from '../../../daemon/cli/main.js';
import { openGpiodTools } from '../../../drivers/gpio/gpiod-tools.js';
import { LineServer } from '../../../drivers/gpio/line-server.js';
import { fakeGpiochip } from '../../fakes/gpiochip/fake-gpiochip.mjs';
import { EXAMPLE_CONFIG_FILE } from '../../helpers/config.js';
import { FakeI2cBus, FakeMaxbotix, FakeTime } from '../../fakes/i2c-chips.js';

const FAKE_TOOLS = new URL('../../fakes/gpiod/', import.meta.url).pathname;

function io() {
  const out: string[] = [];
  const err: string[] = [];
  const cli: CliIo = { out: (t) => out.push(t), err: (t) => err.push(t), progress: () => {}, isTTY: false };
  return { cli, out, err };
}

describe('smart-tank hw check on the simulator', () => {
  it('probes every simulated device and exits 0', async () => {
    const { cli, out } = io();
    expect(await main(['hw', 'check', '--config', EXAMPLE_CONFIG_FILE], cli)).toBe(0);
    const text = out.join('\n');
    expect(out[0]).toBe('GPIO backend: simulated (hardware.backend: sim)');
    expect(out[1]).toMatch(/^DEVICE\s+BACKEND\s+BUS\/PIN\s+RESULT\s+READING\s+HINT$/);
    expect(text).toMatch(/house\/level \(ultrasonic\)\s+sim\s+simulated\s+ok\s+\d+ mm to water/);
    expect(text).toMatch(
      /house\/probes\s+sim\s+GPIO bottom:17 middle:27 top:22 exc:5\s+ok\s+bottom=(wet|dry)/,
    );
    expect(text).toMatch(/farm\/pump\s+sim\s+GPIO26\s+ok\s+off/);
    expect(out.at(-1)).toBe('all required devices answered');
  });

  it('--actuate pulses each output after confirmation and leaves it off; refused confirmation actuates nothing', async () => {
    const { cli, out } = io();
    const asked: string[] = [];
    const code = await hwCheckCommand(['--config', EXAMPLE_CONFIG_FILE, '--actuate'], cli, {
      pulseMs: 5,
      confirm: async (q) => (asked.push(q), true),
    });
    expect(code).toBe(0);
    expect(asked[0]).toMatch(/switch 4 output\(s\) on for 0.005 s each: valves will open and pumps will run/);
    expect(out.join('\n')).toMatch(/house\/valve mains\s+sim\s+GPIO23\s+ok\s+pulsed 0.005 s, off/);

    const second = io();
    expect(
      await hwCheckCommand(['--config', EXAMPLE_CONFIG_FILE, '--actuate'], second.cli, {
        confirm: async () => false,
      }),
    ).toBe(0);
    expect(second.err).toEqual(['not actuating: not confirmed (use --yes when not on a terminal)']);
    expect(second.out.join('\n')).not.toMatch(/pulsed/);
  });

  it('bad usage exits 2', async () => {
    const { cli, err } = io();
    expect(await main(['hw', 'check', '--bogus'], cli)).toBe(2);
    expect(err.join('\n')).toMatch(/Unknown option '--bogus'/);
  });
});

describe('smart-tank hw check on a Pi (chardev via fake gpiod tools, fake I2C bus)', () => {
  let dir: string;
  let configFile: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hwcheck-'));
    mkdirSync(join(dir, 'dev'));
    writeFileSync(join(dir, 'dev', 'gpiochip0'), '');
    process.env.FAKE_GPIOD_VERSION = '2.1.3';
    process.env.FAKE_GPIOD_STATE = join(dir, 'gpiod.json');
    configFile = join(dir, 'config.yaml');
    writeFileSync(
      configFile,
      stringify({
        gateway: { id: 'gw', timezone: 'UTC', stateDir: dir },
        hardware: {
          backend: 'pi',
          profile: 'waveshare-rpi-relay-board',
          gpio: { chardevVia: 'gpiod-tools' },
        },
        tanks: [
          {
            id: 'house',
            geometry: { shape: 'vertical-cylinder', diameterMm: 1400, heightMm: 1300 },
            level: {
              ultrasonic: {
                mountHeightMm: 1600,
                device: { driver: 'maxbotix-i2cxl', bus: 1, address: 0x70 },
              },
            },
            probes: {
              excitationPin: 5,
              electrodes: [
                { id: 'bottom', heightMm: 80, pin: 17, role: 'dry-run' },
                { id: 'top', heightMm: 1200, pin: 27, role: 'high-high' },
              ],
            },
            valves: [{ id: 'mains', pin: 26, activeLow: true }],
            pump: { pin: 20, activeLow: true },
          },
        ],
      }),
    );
  });
  afterEach(() => {
    delete process.env.FAKE_GPIOD_STATE;
  });

  function deps(withSensor: boolean) {
    const time = new FakeTime();
    const bus = new FakeI2cBus();
    if (withSensor) bus.chips.set(0x70, new FakeMaxbotix(time));
    return {
      pi: {
        root: dir,
        openTools: () => openGpiodTools(FAKE_TOOLS),
        openI2c: async () => bus,
        sleep: time.sleep,
      },
    };
  }

  it('all present: exit 0, backend and reason, relay channels from the pin profile', async () => {
    const { cli, out } = io();
    expect(await hwCheckCommand(['--config', configFile], cli, deps(true))).toBe(0);
    const text = out.join('\n');
    expect(out[0]).toMatch(
      /^GPIO backend: chardev \(auto: no usable sysfs GPIO.*gpiochip0 \[pinctrl-bcm2711\] via gpiod tools v2\.1\.3\)/,
    );
    expect(text).toMatch(
      /house\/level \(ultrasonic\)\s+maxbotix-i2cxl \(i2c-bus\)\s+i2c-1 0x70\s+ok\s+1500 mm to water/,
    );
    expect(text).toMatch(
      /house\/valve mains\s+chardev\s+GPIO26 \(waveshare-rpi-relay-board CH1\) active-low\s+ok\s+off/,
    );
    expect(text).toMatch(/house\/probes\s+chardev\s+GPIO bottom:17 top:27 exc:5\s+ok\s+bottom=dry top=dry/);
  });

  it('a missing sensor: FAIL with the hint, exit 1, outputs still released off', async () => {
    const { cli, out } = io();
    expect(await hwCheckCommand(['--config', configFile], cli, deps(false))).toBe(1);
    const text = out.join('\n');
    expect(text).toMatch(
      /house\/level \(ultrasonic\)\s+maxbotix-i2cxl \(i2c-bus\)\s+i2c-1 0x70\s+FAIL\s+.*NAK\): check power, SDA\/SCL wiring/,
    );
    expect(out.at(-1)).toBe('1 required device(s) missing or failed');
    const { readFileSync } = await import('node:fs');
    const state = JSON.parse(readFileSync(process.env.FAKE_GPIOD_STATE!, 'utf8')) as {
      levels: Record<string, boolean>;
      holders: Record<string, number>;
    };
    expect(state.holders).toEqual({});
    expect(state.levels).toMatchObject({ '26': true, '20': true }); // active-low relays: high = off
  });

  it('through the GPIO line server (python3) on a fake gpiochip: the backend says so, the devices read', async () => {
    const { readFileSync } = await import('node:fs');
    const { parse } = await import('yaml');
    const config = parse(readFileSync(configFile, 'utf8')) as { hardware: { gpio: { chardevVia: string } } };
    config.hardware.gpio.chardevVia = 'line-server';
    writeFileSync(configFile, stringify(config));
    const chip = fakeGpiochip(dir);
    const startLineServer = (devDir: string) =>
      LineServer.start({ devDir, python: '/usr/bin/python3', env: { ...process.env, ...chip.env } });
    const { cli, out } = io();
    const pi = { ...deps(true).pi, startLineServer };
    expect(await hwCheckCommand(['--config', configFile], cli, { pi })).toBe(0);
    expect(out[0]).toMatch(
      /^GPIO backend: chardev \(auto: no usable sysfs GPIO.*gpiochip0 \[pinctrl-bcm2711\] via the GPIO line server \(python3\)\)/,
    );
    expect(out.join('\n')).toMatch(
      /house\/probes\s+chardev\s+GPIO bottom:17 top:27 exc:5\s+ok\s+bottom=dry top=dry/,
    );
    // The relays were driven off (active-low: high) and given back.
    expect(chip.line(26)).toMatchObject({ high: true, holder: 0 });
    expect(chip.line(20)).toMatchObject({ high: true, holder: 0 });
  });

  it('no GPIO at all: one FAIL row naming what is missing, exit 1', async () => {
    const { cli, out } = io();
    const empty = mkdtempSync(join(tmpdir(), 'nogpio-'));
    expect(await hwCheckCommand(['--config', configFile], cli, { pi: { root: empty } })).toBe(1);
    expect(out.join('\n')).toMatch(
      /gpio\s+auto\s+-\s+FAIL\s+no usable GPIO backend: sysfs: .* chardev: no .*gpiochip/,
    );
  });
});
