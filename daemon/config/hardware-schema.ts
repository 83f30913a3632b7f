// Config schema of the hardware: level sensors, conduction probes, valves, pump and the backend that
// drives them. Part of the one config schema (schema.ts).

import { z } from 'zod';
import { bcmPin, id, pct, positiveMm, seconds } from './primitives.js';

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

/** Hydrostatic pressure transmitter at the bottom of the tank: reads the water column, immune to condensation. */
export const pressureSchema = z.strictObject({
  /** Height of the transmitter's diaphragm above the tank floor. */
  sensorHeightMm: z.number().min(0).default(0),
  /** Water column that gives full-scale output (a 0-5 m transmitter: 5000). */
  fullScaleMm: positiveMm,
  sampleIntervalMs: z.number().int().min(100).max(60_000).default(2000),
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

// ---- backend -------------------------------------------------------------------------------------------

export const hardwareSchema = z.strictObject({
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
});
