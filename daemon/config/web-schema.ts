// Config schema of the farmer's dashboard (daemon/web/). Part of the one config schema (schema.ts).

import * as z from './zod.js';
import { LOCAL_NETWORKS, listenHostProblem, parseCidr } from '../web/networks.js';

const listener = z.strictObject({
  /** An address of this gateway: loopback, the LAN interface or the VPN tunnel (never a WAN address). */
  host: z.string().check(
    z.superRefine((host, ctx) => {
      const problem = listenHostProblem(host);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
  ),
  port: z._default(z.number().check(z.int(), z.gte(0), z.lte(65535)), 8080),
});

const cidr = z.string().check(
  z.superRefine((text, ctx) => {
    try {
      parseCidr(text);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
    }
  }),
);

const hostname = z
  .string()
  .check(
    z.regex(
      /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i,
      'must be a host name',
    ),
  );

const roleName = z.enum(['admin', 'viewer', 'integrator']);

export const webSchema = z.strictObject({
  enabled: z._default(z.boolean(), true),
  /**
   * Where the dashboard listens (one object or a list). Loopback is always served; a LAN or tunnel
   * address opens only once a user exists (smart-tank user add), like the embedded MQTT broker.
   */
  listen: z._default(
    z.pipe(
      z.union([listener, z.array(listener).check(z.minLength(1))]),
      z.transform((l) => (Array.isArray(l) ? l : [l])),
    ),
    [{ host: '127.0.0.1', port: 8080 }],
  ),
  /** HTTPS with a certificate and key the installer provides; the listeners above then speak HTTPS. */
  tls: z.optional(
    z.strictObject({
      certFile: z.string().check(z.minLength(1)),
      keyFile: z.string().check(z.minLength(1)),
      /** Plain HTTP on the same addresses, answering only with a redirect to HTTPS; null: none. */
      redirectPort: z._default(z.nullable(z.number().check(z.int(), z.gte(0), z.lte(65535))), null),
    }),
  ),
  /** Clients are served only from these ranges (a request from elsewhere gets no page). */
  allowClients: z._default(z.array(cidr).check(z.minLength(1)), [...LOCAL_NETWORKS]),
  /**
   * Host names the dashboard is reached by, besides IP addresses and localhost (e.g. tank.farm.lan).
   * A request naming another host is refused: a web page elsewhere cannot rebind a name to the gateway.
   */
  hostnames: z._default(z.array(hostname), []),
  session: z.prefault(
    z.strictObject({
      /** A session unused this long ends (the farmer logs in again). */
      idleMinutes: z._default(z.number().check(z.positive(), z.lte(60 * 24 * 90)), 60 * 24),
      /** A session ends this long after its login, used or not. */
      absoluteDays: z._default(z.number().check(z.positive(), z.lte(365)), 30),
      /** Sessions one user may hold (phones, tablets); the oldest goes first. */
      maxPerUser: z._default(z.number().check(z.int(), z.gte(1), z.lte(100)), 10),
    }),
    {},
  ),
  /** Prometheus metrics at /metrics. */
  metrics: z.prefault(
    z.strictObject({
      enabled: z._default(z.boolean(), true),
      /** Logged-in users of these roles may read /metrics (in a browser). */
      roles: z._default(z.array(roleName), ['admin']),
      /** A file holding a token: a scraper sending it (Authorization: Bearer) may read /metrics. */
      tokenFile: z.optional(z.string()),
    }),
    {},
  ),
  /** Live streams (one per open tab) served at once; more are refused until one closes. */
  maxStreams: z._default(z.number().check(z.int(), z.gte(1), z.lte(1000)), 32),
  /** Live events kept for a tab that reconnects; after a longer gap it gets a full snapshot instead. */
  replayEvents: z._default(z.number().check(z.int(), z.gte(16), z.lte(10_000)), 256),
});

export type WebConfig = z.infer<typeof webSchema>;
