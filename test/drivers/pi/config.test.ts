import { describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../../daemon/config/load.js';
import { pinProfileSchema } from '../../../daemon/config/hardware-schema.js';
import { profilesDir } from '../../../daemon/config/hardware-checks.js';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { configProblems, exampleConfig, rawTank } from '../../helpers/config.js';

const problems = configProblems;

const gateway = { id: 'gw', timezone: 'UTC' };
const pi = { backend: 'pi' };

describe('hardware config (pi backend)', () => {
  it('the shipped examples for a real Pi are valid', async () => {
    for (const f of ['pi-a02yyuw.yaml', 'pi-pressure-urm09.yaml']) {
      const file = new URL(`../../../hardware/examples/${f}`, import.meta.url).pathname;
      const c = await loadConfigFile(file);
      expect(c.hardware.backend).toBe('pi');
    }
    expect(exampleConfig().hardware.gpio.backend).toBe('auto');
  });

  it('every shipped pin profile is valid data', () => {
    const dir = profilesDir()!;
    const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
    expect(files.length).toBeGreaterThanOrEqual(2);
    for (const f of files) {
      const profile = pinProfileSchema.parse(parse(readFileSync(join(dir, f), 'utf8')));
      expect(`${profile.name}.yaml`).toBe(f);
    }
  });

  it('requires a device for the level source, naming the key', () => {
    expect(problems({ gateway, hardware: pi, tanks: [rawTank()] })).toEqual([
      'tanks[0].level.ultrasonic.device: is required when hardware.backend is pi: the sensor model and where it is wired (driver: a02yyuw | jsn-sr04t | maxbotix-i2cxl | urm09)',
    ]);
    expect(
      problems({
        gateway,
        hardware: pi,
        tanks: [rawTank({ level: { pressure: { fullScaleMm: 2000 } }, probes: undefined })],
      }),
    ).toEqual([
      'tanks[0].level.pressure.device: is required when hardware.backend is pi: the ADC the transmitter is wired to (driver: ads1115)',
    ]);
  });

  it('checks sensor range, temperature compensation, bus pins and profile relays', () => {
    const list = problems({
      gateway,
      hardware: { backend: 'pi', profile: 'waveshare-rpi-relay-board' },
      tanks: [
        rawTank({
          level: {
            ultrasonic: { mountHeightMm: 1600, minRangeMm: 100, device: { driver: 'urm09', rangeCm: 150 } },
          },
          valves: [{ id: 'mains', pin: 26 }],
          pump: { pin: 3, activeLow: true },
          probes: { reversePin: 6, electrodes: [{ id: 'bottom', heightMm: 80, pin: 17, role: 'dry-run' }] },
        }),
      ],
    });
    expect(list).toEqual(
      expect.arrayContaining([
        'tanks[0].pump.pin: GPIO 3 is already used by I2C bus 1 (SCL, header pin 5)',
        "tanks[0].level.ultrasonic.mountHeightMm: the tank floor is beyond the urm09's range (1500 mm)",
        'tanks[0].level.ultrasonic.compensatesTemperature: must be true for the urm09: it corrects the speed of sound itself',
        'tanks[0].probes.reversePin: needs probes.excitationPin: polarity reversal swaps the two',
        'tanks[0].valves[0].activeLow: must be true: relay CH1 of waveshare-rpi-relay-board switches on a low input',
        'tanks[0].pump.pin: GPIO 3 is not a relay of waveshare-rpi-relay-board (CH1 GPIO26, CH2 GPIO20, CH3 GPIO21)',
      ]),
    );
  });

  it('refuses an unknown profile and two devices at one address', () => {
    const device = { driver: 'maxbotix-i2cxl' };
    const list = problems({
      gateway,
      hardware: { backend: 'pi', profile: 'no-such-board' },
      tanks: [
        rawTank({ level: { ultrasonic: { mountHeightMm: 1600, device } }, probes: undefined }),
        rawTank({
          id: 'farm',
          level: { ultrasonic: { mountHeightMm: 1600, device } },
          probes: undefined,
          valves: [{ id: 'v', pin: 25 }],
          pump: undefined,
        }),
      ],
    });
    expect(list).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^hardware\.profile: unknown pin profile "no-such-board" \(shipped: .*waveshare-rpi-relay-board/,
        ),
        'tanks[1].level.ultrasonic.device: I2C bus 1 address 0x70 is already used by tanks[0].level.ultrasonic.device',
      ]),
    );
  });

  it('an inline profile works like a shipped one', () => {
    const board = {
      name: 'my-board',
      description: 'two MOSFETs',
      relays: [{ channel: 'Q1', pin: 23, activeLow: false }],
    };
    expect(
      problems({ gateway, hardware: { profile: board }, tanks: [rawTank({ pump: undefined })] }),
    ).toEqual([]);
  });
});
