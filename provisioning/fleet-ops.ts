// The fleet's operations: the central tier's files (`provision central-config`: the RabbitMQ cluster's
// config and definitions, the fleet service's folder) and the fleet page's operators (`provision operator
// add|del`), who become users of their own on every gateway at its next bundle.

import { join } from 'node:path';
import { stringify } from 'yaml';
import { formatHmacKeys, newHmacKey, parseHmacKeys } from '../daemon/security/hmac.js';
import { formatPasswordFile, hashPassword, parsePasswordFile } from '../daemon/security/password-file.js';
import { generateAcl } from '../daemon/security/roles.js';
import { checkPassword } from '../daemon/security/user-admin.js';
import { readBridgePasswords } from './bundle-ops.js';
import { FLEET_WEB_PORT } from '../daemon/fleet/config.js';
import {
  ENABLED_PLUGINS,
  FLEET_CENTRAL_USER,
  FLEET_CLIENT_ID,
  centralDefinitions,
  nodeName,
  rabbitConf,
  type HubAccount,
} from './central-files.js';
import { machinePassword, readablePassword, type GatewayOperator } from './credentials.js';
import { hubCentralUser } from './fleet-hub-files.js';
import { formatInventory } from './inventory.js';
import { writePublicFile, writeSecretFile } from './secret-files.js';
import { operatorSchema, SiteError, type CentralNode, type OperatorRole } from './site.js';
import { fileExists, openSite, readSecret, saveSite, type SiteState } from './site-store.js';

export const FLEET_STATE_DIR = '/var/lib/smart-tank-fleet';

function requireFleet(state: SiteState): void {
  if (!state.site.fleet.enabled)
    throw new SiteError(
      `site ${state.site.site} has no fleet: set fleet.enabled: true in site.yaml (or init-site --fleet)`,
    );
}

/** A central-broker login's password: made once, kept in secrets/fleet/USER.password. */
export async function centralPassword(state: SiteState, user: string): Promise<string> {
  const file = state.layout.centralPassword(user);
  if (await fileExists(file)) return readSecret(file, `the central password of ${user}`);
  const password = machinePassword();
  await writeSecretFile(file, password + '\n');
  return password;
}

/** "host[:port][=node]" as given on the command line. */
export function parseCentralNode(text: string): CentralNode {
  const m = /^([a-z0-9.-]+)(?::(\d{1,5}))?(?:=([A-Za-z0-9_-]+@[A-Za-z0-9.-]+))?$/.exec(text);
  if (!m) throw new SiteError(`"${text}" is not HOST[:PORT][=NODE] (e.g. central-1.example:1883)`);
  const port = m[2] ? Number(m[2]) : 1883;
  if (port < 1 || port > 65535) throw new SiteError(`"${text}": port must be 1-65535`);
  return { host: m[1]!, port, ...(m[3] ? { node: m[3] } : {}) };
}

async function readOperatorSecrets(state: SiteState) {
  const l = state.layout;
  const passwords = (await fileExists(l.operatorPasswords))
    ? parsePasswordFile(await readSecret(l.operatorPasswords, 'operator passwords'), l.operatorPasswords)
    : new Map<string, string>();
  const keys = (await fileExists(l.operatorKeys))
    ? parseHmacKeys(await readSecret(l.operatorKeys, 'operator keys'))
    : new Map<string, Buffer>();
  return { passwords, keys };
}

async function writeOperatorSecrets(
  state: SiteState,
  s: { passwords: Map<string, string>; keys: Map<string, Buffer> },
): Promise<void> {
  await writeSecretFile(state.layout.operatorPasswords, formatPasswordFile(s.passwords));
  await writeSecretFile(state.layout.operatorKeys, formatHmacKeys(s.keys));
}

/** The site's operators as every gateway's bundle carries them. */
export async function gatewayOperators(state: SiteState): Promise<GatewayOperator[]> {
  if (!state.site.fleet.enabled || state.site.fleet.operators.length === 0) return [];
  const s = await readOperatorSecrets(state);
  return state.site.fleet.operators.map((o) => {
    const passwordHash = s.passwords.get(o.name);
    if (!passwordHash)
      throw new SiteError(`operator ${o.name} has no password in ${state.layout.operatorPasswords}`);
    const hmacKey = s.keys.get(o.name);
    if (o.role === 'admin' && !hmacKey)
      throw new SiteError(`operator ${o.name} (admin) has no signing key in ${state.layout.operatorKeys}`);
    return { user: o.name, role: o.role, passwordHash, ...(o.role === 'admin' ? { hmacKey } : {}) };
  });
}

export interface OperatorResult {
  name: string;
  role: OperatorRole;
  password: string;
  credentialsFile: string;
  /** Gateways bundled before this operator existed: they learn of them at their next bundle. */
  gatewaysToRebundle: string[];
}

export async function addOperator(
  dir: string,
  o: { name: string; role: OperatorRole; password?: string },
): Promise<OperatorResult> {
  const state = await openSite(dir);
  requireFleet(state);
  const checked = operatorSchema.safeParse({ name: o.name, role: o.role });
  if (!checked.success)
    throw new SiteError(
      `operator ${JSON.stringify(o.name)}: ${checked.error.issues[0]!.message} (site.yaml fleet.operators)`,
    );
  if (state.site.fleet.operators.some((x) => x.name === o.name))
    throw new SiteError(`operator ${o.name} exists already (remove it first: provision operator del)`);
  if (['gateway', 'admin'].includes(o.name))
    throw new SiteError(`"${o.name}" is a gateway's own user name: choose another operator name`);
  const password = o.password ?? readablePassword();
  try {
    checkPassword(password);
  } catch (err) {
    throw new SiteError((err as Error).message);
  }
  const s = await readOperatorSecrets(state);
  s.passwords.set(o.name, await hashPassword(password));
  if (o.role === 'admin') s.keys.set(o.name, newHmacKey());
  await writeOperatorSecrets(state, s);
  state.site = {
    ...state.site,
    fleet: {
      ...state.site.fleet,
      operators: [...state.site.fleet.operators, { name: o.name, role: o.role }],
    },
  };
  await saveSite(state);
  const credentialsFile = join(state.layout.operatorOut(o.name), 'credentials.txt');
  await writeSecretFile(
    credentialsFile,
    `Fleet operator ${o.name} (${o.role}) of site ${state.site.site}
Password: ${password}
The fleet page's login, and a login on every gateway bundled from now on. Give it to the operator, then
delete this file.
`,
  );
  return {
    name: o.name,
    role: o.role,
    password,
    credentialsFile,
    gatewaysToRebundle: bundledGateways(state),
  };
}

function bundledGateways(state: SiteState): string[] {
  return state.rows
    .filter((r) => r.role === 'gateway' && r.status === 'active' && r.certSerial)
    .map((r) => r.device);
}

export async function removeOperator(dir: string, name: string): Promise<{ gatewaysToRebundle: string[] }> {
  const state = await openSite(dir);
  requireFleet(state);
  if (!state.site.fleet.operators.some((x) => x.name === name)) throw new SiteError(`no operator ${name}`);
  const s = await readOperatorSecrets(state);
  s.passwords.delete(name);
  s.keys.delete(name);
  await writeOperatorSecrets(state, s);
  state.site = {
    ...state.site,
    fleet: { ...state.site.fleet, operators: state.site.fleet.operators.filter((x) => x.name !== name) },
  };
  await saveSite(state);
  return { gatewaysToRebundle: bundledGateways(state) };
}

export interface CentralConfigResult {
  dir: string;
  nodes: { host: string; port: number; node: string }[];
  hubs: number;
  operators: number;
  files: string[];
}

/** This server's gateways with a bridge login (bundled with --fleet, not revoked). */
export async function bridgedGateways(state: SiteState, server: number): Promise<string[]> {
  const lines = await readBridgePasswords(state);
  return state.rows
    .filter(
      (r) => r.server === server && r.role === 'gateway' && r.status === 'active' && lines.has(r.device),
    )
    .map((r) => r.device);
}

export async function centralConfig(
  dir: string,
  o: { nodes?: CentralNode[] } = {},
): Promise<CentralConfigResult> {
  const state = await openSite(dir);
  requireFleet(state);
  if (o.nodes) {
    state.site = { ...state.site, fleet: { ...state.site.fleet, central: o.nodes } };
    await saveSite(state);
  }
  const nodes = state.site.fleet.central;
  if (nodes.length === 0)
    throw new SiteError('the central tier has no nodes yet: give them once with --nodes HOST[:PORT],...');
  const hubs: HubAccount[] = [];
  for (const s of state.site.servers) {
    const user = hubCentralUser(s.number);
    hubs.push({
      user,
      server: s.number,
      password: await centralPassword(state, user),
    });
  }
  const fleet = { user: FLEET_CENTRAL_USER, password: await centralPassword(state, FLEET_CENTRAL_USER) };
  const out = state.layout.centralOut;
  const files: string[] = [];
  const pub = async (name: string, content: string) => {
    await writePublicFile(join(out, name), content);
    files.push(join(out, name));
  };
  const secret = async (name: string, content: string) => {
    await writeSecretFile(join(out, name), content);
    files.push(join(out, name));
  };
  await pub('rabbitmq.conf', rabbitConf({ site: state.site.site, nodes }));
  await pub('enabled_plugins', ENABLED_PLUGINS);
  await secret(
    'definitions.json',
    JSON.stringify(centralDefinitions({ prefix: state.site.topicPrefix, hubs, fleet }), null, 2) + '\n',
  );
  await writeFleetServiceFolder(state, join(out, 'fleet'), fleet.password, pub, secret);
  return {
    dir: out,
    nodes: nodes.map((n) => ({ host: n.host, port: n.port, node: nodeName(n) })),
    hubs: hubs.length,
    operators: state.site.fleet.operators.length,
    files,
  };
}

async function writeFleetServiceFolder(
  state: SiteState,
  dir: string,
  centralPasswordText: string,
  pub: (name: string, content: string) => Promise<void>,
  secret: (name: string, content: string) => Promise<void>,
): Promise<void> {
  const rel = (name: string) => join('fleet', name);
  const s = await readOperatorSecrets(state);
  const operators = state.site.fleet.operators;
  const passwords = new Map([...s.passwords].filter(([u]) => operators.some((o) => o.name === u)));
  const keys = new Map([...s.keys].filter(([u]) => operators.some((o) => o.name === u)));
  const tokenFile = join(dir, 'metrics-token');
  const token = (await fileExists(tokenFile))
    ? await readSecret(tokenFile, 'metrics token')
    : machinePassword();
  const config = {
    site: state.site.site,
    central: {
      urls: state.site.fleet.central.map((n) => `mqtt://${n.host}:${n.port}`),
      username: FLEET_CENTRAL_USER,
      passwordFile: 'central-password',
      clientId: FLEET_CLIENT_ID,
    },
    topicPrefix: state.site.topicPrefix,
    inventoryFiles: ['inventory.csv'],
    users: { passwordFile: 'users.passwd', aclFile: 'users.acl', hmacKeysFile: 'hmac.keys' },
    timezone: state.site.timezone,
    web: { listen: [{ host: '127.0.0.1', port: FLEET_WEB_PORT }], metrics: { tokenFile: 'metrics-token' } },
    stateDir: FLEET_STATE_DIR,
  };
  await pub(
    rel('fleet.yaml'),
    `# The fleet service of site ${state.site.site}: smart-tank fleet serve --config fleet.yaml\n` +
      '# Generated by smart-tank provision central-config; relative paths are from this folder.\n' +
      stringify(config, { lineWidth: 110 }),
  );
  await secret(rel('central-password'), centralPasswordText + '\n');
  await secret(rel('users.passwd'), formatPasswordFile(passwords));
  await pub(
    rel('users.acl'),
    generateAcl(
      operators.map((o) => ({ user: o.name, role: o.role, canCommand: false })),
      { prefix: state.site.topicPrefix, discoveryPrefix: 'homeassistant' },
    ),
  );
  await secret(rel('hmac.keys'), formatHmacKeys(keys));
  await secret(rel('metrics-token'), token + '\n');
  await pub(rel('inventory.csv'), formatInventory(state.rows));
  await pub(
    rel('prometheus-scrape.yml'),
    [
      `# A Prometheus scrape job for the fleet service of site ${state.site.site} (under scrape_configs:).`,
      '# Copy metrics-token next to prometheus.yml, readable by the prometheus user.',
      `- job_name: smart-tank-fleet`,
      '  scrape_interval: 30s',
      '  authorization:',
      '    credentials_file: /etc/prometheus/smart-tank-fleet.token',
      '  static_configs:',
      `    - targets: ['127.0.0.1:${FLEET_WEB_PORT}']`,
      '',
    ].join('\n'),
  );
}
