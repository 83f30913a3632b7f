// Config schema of the hardware: level sensors, conduction probes, valves, pump and the backend that
// drives them. Part of the one config schema (schema.ts).

import * as z from './zod.js';
import { bcmPin, id, pct, positiveMm, seconds } from './primitives.js';

// ---- real devices (hardware.backend: pi) -----------------------------------------------------------------
// Each device names its driver; the driver's bus, address or port follow. Required on the pi backend
// (a cross-check in load.ts names the missing key), ignored by the simulator.

/** I2C bus number: /dev/i2c-N (1 on the 40-pin header of every Pi with i2c_arm enabled). */
const i2cBus = z._default(z.number().check(z.int(), z.gte(0), z.lte(31)), 1);
/** 7-bit I2C address; YAML accepts hex (0x70). */
const i2cAddress = (fallback: number) =>
  z._default(z.number().check(z.int(), z.gte(0x03), z.lte(0x77)), fallback);
/** A serial device path: /dev/serial0 on Pi 0-4, /dev/ttyAMA0 for the header UART of a Pi 5. */
const serialPort = z.string().check(z.regex(/^\/dev\/\S+$/, 'must be a device path like /dev/serial0'));

/** MaxBotix I2CXL-MaxSonar-WR (MB7040/MB7047): I2C, 20-765 cm, weather resistant. */
const maxbotixI2cxl = z.strictObject({
  driver: z.literal('maxbotix-i2cxl'),
  bus: i2cBus,
  address: i2cAddress(0x70),
});

/** DFRobot URM09 (SEN0304): I2C, 2-500 cm, compensates temperature itself. */
const urm09 = z.strictObject({
  driver: z.literal('urm09'),
  bus: i2cBus,
  address: i2cAddress(0x11),
  /** Measuring range the sensor is set to; a shorter range measures faster. */
  rangeCm: z._default(z.union([z.literal(150), z.literal(300), z.literal(500)]), 500),
});

/** DFRobot A02YYUW: waterproof, UART 9600 8N1, frames 0xFF H L SUM about every 100 ms, 30-4500 mm. */
const a02yyuw = z.strictObject({
  driver: z.literal('a02yyuw'),
  port: serialPort,
  baudRate: z._default(z.number().check(z.int(), z.positive()), 9600),
});

/**
 * JSN-SR04T v3 (and AJ-SR04M) in a serial mode, set by a resistor on the board: auto (frames every
 * ~100 ms, like the A02YYUW) or triggered (the sensor answers each trigger byte with one frame).
 */
const jsnSr04t = z.strictObject({
  driver: z.literal('jsn-sr04t'),
  port: serialPort,
  baudRate: z._default(z.number().check(z.int(), z.positive()), 9600),
  mode: z._default(z.enum(['auto', 'triggered']), 'triggered'),
  /** Byte that triggers a measurement in triggered mode: 0x55 for JSN-SR04T v3, 0x01 for AJ-SR04M. */
  triggerByte: z._default(z.number().check(z.int(), z.gte(0), z.lte(255)), 0x55),
});

export const ultrasonicDeviceSchema = z.discriminatedUnion('driver', [
  maxbotixI2cxl,
  urm09,
  a02yyuw,
  jsnSr04t,
]);

/** ADS1115 16-bit I2C ADC reading a hydrostatic pressure transmitter. */
export const ads1115Schema = z.strictObject({
  driver: z.literal('ads1115'),
  bus: i2cBus,
  /** 0x48 (ADDR to GND), 0x49 (VDD), 0x4A (SDA), 0x4B (SCL). */
  address: i2cAddress(0x48),
  /** Single-ended input AIN0-AIN3. */
  channel: z._default(z.number().check(z.int(), z.gte(0), z.lte(3)), 0),
  /** 4-20mA: current loop across a shunt resistor; 0-5V: voltage output through a divider. */
  input: z._default(z.enum(['4-20mA', '0-5V']), '4-20mA'),
  /** Shunt for 4-20mA (150 ohm: 0.6-3.0 V, inside the ADC's 3.3 V supply). */
  shuntOhms: z._default(z.number().check(z.positive(), z.lte(500)), 150),
  /** For 0-5V: ADC volts per sensor volt of the divider (10k over 20k: 0.667, so 5 V reads 3.33 V). */
  dividerRatio: z._default(z.number().check(z.positive(), z.lte(1)), 1),
  /** Conversions averaged (median) per reading. */
  samples: z._default(z.number().check(z.int(), z.gte(1), z.lte(15)), 3),
});

/** Sensirion SHT3x (SHT30/31/35) air temperature and humidity over I2C, CRC-checked. */
export const airTemperatureSchema = z.strictObject({
  driver: z.literal('sht3x'),
  bus: i2cBus,
  /** 0x44 (ADDR low) or 0x45 (ADDR high). */
  address: i2cAddress(0x44),
});

// ---- level sensing -------------------------------------------------------------------------------------

export const ultrasonicSchema = z.strictObject({
  /** Distance from the sensor face down to the tank floor. */
  mountHeightMm: positiveMm,
  /** Readings nearer than this are inside the sensor's dead zone (JSN-SR04T: ~200-250 mm). */
  minRangeMm: z._default(z.number().check(z.gte(0)), 250),
  maxRangeMm: z._default(positiveMm, 4500),
  sampleIntervalMs: z._default(z.number().check(z.int(), z.gte(100), z.lte(60_000)), 2000),
  /** True when the sensor compensates the speed of sound itself (e.g. URM09). */
  compensatesTemperature: z._default(z.boolean(), false),
  /** Air temperature the sensor's distance assumes when it does not compensate. */
  assumedAirTemperatureC: z._default(z.number().check(z.gte(-40), z.lte(80)), 20),
  /** The real sensor (hardware.backend: pi). */
  device: z.optional(ultrasonicDeviceSchema),
  /** Air temperature in the tank's headspace, for speed-of-sound compensation (pi backend, optional). */
  airTemperature: z.optional(airTemperatureSchema),
});

/** Hydrostatic pressure transmitter at the bottom of the tank: reads the water column, immune to condensation. */
export const pressureSchema = z.strictObject({
  /** Height of the transmitter's diaphragm above the tank floor. */
  sensorHeightMm: z._default(z.number().check(z.gte(0)), 0),
  /** Water column that gives full-scale output (a 0-5 m transmitter: 5000). */
  fullScaleMm: positiveMm,
  sampleIntervalMs: z._default(z.number().check(z.int(), z.gte(100), z.lte(60_000)), 2000),
  /** The ADC the transmitter is wired to (hardware.backend: pi). */
  device: z.optional(ads1115Schema),
});

const probeElectrode = z.strictObject({
  id,
  /** Height of the electrode tip above the tank floor. */
  heightMm: z.number().check(z.gte(0)),
  pin: bcmPin,
  /**
   * dry-run: bottom electrode, dry stops the pump; high-high: top electrode, wet closes the fill valve
   * whatever the ultrasonic says; level: cross-check only.
   */
  role: z._default(z.enum(['dry-run', 'high-high', 'level']), 'level'),
});

export const probesSchema = z.strictObject({
  /** Output that powers the electrodes only while sampling (DC on an electrode corrodes it). */
  excitationPin: z.optional(bcmPin),
  /**
   * Polarity reversal (optional, needs excitationPin): the sense inputs' pull resistors go to this pin
   * instead of ground. Each sample is taken twice, current one way then the other, so no net DC flows
   * through the water, and an input that reads the same both ways is reported as a wiring fault.
   */
  reversePin: z.optional(bcmPin),
  /** Input level that means wet (true = pin reads high when the electrode is in water). */
  wetWhenHigh: z._default(z.boolean(), true),
  /** Consecutive equal samples before a probe changes state (ripple, splashing). */
  debounceSamples: z._default(z.number().check(z.int(), z.gte(1), z.lte(20)), 3),
  electrodes: z.array(probeElectrode).check(z.minLength(1)),
});

// ---- outputs -------------------------------------------------------------------------------------------

const output = {
  pin: bcmPin,
  /** Relay boards that switch on a low input. */
  activeLow: z._default(z.boolean(), false),
};

/** Fill valves of one tank open and close together (two in series guard against one stuck open). */
export const valveSchema = z.strictObject({
  id,
  ...output,
  /** Only normally-closed solenoids are supported: losing power must stop the water. */
  normallyClosed: z._default(
    z.literal(true, 'must be true: use a normally-closed valve so a power cut stops the water'),
    true,
  ),
});

export const pumpSchema = z.strictObject({
  ...output,
  minOnS: z._default(seconds, 30),
  minOffS: z._default(seconds, 60),
  maxStartsPerHour: z._default(z.number().check(z.int(), z.gte(1), z.lte(60)), 12),
  /**
   * Starts per rolling 24 hours, whatever the faults: a pump started more often is short-cycling (motor
   * heat, contactor wear). Normal use starts it a few times a day (dry-run stops and restarts, overrides).
   */
  maxStartsPerDay: z._default(z.number().check(z.int(), z.gte(1), z.lte(1440)), 48),
  /** Dry-run protection by level: stop below this, restart only above restartAbovePct. */
  stopBelowPct: z._default(pct, 8),
  restartAbovePct: z._default(pct, 12),
});

// ---- pin profiles --------------------------------------------------------------------------------------

/**
 * A relay board or HAT as data (hardware/profiles/*.yaml, or inline in hardware.profile): which GPIO
 * drives which relay and with which polarity. With a profile set, the config check refuses a valve or
 * pump on a pin that is not one of the board's relays, or with the wrong activeLow.
 */
export const pinProfileSchema = z.strictObject({
  name: id,
  description: z.string().check(z.minLength(1)),
  /** Where to buy it, or the maker's part number. */
  partNumber: z.optional(z.string()),
  relays: z
    .array(
      z.strictObject({
        channel: z.string().check(z.minLength(1), z.maxLength(16)),
        pin: bcmPin,
        activeLow: z.boolean(),
        /** Contact rating printed on the relay, for the installer. */
        rating: z.optional(z.string()),
      }),
    )
    .check(z.minLength(1)),
  /** Pins the board uses for something else (LEDs, buttons, its EEPROM): never for our devices. */
  reservedPins: z._default(z.array(bcmPin), []),
  notes: z.optional(z.string()),
});

// ---- backend -------------------------------------------------------------------------------------------

export const gpioSchema = z.strictObject({
  /**
   * auto: the GPIO character device where the kernel has no sysfs GPIO (Trixie, Pi 5 on new kernels),
   * else sysfs through onoff. sysfs / chardev force one.
   */
  backend: z._default(z.enum(['auto', 'sysfs', 'chardev']), 'auto'),
  /** chardev: the gpiochip (name like gpiochip0, or its label); default: the SoC's pin controller. */
  chip: z.optional(z.string().check(z.minLength(1))),
  /**
   * chardev: how the lines are held. line-server: one python3 process holds them all and reads or writes
   * on request (no process per switch or sample); gpiod-tools: Debian's gpiod tools, a gpioget per read.
   * auto: the line server where python3 runs it, else the tools.
   */
  chardevVia: z._default(z.enum(['auto', 'line-server', 'gpiod-tools']), 'auto'),
});

export const hardwareSchema = z.strictObject({
  backend: z._default(z.enum(['sim', 'pi']), 'sim'),
  /** Relay board in use: a name from hardware/profiles/ (e.g. waveshare-rpi-relay-board) or inline. */
  profile: z.optional(z.union([id, pinProfileSchema])),
  gpio: z.prefault(gpioSchema, {}),
  sim: z.prefault(
    z.strictObject({
      seed: z._default(z.number().check(z.int()), 1),
      /** Simulated seconds per wall second when the daemon runs on the simulator. */
      speed: z._default(z.number().check(z.positive(), z.lte(10_000)), 1),
      /**
       * Mirror every simulated output into DIR/<tank>/<output>/value ("0" or "1"), like a sysfs GPIO
       * value file, so another process (a test, an installer's demo) can see the relays.
       */
      outputStateDir: z.optional(z.string()),
      /**
       * Faults of a running simulated daemon, for demos and tests: each line of this file names a fault
       * (KIND or KIND:TANK, e.g. ultrasonic-dropout:house) that acts while the line is there.
       */
      faultsFile: z.optional(z.string()),
    }),
    {},
  ),
});

export type UltrasonicDeviceConfig = z.infer<typeof ultrasonicDeviceSchema>;
export type Ads1115Config = z.infer<typeof ads1115Schema>;
export type AirTemperatureConfig = z.infer<typeof airTemperatureSchema>;
export type PinProfile = z.infer<typeof pinProfileSchema>;
export type GpioConfig = z.infer<typeof gpioSchema>;
