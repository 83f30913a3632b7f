// The fleet service's config (`smart-tank fleet serve --config FILE`): one YAML file, one schema, every
// problem at once with its key path. Relative paths are taken from the config file's folder, so the
// folder `smart-tank provision central-config` writes (out/central/fleet/) runs as it is.

import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import * as z from '../config/zod.js';
import { ConfigError, issueToProblems } from '../config/load.js';
import { webSchema } from '../config/web-schema.js';

const mqttUrl = z
  .string()
  .check(z.regex(/^mqtts?:\/\/[^/\s]+$/, 'must be mqtt://HOST:PORT or mqtts://HOST:PORT'));

/** The fleet page's default port (a gateway's own dashboard has 8080). */
export const FLEET_WEB_PORT = 8090;

/** The dashboard's web section (listeners, TLS, allowed clients, sessions, metrics), its own port. */
const fleetWebSchema = z.extend(webSchema, {
  listen: z._default(webSchema.shape.listen, [{ host: '127.0.0.1', port: FLEET_WEB_PORT }]),
});

export const fleetConfigSchema = z.strictObject({
  /** The site's name for people (page title). */
  site: z._default(z.string().check(z.minLength(1), z.maxLength(64)), 'fleet'),
  /** The central tier: every node of the clustered broker, tried in turn (a node lost, the next). */
  central: z.strictObject({
    urls: z.array(mqttUrl).check(z.minLength(1)),
    username: z.string().check(z.minLength(1)),
    /** A file holding the password (never the password in the config). */
    passwordFile: z.string().check(z.minLength(1)),
    /**
     * The persistent session's id: the central broker keeps what arrives while the service is away in a
     * queue of this name (a quorum queue on RabbitMQ), so a restart misses nothing.
     */
    clientId: z._default(z.string().check(z.minLength(1), z.maxLength(64)), 'smart-tank-fleet'),
    /** A CA for mqtts:// (the central broker's certificate). */
    caFile: z.optional(z.string()),
  }),
  topicPrefix: z._default(z.string().check(z.minLength(1)), 'smart-tank'),
  /**
   * provisioning's inventory.csv of each site the fleet serves: which site and VPN server (hub) each
   * gateway belongs to. Gateway ids are topic levels: unique across the sites of one fleet.
   */
  inventoryFiles: z._default(z.array(z.string().check(z.minLength(1))), []),
  /** The operators: the same files and roles as a gateway's (`smart-tank provision operator add`). */
  users: z.strictObject({
    passwordFile: z.string().check(z.minLength(1)),
    aclFile: z.string().check(z.minLength(1)),
    /** HMAC keys of the operators who command: every command to a gateway is signed with its sender's key. */
    hmacKeysFile: z.string().check(z.minLength(1)),
  }),
  /** IANA time zone the page shows times in. */
  timezone: z._default(z.string(), 'UTC'),
  /**
   * The fleet page: the farmer's dashboard's web settings (daemon/config/web-schema.ts): listeners on
   * loopback, LAN or VPN addresses only, optional HTTPS, allowed client ranges, sessions, /metrics.
   */
  web: z.prefault(fleetWebSchema, {}),
  /** Failed logins on the fleet page lock the address out, as on a gateway. */
  lockout: z.prefault(
    z.strictObject({
      maxFailures: z._default(z.number().check(z.int(), z.gte(1)), 5),
      lockoutMinutes: z._default(z.number().check(z.positive()), 15),
    }),
    {},
  ),
  liveness: z.prefault(
    z.strictObject({
      /**
       * A gateway is offline when nothing came from it for this long (it sends its health every
       * systemIntervalS, 60 s by default: three missed), or at once when its status says offline or its
       * bridge to the hub went down.
       */
      offlineAfterS: z._default(z.number().check(z.positive()), 180),
      /** A tank whose last state is older than this is stale (the daemon re-sends every 300 s). */
      staleAfterS: z._default(z.number().check(z.positive()), 900),
    }),
    {},
  ),
  commands: z.prefault(
    z.strictObject({
      /** How long the page waits for a gateway's answer (central -> hub -> gateway and back). */
      answerTimeoutS: z._default(z.number().check(z.positive(), z.lte(300)), 20),
    }),
    {},
  ),
  /** Where the last known state of the fleet is kept across restarts. */
  stateDir: z.string().check(z.minLength(1)),
});

export type FleetConfig = z.infer<typeof fleetConfigSchema>;

export function validateFleetConfig(input: unknown, source: string): FleetConfig {
  const r = fleetConfigSchema.safeParse(input);
  if (!r.success) throw new ConfigError(source, r.error.issues.flatMap(issueToProblems));
  const problems = [];
  if (r.data.liveness.staleAfterS < r.data.liveness.offlineAfterS)
    problems.push({
      path: 'liveness.staleAfterS',
      message: `must be at least liveness.offlineAfterS (${r.data.liveness.offlineAfterS})`,
    });
  if (problems.length) throw new ConfigError(source, problems);
  return withPathsFrom(dirname(resolve(source)), r.data);
}

/** Relative file paths resolved against the config file's folder. */
function withPathsFrom(dir: string, c: FleetConfig): FleetConfig {
  const at = (p: string) => (isAbsolute(p) ? p : resolve(dir, p));
  const opt = (p: string | undefined) => (p === undefined ? undefined : at(p));
  return {
    ...c,
    central: { ...c.central, passwordFile: at(c.central.passwordFile), caFile: opt(c.central.caFile) },
    inventoryFiles: c.inventoryFiles.map(at),
    users: {
      passwordFile: at(c.users.passwordFile),
      aclFile: at(c.users.aclFile),
      hmacKeysFile: at(c.users.hmacKeysFile),
    },
    web: {
      ...c.web,
      metrics: { ...c.web.metrics, tokenFile: opt(c.web.metrics.tokenFile) },
      tls: c.web.tls && { ...c.web.tls, certFile: at(c.web.tls.certFile), keyFile: at(c.web.tls.keyFile) },
    },
    stateDir: at(c.stateDir),
  };
}

export async function loadFleetConfig(file: string): Promise<FleetConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [{ path: '', message: `cannot read file (${(err as Error).message})` }]);
  }
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0)
    throw new ConfigError(
      file,
      doc.errors.map((e) => ({
        path: '',
        message: `YAML syntax error at line ${e.linePos?.[0]?.line ?? '?'}: ${e.message.split('\n')[0]}`,
      })),
    );
  return validateFleetConfig(doc.toJS() ?? {}, file);
}
