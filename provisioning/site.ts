// A provisioning site: the installer's directory (a git repository) with the site settings, the
// inventory, each device's tanks and hardware, the CA's public half, and the secrets and generated files
// that never go into git. One place knows the paths; site.yaml is validated with exact key paths.

import { join } from 'node:path';
import { parseDocument, stringify } from 'yaml';
import * as z from '../daemon/config/zod.js';
import { formatPath } from '../daemon/config/load.js';
import { id } from '../daemon/config/primitives.js';
import { parseBaseNetwork } from './address-plan.js';

const dnsName = z
  .string()
  .check(
    z.regex(
      /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/,
      'must be a DNS name (lower-case letters, digits, - and dots)',
    ),
  );
const port = z.number().check(z.int(), z.gte(1), z.lte(65535));

export const serverSchema = z.strictObject({
  number: z.number().check(z.int(), z.gte(1), z.lte(10)),
  /** Public DNS name of the VPN server (dynamic DNS is fine: the gateway re-resolves it). */
  endpoint: dnsName,
  port: z._default(port, 51820),
});

export const centralNodeSchema = z.strictObject({
  /** The node's address as the hubs reach it (a DNS name or an IP address). */
  host: dnsName,
  /** Its MQTT listener. */
  port: z._default(port, 1883),
  /** Its Erlang node name; default rabbit@<first label of host> (RabbitMQ's short-name default). */
  node: z.optional(
    z
      .string()
      .check(
        z.regex(/^[A-Za-z0-9_-]+@[A-Za-z0-9.-]+$/, 'must be an Erlang node name, e.g. rabbit@central-1'),
      ),
  ),
});

export const OPERATOR_ROLES = ['admin', 'viewer'] as const;
export type OperatorRole = (typeof OPERATOR_ROLES)[number];

export const operatorSchema = z.strictObject({
  /** The operator's user name, on the fleet page and on every gateway (as the MQTT user names are). */
  name: z
    .string()
    .check(z.regex(/^[a-z][a-z0-9_.-]{1,31}$/, 'must be 2-32 characters: a-z first, then a-z 0-9 _ . -')),
  /** admin: sees the fleet and commands tanks (through each gateway's checked path); viewer: sees it. */
  role: z.enum(OPERATOR_ROLES),
});

export type CentralNode = z.infer<typeof centralNodeSchema>;
export type Operator = z.infer<typeof operatorSchema>;

export const siteSchema = z.strictObject({
  site: id,
  name: z.optional(z.string().check(z.maxLength(64))),
  /** Base of the address plan: server #n is its n-th /24. */
  network: z.string().check(
    z.refine(
      (cidr) => {
        try {
          parseBaseNetwork(cidr);
          return true;
        } catch {
          return false;
        }
      },
      { message: 'must be an IPv4 network /8 to /20 without host bits, e.g. 192.168.0.0/16' },
    ),
  ),
  /** DNS domain of the devices' names in their certificates: <device>.<domain>. */
  domain: dnsName,
  topicPrefix: z._default(z.string(), 'smart-tank'),
  timezone: z._default(z.string(), 'UTC'),
  dashboardPort: z._default(port, 8080),
  mqttTls: z._default(z.boolean(), false),
  fleet: z.prefault(
    z.strictObject({
      /** Each gateway's Mosquitto bridges its telemetry to a hub broker on its VPN server (.1). */
      enabled: z._default(z.boolean(), false),
      port: z._default(port, 1883),
      /** The central tier: the nodes of a clustered broker (RabbitMQ's MQTT plugin), tried in turn by every hub. */
      central: z._default(z.array(centralNodeSchema), []),
      /** The fleet page's operators: each one a user of its own on every gateway (bundled). */
      operators: z._default(z.array(operatorSchema), []),
    }),
    {},
  ),
  servers: z.array(serverSchema).check(z.minLength(1)),
});

export type Site = z.infer<typeof siteSchema>;
export type SiteServer = z.infer<typeof serverSchema>;

export class SiteError extends Error {
  override name = 'SiteError';
}

export function parseSite(text: string, source: string): Site {
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0) throw new SiteError(`${source}: ${doc.errors[0]!.message.split('\n')[0]}`);
  const r = siteSchema.safeParse(doc.toJS() ?? {});
  if (!r.success)
    throw new SiteError(
      `${source}:\n` +
        r.error.issues.map((i) => `  ${formatPath(i.path) || '(root)'}: ${i.message}`).join('\n'),
    );
  const numbers = r.data.servers.map((s) => s.number);
  numbers.forEach((n, i) => {
    if (n !== i + 1)
      throw new SiteError(`${source}: servers[${i}].number must be ${i + 1} (servers in order)`);
  });
  return r.data;
}

export function formatSite(site: Site): string {
  return (
    '# smart-tank provisioning site. Keep it in version control; change it with `smart-tank provision`\n' +
    '# (or by hand, then regenerate the bundles and hub configs that depend on what you changed).\n' +
    stringify(site, { lineWidth: 110 })
  );
}

export function serverOf(site: Site, number: number): SiteServer {
  const s = site.servers.find((x) => x.number === number);
  if (!s)
    throw new SiteError(
      `site ${site.site} has no server #${number} (servers: ${site.servers.map((x) => x.number).join(', ')}; ` +
        'add one with: smart-tank provision add-server)',
    );
  return s;
}

/** Every path of a site directory. */
export function siteLayout(dir: string) {
  const secrets = join(dir, 'secrets');
  const out = join(dir, 'out');
  const pki = join(dir, 'pki');
  return {
    dir,
    siteFile: join(dir, 'site.yaml'),
    inventory: join(dir, 'inventory.csv'),
    gitignore: join(dir, '.gitignore'),
    devicesDir: join(dir, 'devices'),
    deviceFile: (device: string) => join(dir, 'devices', `${device}.yaml`),
    pki,
    caCert: join(pki, 'ca.crt'),
    crl: join(pki, 'crl.pem'),
    caIndex: join(pki, 'index.txt'),
    issuedDir: join(pki, 'issued'),
    secrets,
    caKey: join(secrets, 'ca.key'),
    serverKey: (n: number) => join(secrets, 'servers', `server-${n}.key`),
    bridgePasswords: join(secrets, 'bridge.passwd'),
    fleetSecrets: join(secrets, 'fleet'),
    /** The login of a fleet account at the central broker (hub-server-N, fleet): its password. */
    centralPassword: (user: string) => join(secrets, 'fleet', `${user}.password`),
    operatorPasswords: join(secrets, 'fleet', 'operators.passwd'),
    operatorKeys: join(secrets, 'fleet', 'operators.hmac'),
    centralOut: join(out, 'central'),
    operatorOut: (name: string) => join(out, 'operators', name),
    out,
    deviceOut: (device: string) => join(out, 'devices', device),
    serverOut: (n: number) => join(out, 'servers', `server-${n}`),
    phoneOut: (n: number) => join(out, 'phones', `server-${n}`),
  };
}

export type SiteLayout = ReturnType<typeof siteLayout>;

/** What the installer's repository must never commit. */
export const GITIGNORE = `# smart-tank provisioning: private keys, passwords and generated bundles never go into git
/secrets/
/out/
*.key
/pki/*.old
`;
