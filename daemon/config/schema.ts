// The one schema of the gateway's YAML config. Types are derived from it (z.infer), so the compile-time
// shape and the runtime validation cannot drift apart. Cross-field rules live in `crossChecks` below and
// report exact key paths like the field rules do.
//
// Units are in the key names: Mm (millimetres), Pct (percent of tank capacity by volume), S / Ms / Minutes.

import { z } from 'zod';

const pct = z.number().min(0).max(100);
const positiveMm = z.number().positive();
const seconds = z.number().min(0);
const bcmPin = z.number().int().min(0).max(27);
const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time of day as HH:MM (24 h)');
const id = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, 'must be 1-32 characters: lower-case letters, digits, - or _');

// ---- tank geometry -------------------------------------------------------------------------------------

const verticalCylinder = z.strictObject({
  shape: z.literal('vertical-cylinder'),
  diameterMm: positiveMm,
  /** Floor to overflow brim. */
  heightMm: positiveMm,
});

const horizontalCylinder = z.strictObject({
  shape: z.literal('horizontal-cylinder'),
  diameterMm: positiveMm,
  lengthMm: positiveMm,
});

const rectangular = z.strictObject({
  shape: z.literal('rectangular'),
  lengthMm: positiveMm,
  widthMm: positiveMm,
  heightMm: positiveMm,
});

const calibrationPoint = z.strictObject({ heightMm: z.number().min(0), litres: z.number().min(0) });

/** Measured strapping table for irregular tanks: water height to litres, interpolated linearly. */
const calibrationTable = z.strictObject({
  shape: z.literal('calibration-table'),
  points: z.array(calibrationPoint).min(2, 'needs at least 2 points'),
});

export const geometrySchema = z.discriminatedUnion('shape', [
  verticalCylinder,
  horizontalCylinder,
  rectangular,
  calibrationTable,
]);

// ---- level sensing -------------------------------------------------------------------------------------

export const ultrasonicSchema = z.strictObject({
  /** Distance from the sensor face down to the tank floor. */
  mountHeightMm: positiveMm,
  /** Readings nearer than this are inside the sensor's dead zone (JSN-SR04T: ~200-250 mm). */
  minRangeMm: z.number().min(0).default(250),
  maxRangeMm: positiveMm.default(4500),
  sampleIntervalMs: z.number().int().min(100).max(60_000).default(2000),
  /** True when the sensor compensates the speed of sound itself (e.g. URM09). */
  compensatesTemperature: z.boolean().default(false),
  /** Air temperature the sensor's distance assumes when it does not compensate. */
  assumedAirTemperatureC: z.number().min(-40).max(80).default(20),
});

export const filterSchema = z.strictObject({
  /** Median over this many accepted samples (odd). */
  medianWindow: z.number().int().min(1).max(31).default(5),
  /** A sample further than this from the median (plus what maxRateMmPerMin allows) is an echo spike. */
  spikeRejectMm: positiveMm.default(150),
  /** Fastest the water level can really move (fill or draw); bounds what a new sample may claim. */
  maxRateMmPerMin: positiveMm.default(100),
  /** Fast path, used by the controller: reacts to a fill within seconds. */
  controlTimeConstantS: seconds.default(10),
  /** Smooth path, shown to the farmer. */
  displayTimeConstantS: seconds.default(300),
  /** No accepted sample for this long makes the reading stale (safe state). */
  staleAfterS: z.number().positive().default(30),
  /** Share of rejected samples over the last 5 minutes that marks the sensor noisy (clear below half). */
  noisyRejectRatio: z.number().min(0).max(1).default(0.2),
});

const probeElectrode = z.strictObject({
  id,
  /** Height of the electrode tip above the tank floor. */
  heightMm: z.number().min(0),
  pin: bcmPin,
  /**
   * dry-run: bottom electrode, dry stops the pump; high-high: top electrode, wet closes the fill valve
   * whatever the ultrasonic says; level: cross-check only.
   */
  role: z.enum(['dry-run', 'high-high', 'level']).default('level'),
});

export const probesSchema = z.strictObject({
  /** Output that powers the electrodes only while sampling (DC on an electrode corrodes it). */
  excitationPin: bcmPin.optional(),
  /** Input level that means wet (true = pin reads high when the electrode is in water). */
  wetWhenHigh: z.boolean().default(true),
  /** Consecutive equal samples before a probe changes state (ripple, splashing). */
  debounceSamples: z.number().int().min(1).max(20).default(3),
  electrodes: z.array(probeElectrode).min(1),
});

// ---- outputs -------------------------------------------------------------------------------------------

const output = {
  pin: bcmPin,
  /** Relay boards that switch on a low input. */
  activeLow: z.boolean().default(false),
};

/** Fill valves of one tank open and close together (two in series guard against one stuck open). */
export const valveSchema = z.strictObject({
  id,
  ...output,
  /** Only normally-closed solenoids are supported: losing power must stop the water. */
  normallyClosed: z
    .literal(true, 'must be true: use a normally-closed valve so a power cut stops the water')
    .default(true),
});

export const pumpSchema = z.strictObject({
  ...output,
  minOnS: seconds.default(30),
  minOffS: seconds.default(60),
  maxStartsPerHour: z.number().int().min(1).max(60).default(12),
  /** Dry-run protection by level: stop below this, restart only above restartAbovePct. */
  stopBelowPct: pct.default(8),
  restartAbovePct: pct.default(12),
});

// ---- control rules -------------------------------------------------------------------------------------

const refillWindow = z.strictObject({ from: hhmm, to: hhmm });

export const controlSchema = z.strictObject({
  /** Refill rule (source paper): open below lowPct, close above highPct, keep state in between. */
  lowPct: pct.default(15),
  highPct: pct.default(80),
  /** Below this the tank refills even outside refill windows. */
  criticalPct: pct.default(5),
  /** Times of day when refilling may start (local time of gateway.timezone). Empty = any time. */
  refillWindows: z.array(refillWindow).default([]),
  /**
   * Inside a refill window, start a refill already below this level (fill up on a cheap night tariff
   * instead of waiting for lowPct). Default: lowPct.
   */
  windowTopUpBelowPct: pct.optional(),
  /** Until the wall clock is synchronized, windows cannot be evaluated. */
  whenClockUnsynced: z.enum(['critical-only', 'ignore-windows']).default('critical-only'),
  /** Longest a fill may run: the overfill guard for a stuck level sensor. */
  maxFillMinutes: z.number().positive().default(240),
  /** Pause after the fill-time guard trips before refill is tried again (an admin can reset earlier). */
  fillLockoutMinutes: z.number().min(0).default(240),
  /** Valve open this long with less than noRiseMinPct rise: no mains pressure or a stuck valve. */
  noRiseMinutes: z.number().positive().default(15),
  noRiseMinPct: z.number().positive().default(1),
  /** After a no-rise trip, retry after this long (doubling up to 8x on repeated trips). */
  noRiseRetryMinutes: z.number().positive().default(30),
  /**
   * Leak detection by minimum night flow: in these quiet hours nobody uses water, so with the fill valve
   * closed any fall in level is a leak. Needs a synchronized clock. null turns it off.
   */
  leakQuietHours: refillWindow.nullable().default({ from: '00:30', to: '04:30' }),
  /** Outflow in quiet hours at or above this is a leak. Default 0.5% of capacity per hour. */
  leakLitresPerHour: z.number().positive().optional(),
  /** Outflow with the fill valve closed above this, over 10 minutes at any hour, is a burst pipe. */
  burstLitresPerHour: z.number().positive().optional(),
  /** Probe and ultrasonic may disagree by this much before it is a fault. */
  disagreeTolerancePct: pct.default(8),
  /** Fill valves: minimum open and closed times and openings per rolling hour (no chatter). */
  minValveOpenS: seconds.default(30),
  minValveClosedS: seconds.default(60),
  maxValveOpeningsPerHour: z.number().int().min(1).max(60).default(6),
  /** Longest a manual override may last before the tank returns to automatic control. */
  manualMaxMinutes: z
    .number()
    .positive()
    .max(24 * 60)
    .default(120),
});

// ---- simulated tank (hardware.backend: sim) -------------------------------------------------------------

export const tankSimSchema = z.strictObject({
  initialLevelPct: pct.default(50),
  /** Fill rate at nominal mains pressure. */
  inflowLitresPerMin: z.number().positive().optional(),
  /** Average farm use per day, spread over a morning/evening profile. */
  useLitresPerDay: z.number().min(0).optional(),
  /** Roof area draining into the tank (rain inflow); 0 = covered tank. */
  catchmentM2: z.number().min(0).default(0),
  airTemperatureC: z.strictObject({ min: z.number(), max: z.number() }).prefault({ min: 12, max: 32 }),
  noiseMm: z.number().min(0).default(3),
  spikeProbability: z.number().min(0).max(1).default(0.01),
  dropoutProbability: z.number().min(0).max(1).default(0.002),
});

// ---- tank ----------------------------------------------------------------------------------------------

export const tankSchema = z.strictObject({
  id,
  name: z.string().min(1).max(64).optional(),
  geometry: geometrySchema,
  /** Height of the outlet (pump intake) above the floor: below it the pump runs dry. */
  outletHeightMm: z.number().min(0).default(0),
  level: z.strictObject({
    ultrasonic: ultrasonicSchema,
    filter: filterSchema.prefault({}),
  }),
  probes: probesSchema.optional(),
  valves: z.array(valveSchema).min(1, 'needs at least one fill valve'),
  pump: pumpSchema.optional(),
  control: controlSchema.prefault({}),
  sim: tankSimSchema.prefault({}),
});

// ---- gateway -------------------------------------------------------------------------------------------

export const mqttSchema = z.strictObject({
  /** embedded: Aedes inside the daemon (development, simulator); external: a client of Mosquitto. */
  broker: z.enum(['embedded', 'external']).default('embedded'),
  /** Embedded broker listener; loopback only until the secure plane is configured. */
  listen: z
    .strictObject({
      host: z.string().default('127.0.0.1'),
      port: z.number().int().min(0).max(65535).default(1883),
    })
    .prefault({}),
  /** External broker URL, e.g. mqtt://127.0.0.1:1883. */
  url: z.string().url().optional(),
  username: z.string().optional(),
  /** File holding the password (never the password itself in the config). */
  passwordFile: z.string().optional(),
  topicPrefix: z
    .string()
    .regex(
      /^[a-zA-Z0-9_-]+(\/[a-zA-Z0-9_-]+)*$/,
      'must be topic levels of letters, digits, - or _ (no wildcards)',
    )
    .default('smart-tank'),
  /** Level change that triggers a state publish; smaller moves wait for the heartbeat. */
  publishMinDeltaPct: z.number().min(0).default(0.5),
  stateHeartbeatS: z.number().positive().default(300),
  systemIntervalS: z.number().positive().default(60),
});

export const configSchema = z.strictObject({
  gateway: z.strictObject({
    id,
    name: z.string().max(64).optional(),
    /** IANA time zone for refill windows, e.g. Australia/Brisbane. */
    timezone: z.string().default('UTC'),
    /** Runtime state (modes, counters): small, written atomically. */
    stateDir: z.string().default('/var/lib/smart-tank'),
  }),
  clock: z
    .strictObject({
      /** timesyncd: trust wall time once systemd-timesyncd reports sync; assume-synced: always (dev). */
      sync: z.enum(['timesyncd', 'assume-synced']).default('timesyncd'),
    })
    .prefault({}),
  log: z.strictObject({ level: z.enum(['debug', 'info', 'warn', 'error']).default('info') }).prefault({}),
  hardware: z
    .strictObject({
      backend: z.enum(['sim', 'pi']).default('sim'),
      sim: z
        .strictObject({
          seed: z.number().int().default(1),
          /** Simulated seconds per wall second when the daemon runs on the simulator. */
          speed: z.number().positive().max(10_000).default(1),
          /**
           * Mirror every simulated output into DIR/<tank>/<output>/value ("0" or "1"), like a sysfs GPIO
           * value file, so another process (a test, an installer's demo) can see the relays.
           */
          outputStateDir: z.string().optional(),
        })
        .prefault({}),
    })
    .prefault({}),
  mqtt: mqttSchema.prefault({}),
  tanks: z.array(tankSchema).min(1, 'needs at least one tank'),
});

export type Config = z.infer<typeof configSchema>;
export type TankConfig = z.infer<typeof tankSchema>;
export type Geometry = z.infer<typeof geometrySchema>;
export type UltrasonicConfig = z.infer<typeof ultrasonicSchema>;
export type FilterConfig = z.infer<typeof filterSchema>;
export type ProbesConfig = z.infer<typeof probesSchema>;
export type ValveConfig = z.infer<typeof valveSchema>;
export type PumpConfig = z.infer<typeof pumpSchema>;
export type ControlConfig = z.infer<typeof controlSchema>;
export type TankSimConfig = z.infer<typeof tankSimSchema>;
export type MqttConfig = z.infer<typeof mqttSchema>;
