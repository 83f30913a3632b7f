// Config schema of the MQTT plane. Part of the one config schema (schema.ts).

import { z } from 'zod';

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
