// Config schema of the MQTT plane. Part of the one config schema (schema.ts).

import { z } from 'zod';

const listener = z.strictObject({
  /** An address of this gateway: loopback, the LAN interface, or the VPN tunnel (never a WAN address). */
  host: z.string().min(1),
  port: z.number().int().min(0).max(65535).default(1883),
});

export const mqttSchema = z.strictObject({
  /** embedded: Aedes inside the daemon (development, simulator); external: a client of Mosquitto. */
  broker: z.enum(['embedded', 'external']).default('embedded'),
  /**
   * Embedded broker listeners (one object or a list). A listener on anything but loopback is opened only
   * once at least one user exists (smart-tank user add): no anonymous access beyond this machine.
   */
  listen: z
    .union([listener, z.array(listener).min(1)])
    .transform((l) => (Array.isArray(l) ? l : [l]))
    .default([{ host: '127.0.0.1', port: 1883 }]),
  /** External broker URL, e.g. mqtt://127.0.0.1:1883. */
  url: z.string().url().optional(),
  /** The daemon's own user on the external broker (role gateway). */
  username: z.string().optional(),
  /** File holding that user's password (never the password itself in the config). */
  passwordFile: z.string().optional(),
  /**
   * Users, roles and HMAC keys: one credential format for both brokers. The password file is
   * Mosquitto's own (PBKDF2-SHA512, `$7$`), the ACL file Mosquitto's own, generated from the roles by
   * `smart-tank user`; Mosquitto reads the same two files.
   */
  users: z
    .strictObject({
      passwordFile: z.string().default('/etc/smart-tank/mqtt.passwd'),
      aclFile: z.string().default('/etc/smart-tank/mqtt.acl'),
      /** Per-user HMAC keys for signed commands (mode 0600). */
      hmacKeysFile: z.string().default('/etc/smart-tank/hmac.keys'),
      /** Name of the daemon's own user (role gateway). */
      gatewayUser: z.string().default('gateway'),
    })
    .prefault({}),
  commands: z
    .strictObject({
      /** A command older than this (by its `ts`) is refused: replays and delayed deliveries do nothing. */
      maxAgeS: z.number().positive().max(3600).default(60),
      /** Allowed clock difference for a command stamped in the future. */
      maxFutureS: z.number().min(0).max(300).default(10),
      /** Require an HMAC signature from every user (otherwise only from users that have a key). */
      requireSignature: z.boolean().default(false),
      /** Commands a user may send per minute; more are dropped (and counted in the audit log). */
      perUserPerMinute: z.number().int().positive().default(60),
    })
    .prefault({}),
  /** Failed authentications (embedded broker; fail2ban on the Mosquitto log does the same in the image). */
  lockout: z
    .strictObject({
      maxFailures: z.number().int().min(1).default(5),
      lockoutMinutes: z.number().positive().default(15),
    })
    .prefault({}),
  /** Resource limits of the embedded broker (the Mosquitto config in os-image/ says the same). */
  limits: z
    .strictObject({
      maxMessageBytes: z.number().int().min(1024).default(65_536),
      maxConnections: z.number().int().min(1).default(50),
      /** Sessions one user may hold at once (admins and the gateway are not limited). */
      maxConnectionsPerUser: z.number().int().min(1).default(5),
      /** Sessions one client address may hold at once (admins and the gateway are not limited). */
      maxConnectionsPerAddress: z.number().int().min(1).default(10),
      /** Of maxConnections, this many are kept for admins (a viewer cannot lock an admin out). */
      reservedForAdmins: z.number().int().min(0).default(5),
      /** New connections per source address per minute. */
      connectionsPerMinute: z.number().int().min(1).default(30),
      maxInflight: z.number().int().min(1).default(20),
      /** Messages queued for one slow or offline subscriber before the oldest are dropped. */
      maxQueued: z.number().int().min(1).default(1000),
    })
    .prefault({}),
  /** Local store of telemetry while the broker is unreachable, and of the trend history. */
  store: z
    .strictObject({
      /** SQLite file; default <gateway.stateDir>/telemetry.db. */
      file: z.string().optional(),
      /** Bound of the outbox: past it the oldest superseded tank states go first, then the oldest rows. */
      maxOutboxRows: z.number().int().min(100).default(50_000),
      /** Trend history: 5-minute points kept this many days, hourly points this many. */
      fineDays: z.number().int().min(1).default(30),
      coarseDays: z.number().int().min(1).default(730),
    })
    .prefault({}),
  homeAssistant: z
    .strictObject({
      enabled: z.boolean().default(true),
      discoveryPrefix: z.string().default('homeassistant'),
      /**
       * The user Home Assistant logs in as; its valve and pump controls publish to that user's command
       * topic (create it with: smart-tank user add homeassistant --role integrator --can-command).
       */
      commandUser: z.string().default('homeassistant'),
      /**
       * Discovery is re-sent when Home Assistant publishes `online` on <prefix>/status, at most this often
       * however many ask (any integrator may publish it: each re-send is ~22 retained messages).
       */
      rediscoveryMinIntervalS: z.number().min(1).max(3600).default(60),
    })
    .prefault({}),
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
