// Builds every tank's hardware from the config on a real Raspberry Pi: picks the GPIO backend, shares
// each I2C bus between the chips on it, and hands every driver its bus, port or lines. Loaded lazily by
// daemon/hardware.ts, so the simulator never loads a native addon. Constructors only: no IO until open().

import { ULTRASONIC_RANGE_MM } from '../../daemon/config/hardware-checks.js';
import type { Config, TankConfig } from '../../daemon/config/schema.js';
import type { Logger } from '../../daemon/log.js';
import { GpioOutput } from '../gpio/output.js';
import { selectGpioBackend, type GpioEnvironment, type GpioSelection } from '../gpio/select.js';
import { Ads1115PressureSensor } from '../i2c/ads1115.js';
import { I2cBusPool, type I2cBusOpener } from '../i2c/bus.js';
import type { I2cDeviceOptions } from '../i2c/device.js';
import { MaxbotixI2cxl } from '../i2c/maxbotix-i2cxl.js';
import { Sht3x } from '../i2c/sht3x.js';
import { Urm09 } from '../i2c/urm09.js';
import { ConductionProbeArray } from '../probes/conduction.js';
import { realSleep, type Sleep } from '../timing.js';
import type { LevelSensor, TankHardware } from '../types.js';
import { UartRanger } from '../uart/ranger.js';
import type { SerialOpener } from '../uart/serial.js';

/** What the Pi build reaches outside the process; tests hand in fakes. */
export interface PiEnvironment extends GpioEnvironment {
  openI2c?: I2cBusOpener;
  openSerial?: SerialOpener;
  sleep?: Sleep;
}

export interface PiHardware {
  tanks: Record<string, TankHardware>;
  gpio: GpioSelection;
}

const range = (driver: 'a02yyuw' | 'jsn-sr04t') => ({
  minMm: ULTRASONIC_RANGE_MM[driver].min,
  maxMm: ULTRASONIC_RANGE_MM[driver].max,
});

export async function buildPiHardware(
  config: Config,
  log: Logger,
  env: PiEnvironment = {},
): Promise<PiHardware> {
  const gpio = await selectGpioBackend(config.hardware.gpio, {
    onLineServerRestart: (exited) => log.warn('gpio line server restarted', { exited }),
    ...env,
  });
  log.info('gpio backend selected', { backend: gpio.backend.kind, reason: gpio.reason });
  const sleep = env.sleep ?? realSleep;
  const pool = new I2cBusPool(
    env.openI2c ?? (async (n) => (await import('../i2c/i2c-bus-adapter.js')).openI2cBus(n)),
  );
  const openSerial: SerialOpener =
    env.openSerial ??
    (async (path, baud) => (await import('../uart/serialport-adapter.js')).openSerialPort(path, baud));
  const i2c = (busNumber: number, address: number): I2cDeviceOptions => ({ pool, busNumber, address, sleep });

  const tanks: Record<string, TankHardware> = {};
  for (const tank of config.tanks) {
    const at = `tank ${tank.id}`;
    const probes = tank.probes;
    tanks[tank.id] = {
      level: levelSensor(tank, i2c, openSerial),
      airTemperature:
        tank.level.ultrasonic?.airTemperature &&
        new Sht3x(
          i2c(tank.level.ultrasonic.airTemperature.bus, tank.level.ultrasonic.airTemperature.address),
        ),
      probes:
        probes &&
        new ConductionProbeArray(gpio.backend, {
          name: `probes (${tank.id})`,
          electrodes: probes.electrodes,
          wetWhenHigh: probes.wetWhenHigh,
          excitationPin: probes.excitationPin,
          reversePin: probes.reversePin,
          sleep,
          onFaults: (faults) =>
            faults.length > 0
              ? log.warn('probe fault', { tank: tank.id, faults })
              : log.info('probe faults cleared', { tank: tank.id }),
        }),
      valves: tank.valves.map(
        (v) => new GpioOutput(gpio.backend, v.pin, v.activeLow, `valve ${v.id} (${at})`),
      ),
      pump: tank.pump && new GpioOutput(gpio.backend, tank.pump.pin, tank.pump.activeLow, `pump (${at})`),
    };
  }
  return { tanks, gpio };
}

function levelSensor(
  tank: TankConfig,
  i2c: (bus: number, address: number) => I2cDeviceOptions,
  openSerial: SerialOpener,
): LevelSensor {
  const { ultrasonic, pressure } = tank.level;
  if (pressure) {
    const d = pressure.device;
    if (!d) throw new Error(`tank ${tank.id}: level.pressure.device is required on the pi backend`);
    return new Ads1115PressureSensor(i2c(d.bus, d.address), { ...d, fullScaleMm: pressure.fullScaleMm });
  }
  const d = ultrasonic?.device;
  if (!d) throw new Error(`tank ${tank.id}: level.ultrasonic.device is required on the pi backend`);
  switch (d.driver) {
    case 'maxbotix-i2cxl':
      return new MaxbotixI2cxl(i2c(d.bus, d.address));
    case 'urm09':
      return new Urm09(i2c(d.bus, d.address), d.rangeCm);
    case 'a02yyuw':
      return new UartRanger({
        model: 'A02YYUW',
        port: d.port,
        baudRate: d.baudRate,
        openSerial,
        ...range('a02yyuw'),
      });
    case 'jsn-sr04t':
      return new UartRanger({
        model: 'JSN-SR04T',
        port: d.port,
        baudRate: d.baudRate,
        openSerial,
        ...range('jsn-sr04t'),
        triggerByte: d.mode === 'triggered' ? d.triggerByte : undefined,
      });
  }
}
