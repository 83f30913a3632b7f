// Config schema of the farmer's dashboard (daemon/web/). Part of the one config schema (schema.ts).

import { z } from 'zod';
import { LOCAL_NETWORKS, listenHostProblem, parseCidr } from '../web/networks.js';

const listener = z.strictObject({
  /** An address of this gateway: loopback, the LAN interface or the VPN tunnel (never a WAN address). */
  host: z.string().superRefine((host, ctx) => {
    const problem = listenHostProblem(host);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }),
  port: z.number().int().min(0).max(65535).default(8080),
});

const cidr = z.string().superRefine((text, ctx) => {
  try {
    parseCidr(text);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
  }
});

const hostname = z
  .string()
  .regex(
    /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i,
    'must be a host name',
  );

const roleName = z.enum(['admin', 'viewer', 'integrator']);

export const webSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /**
   * Where the dashboard listens (one object or a list). Loopback is always served; a LAN or tunnel
   * address opens only once a user exists (smart-tank user add), like the embedded MQTT broker.
   */
  listen: z
    .union([listener, z.array(listener).min(1)])
    .transform((l) => (Array.isArray(l) ? l : [l]))
    .default([{ host: '127.0.0.1', port: 8080 }]),
  /** HTTPS with a certificate and key the installer provides; the listeners above then speak HTTPS. */
  tls: z
    .strictObject({
      certFile: z.string().min(1),
      keyFile: z.string().min(1),
      /** Plain HTTP on the same addresses, answering only with a redirect to HTTPS; null: none. */
      redirectPort: z.number().int().min(0).max(65535).nullable().default(null),
    })
    .optional(),
  /** Clients are served only from these ranges (a request from elsewhere gets no page). */
  allowClients: z
    .array(cidr)
    .min(1)
    .default([...LOCAL_NETWORKS]),
  /**
   * Host names the dashboard is reached by, besides IP addresses and localhost (e.g. tank.farm.lan).
   * A request naming another host is refused: a web page elsewhere cannot rebind a name to the gateway.
   */
  hostnames: z.array(hostname).default([]),
  session: z
    .strictObject({
      /** A session unused this long ends (the farmer logs in again). */
      idleMinutes: z
        .number()
        .positive()
        .max(60 * 24 * 90)
        .default(60 * 24),
      /** A session ends this long after its login, used or not. */
      absoluteDays: z.number().positive().max(365).default(30),
      /** Sessions one user may hold (phones, tablets); the oldest goes first. */
      maxPerUser: z.number().int().min(1).max(100).default(10),
    })
    .prefault({}),
  /** Prometheus metrics at /metrics. */
  metrics: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** Logged-in users of these roles may read /metrics (in a browser). */
      roles: z.array(roleName).default(['admin']),
      /** A file holding a token: a scraper sending it (Authorization: Bearer) may read /metrics. */
      tokenFile: z.string().optional(),
    })
    .prefault({}),
  /** Live streams (one per open tab) served at once; more are refused until one closes. */
  maxStreams: z.number().int().min(1).max(1000).default(32),
  /** Live events kept for a tab that reconnects; after a longer gap it gets a full snapshot instead. */
  replayEvents: z.number().int().min(16).max(10_000).default(256),
});

export type WebConfig = z.infer<typeof webSchema>;
