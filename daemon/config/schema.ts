// The one schema of the gateway's YAML config. Types are derived from it (z.infer), so the compile-time
// shape and the runtime validation cannot drift apart. Its parts live beside it (hardware-schema.ts,
// mqtt-schema.ts, vpn-schema.ts); cross-field rules live in load.ts and report exact key paths too.
//
// Units are in the key names: Mm (millimetres), Pct (percent of tank capacity by volume), S / Ms / Minutes.

import { z } from 'zod';
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

// ---- level estimation ----------------------------------------------------------------------------------

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
  /**
   * Openings per rolling 24 hours, whatever the faults (a solenoid wears, a pipe hammers). A day of normal
   * use opens it once or twice; retries after no-rise trips (30 min, doubling) add at most ten.
   */
  maxValveOpeningsPerDay: z.number().int().min(1).max(1440).default(24),
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
  /** Exactly one level source: an ultrasonic ranger above the water or a pressure transmitter below it. */
  level: z.strictObject({
    ultrasonic: ultrasonicSchema.optional(),
    pressure: pressureSchema.optional(),
    filter: filterSchema.prefault({}),
  }),
  probes: probesSchema.optional(),
  valves: z.array(valveSchema).min(1, 'needs at least one fill valve'),
  pump: pumpSchema.optional(),
  control: controlSchema.prefault({}),
  sim: tankSimSchema.prefault({}),
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
  hardware: hardwareSchema.prefault({}),
  mqtt: mqttSchema.prefault({}),
  vpn: vpnSchema.optional(),
  /** The farmer's dashboard (daemon/web/). */
  web: webSchema.prefault({}),
  /** E-mail and webhook notifications (daemon/notify/); none when left out. */
  notify: notifySchema.optional(),
  tanks: z.array(tankSchema).min(1, 'needs at least one tank'),
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
