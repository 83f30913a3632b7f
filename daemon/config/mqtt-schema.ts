// Config schema of the MQTT plane. Part of the one config schema (schema.ts).

import * as z from './zod.js';

const listener = z.strictObject({
  /** An address of this gateway: loopback, the LAN interface, or the VPN tunnel (never a WAN address). */
  host: z.string().check(z.minLength(1)),
  port: z._default(z.number().check(z.int(), z.gte(0), z.lte(65535)), 1883),
});

export const mqttSchema = z.strictObject({
  /** embedded: Aedes inside the daemon (development, simulator); external: a client of Mosquitto. */
  broker: z._default(z.enum(['embedded', 'external']), 'embedded'),
  /**
   * Embedded broker listeners (one object or a list). A listener on anything but loopback is opened only
   * once at least one user exists (smart-tank user add): no anonymous access beyond this machine.
   */
  listen: z._default(
    z.pipe(
      z.union([listener, z.array(listener).check(z.minLength(1))]),
      z.transform((l) => (Array.isArray(l) ? l : [l])),
    ),
    [{ host: '127.0.0.1', port: 1883 }],
  ),
  /** External broker URL, e.g. mqtt://127.0.0.1:1883 (mqtts:// for TLS; WebSocket is not supported). */
  url: z.optional(z.url({ protocol: /^mqtts?$/, error: 'must be an mqtt:// or mqtts:// URL' })),
  /** The daemon's own user on the external broker (role gateway). */
  username: z.optional(z.string()),
  /** File holding that user's password (never the password itself in the config). */
  passwordFile: z.optional(z.string()),
  /**
   * Users, roles and HMAC keys: one credential format for both brokers. The password file is
   * Mosquitto's own (PBKDF2-SHA512, `$7$`), the ACL file Mosquitto's own, generated from the roles by
   * `smart-tank user`; Mosquitto reads the same two files.
   */
  users: z.prefault(
    z.strictObject({
      passwordFile: z._default(z.string(), '/etc/smart-tank/mqtt.passwd'),
      aclFile: z._default(z.string(), '/etc/smart-tank/mqtt.acl'),
      /** Per-user HMAC keys for signed commands (mode 0600). */
      hmacKeysFile: z._default(z.string(), '/etc/smart-tank/hmac.keys'),
      /** Name of the daemon's own user (role gateway). */
      gatewayUser: z._default(z.string(), 'gateway'),
    }),
    {},
  ),
  commands: z.prefault(
    z.strictObject({
      /** A command older than this (by its `ts`) is refused: replays and delayed deliveries do nothing. */
      maxAgeS: z._default(z.number().check(z.positive(), z.lte(3600)), 60),
      /** Allowed clock difference for a command stamped in the future. */
      maxFutureS: z._default(z.number().check(z.gte(0), z.lte(300)), 10),
      /** Require an HMAC signature from every user (otherwise only from users that have a key). */
      requireSignature: z._default(z.boolean(), false),
      /** Commands a user may send per minute; more are dropped (and counted in the audit log). */
      perUserPerMinute: z._default(z.number().check(z.int(), z.positive()), 60),
    }),
    {},
  ),
  /** Failed authentications (embedded broker; fail2ban on the Mosquitto log does the same in the image). */
  lockout: z.prefault(
    z.strictObject({
      maxFailures: z._default(z.number().check(z.int(), z.gte(1)), 5),
      lockoutMinutes: z._default(z.number().check(z.positive()), 15),
    }),
    {},
  ),
  /** Resource limits of the embedded broker (the Mosquitto config in os-image/ says the same). */
  limits: z.prefault(
    z.strictObject({
      maxMessageBytes: z._default(z.number().check(z.int(), z.gte(1024)), 65_536),
      maxConnections: z._default(z.number().check(z.int(), z.gte(1)), 50),
      /** Sessions one user may hold at once (admins and the gateway are not limited). */
      maxConnectionsPerUser: z._default(z.number().check(z.int(), z.gte(1)), 5),
      /** Sessions one client address may hold at once (admins and the gateway are not limited). */
      maxConnectionsPerAddress: z._default(z.number().check(z.int(), z.gte(1)), 10),
      /** Of maxConnections, this many are kept for admins (a viewer cannot lock an admin out). */
      reservedForAdmins: z._default(z.number().check(z.int(), z.gte(0)), 5),
      /** New connections per source address per minute. */
      connectionsPerMinute: z._default(z.number().check(z.int(), z.gte(1)), 30),
      maxInflight: z._default(z.number().check(z.int(), z.gte(1)), 20),
      /** Messages queued for one slow or offline subscriber before the oldest are dropped. */
      maxQueued: z._default(z.number().check(z.int(), z.gte(1)), 1000),
    }),
    {},
  ),
  /** Local store of telemetry while the broker is unreachable, and of the trend history. */
  store: z.prefault(
    z.strictObject({
      /** SQLite file; default <gateway.stateDir>/telemetry.db. */
      file: z.optional(z.string()),
      /** Bound of the outbox: past it the oldest superseded tank states go first, then the oldest rows. */
      maxOutboxRows: z._default(z.number().check(z.int(), z.gte(100)), 50_000),
      /** Trend history: 5-minute points kept this many days, hourly points this many. */
      fineDays: z._default(z.number().check(z.int(), z.gte(1)), 30),
      coarseDays: z._default(z.number().check(z.int(), z.gte(1)), 730),
    }),
    {},
  ),
  homeAssistant: z.prefault(
    z.strictObject({
      enabled: z._default(z.boolean(), true),
      discoveryPrefix: z._default(z.string(), 'homeassistant'),
      /**
       * The user Home Assistant logs in as; its valve and pump controls publish to that user's command
       * topic (create it with: smart-tank user add homeassistant --role integrator --can-command).
       */
      commandUser: z._default(z.string(), 'homeassistant'),
      /**
       * Discovery is re-sent when Home Assistant publishes `online` on <prefix>/status, at most this often
       * however many ask (any integrator may publish it: each re-send is ~22 retained messages).
       */
      rediscoveryMinIntervalS: z._default(z.number().check(z.gte(1), z.lte(3600)), 60),
    }),
    {},
  ),
  topicPrefix: z._default(
    z
      .string()
      .check(
        z.regex(
          /^[a-zA-Z0-9_-]+(\/[a-zA-Z0-9_-]+)*$/,
          'must be topic levels of letters, digits, - or _ (no wildcards)',
        ),
      ),
    'smart-tank',
  ),
  /** Level change that triggers a state publish; smaller moves wait for the heartbeat. */
  publishMinDeltaPct: z._default(z.number().check(z.gte(0)), 0.5),
  stateHeartbeatS: z._default(z.number().check(z.positive()), 300),
  systemIntervalS: z._default(z.number().check(z.positive()), 60),
});
