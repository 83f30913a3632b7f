// Cross-field rules of the hardware part of the config (called from load.ts): a real device for every
// level source on the pi backend, sensor ranges that fit the tank, pins the Pi's buses and the relay
// board already use, and the pin profile (relay board) the valves and pump must match.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../package-root.js';
import { parse } from 'yaml';
import { pinProfileSchema, type PinProfile, type UltrasonicDeviceConfig } from './hardware-schema.js';
import type { Config } from './schema.js';

type Path = (string | number)[];
type Add = (path: Path, message: string) => void;

/** What each ranger can measure (sensor face to target); nearer reads as the minimum or nothing. */
export const ULTRASONIC_RANGE_MM: Record<UltrasonicDeviceConfig['driver'], { min: number; max: number }> = {
  'maxbotix-i2cxl': { min: 200, max: 7650 },
  urm09: { min: 20, max: 5000 },
  a02yyuw: { min: 30, max: 4500 },
  'jsn-sr04t': { min: 200, max: 6000 },
};

/** The Pi's fixed functions on the 40-pin header (BCM numbers). */
const HAT_EEPROM_PINS = [0, 1];
const I2C1_PINS = [2, 3];
const UART0_PINS = [14, 15];

/** Pins taken by something other than our outputs and probes, with who takes them (for messages). */
export function reservedPins(config: Config): { pin: number; owner: string }[] {
  if (config.hardware.backend !== 'pi') return [];
  const out = HAT_EEPROM_PINS.map((pin) => ({ pin, owner: 'the HAT ID EEPROM (ID_SD/ID_SC, keep free)' }));
  const devices = config.tanks.flatMap((t) => [
    t.level.ultrasonic?.device,
    t.level.ultrasonic?.airTemperature,
    t.level.pressure?.device,
  ]);
  if (devices.some((d) => d && 'bus' in d && d.bus === 1)) {
    out.push(
      { pin: I2C1_PINS[0]!, owner: 'I2C bus 1 (SDA, header pin 3)' },
      { pin: I2C1_PINS[1]!, owner: 'I2C bus 1 (SCL, header pin 5)' },
    );
  }
  if (devices.some((d) => d && 'port' in d && /serial0|ttyS0|ttyAMA0$/.test(d.port))) {
    out.push(
      { pin: UART0_PINS[0]!, owner: 'the UART (TXD, header pin 8)' },
      { pin: UART0_PINS[1]!, owner: 'the UART (RXD, header pin 10)' },
    );
  }
  let profile: PinProfile | undefined;
  try {
    profile = resolvePinProfile(config);
  } catch {
    // reported by checkProfile with the reason
  }
  for (const pin of profile?.reservedPins ?? []) out.push({ pin, owner: `the ${profile!.name} board` });
  return out;
}

export function checkHardware(config: Config, add: Add): void {
  const pi = config.hardware.backend === 'pi';
  const i2cUsers = new Map<string, string>();
  const portUsers = new Map<string, string>();
  const claimI2c = (bus: number, address: number, path: Path) => {
    const key = `${bus}:${address}`;
    const owner = i2cUsers.get(key);
    const hex = `0x${address.toString(16).padStart(2, '0')}`;
    if (owner) add(path, `I2C bus ${bus} address ${hex} is already used by ${owner}`);
    else i2cUsers.set(key, formatPath(path));
  };

  config.tanks.forEach((tank, t) => {
    const at = (...rest: Path): Path => ['tanks', t, ...rest];
    const us = tank.level.ultrasonic;
    const pressure = tank.level.pressure;
    if (us) {
      if (pi && !us.device) {
        add(
          at('level', 'ultrasonic', 'device'),
          'is required when hardware.backend is pi: the sensor model and where it is wired ' +
            '(driver: a02yyuw | jsn-sr04t | maxbotix-i2cxl | urm09)',
        );
      }
      const d = us.device;
      if (d) {
        const range = ULTRASONIC_RANGE_MM[d.driver];
        const max = d.driver === 'urm09' ? d.rangeCm * 10 : range.max;
        if (us.mountHeightMm > max)
          add(
            at('level', 'ultrasonic', 'mountHeightMm'),
            `the tank floor is beyond the ${d.driver}'s range (${max} mm)`,
          );
        if (us.minRangeMm < range.min) {
          add(
            at('level', 'ultrasonic', 'minRangeMm'),
            `must be at least the ${d.driver}'s dead zone (${range.min} mm): nearer targets read as the minimum`,
          );
        }
        if (d.driver === 'urm09' && !us.compensatesTemperature) {
          add(
            at('level', 'ultrasonic', 'compensatesTemperature'),
            'must be true for the urm09: it corrects the speed of sound itself',
          );
        }
        if ('bus' in d) claimI2c(d.bus, d.address, at('level', 'ultrasonic', 'device'));
        else {
          const owner = portUsers.get(d.port);
          if (owner)
            add(at('level', 'ultrasonic', 'device', 'port'), `${d.port} is already used by ${owner}`);
          else portUsers.set(d.port, formatPath(at('level', 'ultrasonic', 'device')));
        }
      }
      if (us.airTemperature) {
        if (us.compensatesTemperature)
          add(
            at('level', 'ultrasonic', 'airTemperature'),
            'is unused: the sensor compensates temperature itself',
          );
        claimI2c(
          us.airTemperature.bus,
          us.airTemperature.address,
          at('level', 'ultrasonic', 'airTemperature'),
        );
      }
    }
    if (pressure) {
      if (pi && !pressure.device) {
        add(
          at('level', 'pressure', 'device'),
          'is required when hardware.backend is pi: the ADC the transmitter is wired to (driver: ads1115)',
        );
      }
      // Several transmitters may share one ADS1115 on different channels.
      const d = pressure.device;
      if (d) {
        const key = `${d.bus}:${d.address}:${d.channel}`;
        const owner = i2cUsers.get(key);
        if (owner)
          add(at('level', 'pressure', 'device', 'channel'), `AIN${d.channel} is already used by ${owner}`);
        else i2cUsers.set(key, formatPath(at('level', 'pressure', 'device')));
      }
    }
    if (tank.probes?.reversePin !== undefined && tank.probes.excitationPin === undefined) {
      add(at('probes', 'reversePin'), 'needs probes.excitationPin: polarity reversal swaps the two');
    }
  });

  checkProfile(config, add);
}

function checkProfile(config: Config, add: Add): void {
  const profile = config.hardware.profile;
  if (profile === undefined) return;
  let board: PinProfile;
  try {
    board = resolvePinProfile(config)!;
  } catch (err) {
    add(['hardware', 'profile'], (err as Error).message);
    return;
  }
  const relays = board.relays.map((r) => `${r.channel} GPIO${r.pin}`).join(', ');
  const outputs: { pin: number; activeLow: boolean; path: Path }[] = [];
  config.tanks.forEach((tank, t) => {
    tank.valves.forEach((v, i) =>
      outputs.push({ pin: v.pin, activeLow: v.activeLow, path: ['tanks', t, 'valves', i] }),
    );
    if (tank.pump)
      outputs.push({ pin: tank.pump.pin, activeLow: tank.pump.activeLow, path: ['tanks', t, 'pump'] });
  });
  for (const o of outputs) {
    const relay = board.relays.find((r) => r.pin === o.pin);
    if (!relay) add([...o.path, 'pin'], `GPIO ${o.pin} is not a relay of ${board.name} (${relays})`);
    else if (relay.activeLow !== o.activeLow) {
      add(
        [...o.path, 'activeLow'],
        `must be ${relay.activeLow}: relay ${relay.channel} of ${board.name} switches on a ${relay.activeLow ? 'low' : 'high'} input`,
      );
    }
  }
}

/** The relay board of hardware.profile (loaded from hardware/profiles/ when named); throws when invalid. */
export function resolvePinProfile(config: Config): PinProfile | undefined {
  const profile = config.hardware.profile;
  if (profile === undefined || typeof profile === 'object') return profile;
  const dir = profilesDir();
  const file = dir && join(dir, `${profile}.yaml`);
  if (!file || !existsSync(file)) {
    const known = dir
      ? readdirSync(dir)
          .filter((f) => f.endsWith('.yaml'))
          .map((f) => f.slice(0, -5))
      : [];
    throw new Error(`unknown pin profile "${profile}" (shipped: ${known.join(', ') || 'none found'})`);
  }
  const result = pinProfileSchema.safeParse(parse(readFileSync(file, 'utf8')));
  if (!result.success) {
    const first = result.error.issues[0]!;
    throw new Error(`${file}: ${formatPath(first.path)}: ${first.message}`);
  }
  return result.data;
}

let cachedProfilesDir: string | null | undefined;

/** hardware/profiles of this package (in a checkout and in the Debian package alike). */
export function profilesDir(): string | undefined {
  if (cachedProfilesDir !== undefined) return cachedProfilesDir ?? undefined;
  const candidate = join(packageRoot(), 'hardware', 'profiles');
  cachedProfilesDir = existsSync(candidate) ? candidate : null;
  return cachedProfilesDir ?? undefined;
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) out += typeof key === 'number' ? `[${key}]` : out ? `.${String(key)}` : String(key);
  return out;
}
