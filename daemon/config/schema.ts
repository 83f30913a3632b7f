// The one schema of the gateway's YAML config. Types are derived from it (z.infer), so the compile-time
// shape and the runtime validation cannot drift apart. Its parts live beside it (hardware-schema.ts,
// mqtt-schema.ts, vpn-schema.ts); cross-field rules live in load.ts and report exact key paths too.
//
// Units are in the key names: Mm (millimetres), Pct (percent of tank capacity by volume), S / Ms / Minutes.

import * as z from './zod.js';
import {
  hardwareSchema,
  pressureSchema,
  probesSchema,
  pumpSchema,
  ultrasonicSchema,
  valveSchema,
} from './hardware-schema.js';
import { mqttSchema } from './mqtt-schema.js';
import { notifySchema } from './notify-schema.js';
import { hhmm, id, pct, positiveMm, seconds } from './primitives.js';
import { vpnSchema } from './vpn-schema.js';
import { webSchema } from './web-schema.js';

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

const calibrationPoint = z.strictObject({
  heightMm: z.number().check(z.gte(0)),
  litres: z.number().check(z.gte(0)),
});

/** Measured strapping table for irregular tanks: water height to litres, interpolated linearly. */
const calibrationTable = z.strictObject({
  shape: z.literal('calibration-table'),
  points: z.array(calibrationPoint).check(z.minLength(2, 'needs at least 2 points')),
});

export const geometrySchema = z.discriminatedUnion('shape', [
  verticalCylinder,
  horizontalCylinder,
  rectangular,
  calibrationTable,
]);

// ---- level estimation ----------------------------------------------------------------------------------

export const filterSchema = z.strictObject({
  /** Median over this many accepted samples (odd). */
  medianWindow: z._default(z.number().check(z.int(), z.gte(1), z.lte(31)), 5),
  /** A sample further than this from the median (plus what maxRateMmPerMin allows) is an echo spike. */
  spikeRejectMm: z._default(positiveMm, 150),
  /** Fastest the water level can really move (fill or draw); bounds what a new sample may claim. */
  maxRateMmPerMin: z._default(positiveMm, 100),
  /** Fast path, used by the controller: reacts to a fill within seconds. */
  controlTimeConstantS: z._default(seconds, 10),
  /** Smooth path, shown to the farmer. */
  displayTimeConstantS: z._default(seconds, 300),
  /** No accepted sample for this long makes the reading stale (safe state). */
  staleAfterS: z._default(z.number().check(z.positive()), 30),
  /** Share of rejected samples over the last 5 minutes that marks the sensor noisy (clear below half). */
  noisyRejectRatio: z._default(z.number().check(z.gte(0), z.lte(1)), 0.2),
});

// ---- control rules -------------------------------------------------------------------------------------

const refillWindow = z.strictObject({ from: hhmm, to: hhmm });

export const controlSchema = z.strictObject({
  /** Refill rule (source paper): open below lowPct, close above highPct, keep state in between. */
  lowPct: z._default(pct, 15),
  highPct: z._default(pct, 80),
  /** Below this the tank refills even outside refill windows. */
  criticalPct: z._default(pct, 5),
  /** Times of day when refilling may start (local time of gateway.timezone). Empty = any time. */
  refillWindows: z._default(z.array(refillWindow), []),
  /**
   * Inside a refill window, start a refill already below this level (fill up on a cheap night tariff
   * instead of waiting for lowPct). Default: lowPct.
   */
  windowTopUpBelowPct: z.optional(pct),
  /** Until the wall clock is synchronized, windows cannot be evaluated. */
  whenClockUnsynced: z._default(z.enum(['critical-only', 'ignore-windows']), 'critical-only'),
  /** Longest a fill may run: the overfill guard for a stuck level sensor. */
  maxFillMinutes: z._default(z.number().check(z.positive()), 240),
  /** Pause after the fill-time guard trips before refill is tried again (an admin can reset earlier). */
  fillLockoutMinutes: z._default(z.number().check(z.gte(0)), 240),
  /** Valve open this long with less than noRiseMinPct rise: no mains pressure or a stuck valve. */
  noRiseMinutes: z._default(z.number().check(z.positive()), 15),
  noRiseMinPct: z._default(z.number().check(z.positive()), 1),
  /** After a no-rise trip, retry after this long (doubling up to 8x on repeated trips). */
  noRiseRetryMinutes: z._default(z.number().check(z.positive()), 30),
  /**
   * Leak detection by minimum night flow: in these quiet hours nobody uses water, so with the fill valve
   * closed any fall in level is a leak. Needs a synchronized clock. null turns it off.
   */
  leakQuietHours: z._default(z.nullable(refillWindow), { from: '00:30', to: '04:30' }),
  /** Outflow in quiet hours at or above this is a leak. Default 0.5% of capacity per hour. */
  leakLitresPerHour: z.optional(z.number().check(z.positive())),
  /** Outflow with the fill valve closed above this, over 10 minutes at any hour, is a burst pipe. */
  burstLitresPerHour: z.optional(z.number().check(z.positive())),
  /** Probe and ultrasonic may disagree by this much before it is a fault. */
  disagreeTolerancePct: z._default(pct, 8),
  /** Fill valves: minimum open and closed times and openings per rolling hour (no chatter). */
  minValveOpenS: z._default(seconds, 30),
  minValveClosedS: z._default(seconds, 60),
  maxValveOpeningsPerHour: z._default(z.number().check(z.int(), z.gte(1), z.lte(60)), 6),
  /**
   * Openings per rolling 24 hours, whatever the faults (a solenoid wears, a pipe hammers). A day of normal
   * use opens it once or twice; retries after no-rise trips (30 min, doubling) add at most ten.
   */
  maxValveOpeningsPerDay: z._default(z.number().check(z.int(), z.gte(1), z.lte(1440)), 24),
  /** Longest a manual override may last before the tank returns to automatic control. */
  manualMaxMinutes: z._default(z.number().check(z.positive(), z.lte(24 * 60)), 120),
});

// ---- simulated tank (hardware.backend: sim) -------------------------------------------------------------

export const tankSimSchema = z.strictObject({
  initialLevelPct: z._default(pct, 50),
  /** Fill rate at nominal mains pressure. */
  inflowLitresPerMin: z.optional(z.number().check(z.positive())),
  /** Average farm use per day, spread over a morning/evening profile. */
  useLitresPerDay: z.optional(z.number().check(z.gte(0))),
  /** Roof area draining into the tank (rain inflow); 0 = covered tank. */
  catchmentM2: z._default(z.number().check(z.gte(0)), 0),
  airTemperatureC: z.prefault(z.strictObject({ min: z.number(), max: z.number() }), { min: 12, max: 32 }),
  noiseMm: z._default(z.number().check(z.gte(0)), 3),
  spikeProbability: z._default(z.number().check(z.gte(0), z.lte(1)), 0.01),
  dropoutProbability: z._default(z.number().check(z.gte(0), z.lte(1)), 0.002),
});

// ---- tank ----------------------------------------------------------------------------------------------

export const tankSchema = z.strictObject({
  id,
  name: z.optional(z.string().check(z.minLength(1), z.maxLength(64))),
  geometry: geometrySchema,
  /** Height of the outlet (pump intake) above the floor: below it the pump runs dry. */
  outletHeightMm: z._default(z.number().check(z.gte(0)), 0),
  /** Exactly one level source: an ultrasonic ranger above the water or a pressure transmitter below it. */
  level: z.strictObject({
    ultrasonic: z.optional(ultrasonicSchema),
    pressure: z.optional(pressureSchema),
    filter: z.prefault(filterSchema, {}),
  }),
  probes: z.optional(probesSchema),
  valves: z.array(valveSchema).check(z.minLength(1, 'needs at least one fill valve')),
  pump: z.optional(pumpSchema),
  control: z.prefault(controlSchema, {}),
  sim: z.prefault(tankSimSchema, {}),
});

export const configSchema = z.strictObject({
  gateway: z.strictObject({
    id,
    name: z.optional(z.string().check(z.maxLength(64))),
    /** IANA time zone for refill windows, e.g. Australia/Brisbane. */
    timezone: z._default(z.string(), 'UTC'),
    /** Runtime state (modes, counters): small, written atomically. */
    stateDir: z._default(z.string(), '/var/lib/smart-tank'),
  }),
  clock: z.prefault(
    z.strictObject({
      /** timesyncd: trust wall time once systemd-timesyncd reports sync; assume-synced: always (dev). */
      sync: z._default(z.enum(['timesyncd', 'assume-synced']), 'timesyncd'),
    }),
    {},
  ),
  log: z.prefault(
    z.strictObject({ level: z._default(z.enum(['debug', 'info', 'warn', 'error']), 'info') }),
    {},
  ),
  hardware: z.prefault(hardwareSchema, {}),
  mqtt: z.prefault(mqttSchema, {}),
  vpn: z.optional(vpnSchema),
  /** The farmer's dashboard (daemon/web/). */
  web: z.prefault(webSchema, {}),
  /** E-mail and webhook notifications (daemon/notify/); none when left out. */
  notify: z.optional(notifySchema),
  tanks: z.array(tankSchema).check(z.minLength(1, 'needs at least one tank')),
});

export type Config = z.infer<typeof configSchema>;
export type TankConfig = z.infer<typeof tankSchema>;
export type Geometry = z.infer<typeof geometrySchema>;
export type UltrasonicConfig = z.infer<typeof ultrasonicSchema>;
export type PressureConfig = z.infer<typeof pressureSchema>;

/** How often the tank's level source is sampled. */
export function levelSampleIntervalMs(tank: TankConfig): number {
  return (tank.level.ultrasonic ?? tank.level.pressure)?.sampleIntervalMs ?? 2000;
}
export type FilterConfig = z.infer<typeof filterSchema>;
export type ProbesConfig = z.infer<typeof probesSchema>;
export type ValveConfig = z.infer<typeof valveSchema>;
export type PumpConfig = z.infer<typeof pumpSchema>;
export type ControlConfig = z.infer<typeof controlSchema>;
export type TankSimConfig = z.infer<typeof tankSimSchema>;
export type MqttConfig = z.infer<typeof mqttSchema>;
export type HardwareConfig = z.infer<typeof hardwareSchema>;
export type VpnConfig = z.infer<typeof vpnSchema>;
export type { WebConfig } from './web-schema.js';
export type { NotifyConfig } from './notify-schema.js';
