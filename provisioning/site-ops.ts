// Site operations: create a site (its CA and first VPN server), add VPN servers, add devices to the
// address plan, list the inventory. Each validates everything before it writes anything.

import { readdir, readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { id as idSchema } from '../daemon/config/primitives.js';
import {
  allocateTankAddress,
  AddressPlanError,
  ipToNumber,
  MAX_SERVERS,
  parseBaseNetwork,
  placeAddress,
  serverAddress,
  serverSubnet,
} from './address-plan.js';
import { composeDeviceConfig, deviceFileFrom, formatDeviceFile, parseDeviceFile } from './device-config.js';
import { takenAddresses, upsertRow, type InventoryRow } from './inventory.js';
import { createCa } from './pki.js';
import { projectPath } from './project-files.js';
import { ensurePrivateDir, ensurePublicDir, writePublicFile, writeSecretFile } from './secret-files.js';
import { GITIGNORE, siteLayout, siteSchema, SiteError, type Site } from './site.js';
import { fileExists, openSite, saveSite, type SiteState } from './site-store.js';
import { generateWgKeyPair } from './wg-keys.js';

export const DEFAULT_NETWORK = '192.168.0.0/16';
export const DEFAULT_WG_PORT = 51820;
export const DEFAULT_EXAMPLE = 'pi-a02yyuw';
export const DEFAULT_LAN_INTERFACES = ['eth0', 'wlan0'];

/** "vpn1.farm.example" or "vpn1.farm.example:51821". */
export function parseEndpoint(text: string): { endpoint: string; port: number } {
  const m = /^([^:\s]+)(?::(\d{1,5}))?$/.exec(text.trim());
  const port = m?.[2] === undefined ? DEFAULT_WG_PORT : Number(m[2]);
  if (!m || port < 1 || port > 65535)
    throw new SiteError(`--endpoint "${text}" must be HOST or HOST:PORT (the VPN server's public DNS name)`);
  return { endpoint: m[1]!.toLowerCase(), port };
}

export interface InitSiteOptions {
  site: string;
  endpoint: string;
  network?: string;
  domain?: string;
  name?: string;
  timezone?: string;
  fleet?: boolean;
  mqttTls?: boolean;
}

export async function initSite(dir: string, o: InitSiteOptions): Promise<SiteState> {
  const layout = siteLayout(resolve(dir));
  if (await fileExists(layout.siteFile))
    throw new SiteError(`${layout.siteFile} exists already: this directory is a site`);
  if (!idSchema.safeParse(o.site).success)
    throw new SiteError(`site id "${o.site}" must be 1-32 characters: lower-case letters, digits, - or _`);
  const network = o.network ?? DEFAULT_NETWORK;
  const base = parseBaseNetwork(network);
  const { endpoint, port } = parseEndpoint(o.endpoint);
  const parsed = siteSchema.safeParse({
    site: o.site,
    ...(o.name ? { name: o.name } : {}),
    network,
    domain: o.domain ?? `${o.site.replaceAll('_', '-')}.internal`,
    timezone: o.timezone ?? 'UTC',
    mqttTls: o.mqttTls ?? false,
    fleet: { enabled: o.fleet ?? false },
    servers: [{ number: 1, endpoint, port }],
  });
  if (!parsed.success)
    throw new SiteError(
      parsed.error.issues.map((i) => `${i.path.join('.') || 'site'}: ${i.message}`).join('\n'),
    );
  const site: Site = parsed.data;
  try {
    new Intl.DateTimeFormat('en', { timeZone: site.timezone });
  } catch {
    throw new SiteError(`--timezone "${site.timezone}" is not an IANA time zone (e.g. Australia/Brisbane)`);
  }
  await ensurePublicDir(layout.devicesDir);
  await ensurePrivateDir(layout.secrets);
  await ensurePrivateDir(layout.out);
  if (!(await fileExists(layout.gitignore))) await writePublicFile(layout.gitignore, GITIGNORE);
  await createCa(layout, { id: site.site, ...(site.name ? { name: site.name } : {}) });
  const state: SiteState = { layout, site, base, rows: [] };
  await addServerRow(state, 1);
  await saveSite(state);
  return state;
}

async function addServerRow(state: SiteState, number: number): Promise<void> {
  const keys = generateWgKeyPair();
  await writeSecretFile(state.layout.serverKey(number), keys.privateKey + '\n');
  state.rows = upsertRow(state.rows, {
    site: state.site.site,
    server: number,
    address: serverAddress(state.base, number),
    role: 'server',
    device: `server-${number}`,
    status: 'active',
    publicKey: keys.publicKey,
    certSerial: '',
  });
}

export async function addServer(
  dir: string,
  endpointText: string,
): Promise<{ state: SiteState; number: number }> {
  const state = await openSite(dir);
  const number = state.site.servers.length + 1;
  if (number > MAX_SERVERS)
    throw new AddressPlanError(
      `site ${state.site.site} has ${MAX_SERVERS} VPN servers already, the most the address plan holds ` +
        `(Table 1: 10 servers x 250 tanks); start another site for more`,
    );
  const { endpoint, port } = parseEndpoint(endpointText);
  state.site = siteSchema.parse({
    ...state.site,
    servers: [...state.site.servers, { number, endpoint, port }],
  });
  await addServerRow(state, number);
  await saveSite(state);
  return { state, number };
}

export interface AddDeviceOptions {
  device: string;
  server: number;
  address?: string;
  /** A full daemon config to start the device file from. */
  from?: string;
  /** Or one of hardware/examples/ by name. */
  example?: string;
  name?: string;
  lanAddress?: string;
  lanInterfaces?: string[];
}

/** The `provisioning:` section of a device file: network facts of this Pi, not daemon config. */
export interface DeviceNetwork {
  lanAddress?: string;
  lanInterfaces: string[];
}

const INTERFACE = /^[a-zA-Z0-9_=+.-]{1,15}$/;

export function deviceNetworkOf(deviceFile: Record<string, unknown>, source: string): DeviceNetwork {
  const p = deviceFile.provisioning;
  if (p === undefined) return { lanInterfaces: DEFAULT_LAN_INTERFACES };
  if (typeof p !== 'object' || p === null || Array.isArray(p))
    throw new SiteError(`${source}: provisioning must be a mapping (lanAddress, lanInterfaces)`);
  const { lanAddress, lanInterfaces, ...rest } = p as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length > 0) throw new SiteError(`${source}: provisioning.${unknown[0]}: unknown key`);
  if (lanAddress !== undefined && (typeof lanAddress !== 'string' || ipToNumber(lanAddress) === undefined))
    throw new SiteError(`${source}: provisioning.lanAddress must be an IPv4 address`);
  const ifaces = lanInterfaces ?? DEFAULT_LAN_INTERFACES;
  if (
    !Array.isArray(ifaces) ||
    ifaces.length === 0 ||
    !ifaces.every((i) => typeof i === 'string' && INTERFACE.test(i))
  )
    throw new SiteError(
      `${source}: provisioning.lanInterfaces must be a list of interface names (eth0, wlan0)`,
    );
  return { ...(lanAddress ? { lanAddress } : {}), lanInterfaces: ifaces as string[] };
}

/** The device file without its provisioning section: what composeDeviceConfig merges. */
export function daemonPartOf(deviceFile: Record<string, unknown>): Record<string, unknown> {
  const { provisioning: _network, ...rest } = deviceFile;
  return rest;
}

export async function exampleNames(): Promise<string[]> {
  const files = await readdir(projectPath('hardware/examples'));
  return files
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => basename(f, '.yaml'))
    .sort();
}

async function templateFor(o: AddDeviceOptions): Promise<{ text: string; source: string }> {
  if (o.from) {
    const text = await readFile(o.from, 'utf8').catch((err: Error) => {
      throw new SiteError(`cannot read --from ${o.from}: ${err.message}`);
    });
    return { text, source: o.from };
  }
  const name = o.example ?? DEFAULT_EXAMPLE;
  const names = await exampleNames();
  if (!names.includes(name))
    throw new SiteError(`no example "${name}" (hardware/examples/: ${names.join(', ')}); or use --from FILE`);
  const file = join(projectPath('hardware/examples'), `${name}.yaml`);
  return { text: await readFile(file, 'utf8'), source: file };
}

export function checkLanAddress(state: SiteState, lan: string): void {
  if (ipToNumber(lan) === undefined) throw new SiteError(`LAN address "${lan}" must be an IPv4 address`);
  const place = placeAddress(state.base, lan);
  if (place.kind !== 'outside')
    throw new AddressPlanError(
      `LAN address ${lan} is inside server #${place.server}'s tunnel subnet ` +
        `${serverSubnet(state.base, place.server)}: the farm LAN and the tunnel would collide (routing breaks). ` +
        'Give the Pi another LAN address, or start the site on another base network (init-site --network, ' +
        'e.g. 10.77.0.0/16)',
    );
}

export async function addDevice(
  dir: string,
  o: AddDeviceOptions,
): Promise<{ state: SiteState; row: InventoryRow; created: boolean }> {
  const state = await openSite(dir);
  if (!idSchema.safeParse(o.device).success)
    throw new SiteError(
      `device id "${o.device}" must be 1-32 characters: lower-case letters, digits, - or _`,
    );
  if (/^(server|phone)-\d+$/.test(o.device))
    throw new SiteError(`device id "${o.device}" is kept for the VPN servers and phones`);
  if (state.rows.some((r) => r.device === o.device))
    throw new SiteError(`device ${o.device} is in the inventory already (see: smart-tank provision list)`);
  if (!state.site.servers.some((s) => s.number === o.server))
    throw new SiteError(
      `site ${state.site.site} has no server #${o.server} (servers: ${state.site.servers.map((s) => s.number).join(', ')}); ` +
        'add one with: smart-tank provision add-server --endpoint HOST',
    );
  for (const i of o.lanInterfaces ?? [])
    if (!INTERFACE.test(i))
      throw new SiteError(`--lan-iface: "${i}" is not an interface name (e.g. eth0, wlan0)`);
  if (o.lanAddress) checkLanAddress(state, o.lanAddress);
  const address = allocateTankAddress(state.base, o.server, takenAddresses(state.rows, o.server), o.address);

  // The device file: the installer's own if there is one, else from a template. Checked before saving.
  const deviceFile = state.layout.deviceFile(o.device);
  const created = !(await fileExists(deviceFile));
  let data: Record<string, unknown>;
  if (created) {
    const t = await templateFor(o);
    data = deviceFileFrom(parseDeviceFile(t.text, t.source), o.name);
    const network: Record<string, unknown> = { lanInterfaces: o.lanInterfaces ?? DEFAULT_LAN_INTERFACES };
    if (o.lanAddress) network.lanAddress = o.lanAddress;
    data = { provisioning: network, ...data };
  } else {
    if (o.from || o.example || o.lanAddress || o.lanInterfaces)
      throw new SiteError(`${deviceFile} exists: edit it (or remove it to start from --from/--example)`);
    data = parseDeviceFile(await readFile(deviceFile, 'utf8'), deviceFile);
  }
  const net = deviceNetworkOf(data, deviceFile);
  if (net.lanAddress) checkLanAddress(state, net.lanAddress);
  composeDeviceConfig(
    daemonPartOf(data),
    {
      device: o.device,
      timezone: state.site.timezone,
      topicPrefix: state.site.topicPrefix,
      vpn: { kind: 'wireguard' },
      // Validation only: the tunnel address is allocated below.
      web: {
        addresses: net.lanAddress ? [net.lanAddress] : [],
        port: state.site.dashboardPort,
        tls: state.site.mqttTls,
        hostname: `${o.device}.${state.site.domain}`,
      },
    },
    deviceFile,
  );
  if (created) await writePublicFile(deviceFile, formatDeviceFile(o.device, data));
  const row: InventoryRow = {
    site: state.site.site,
    server: o.server,
    address,
    role: 'gateway',
    device: o.device,
    status: 'active',
    publicKey: '',
    certSerial: '',
  };
  state.rows = upsertRow(state.rows, row);
  await saveSite(state);
  return { state, row, created };
}

export function describeServers(state: SiteState): string[] {
  return state.site.servers.map((s) => {
    const rows = state.rows.filter((r) => r.server === s.number && r.role === 'gateway');
    const active = rows.filter((r) => r.status === 'active').length;
    return `server #${s.number} ${serverSubnet(state.base, s.number)} ${s.endpoint}:${s.port}: ${active} tank gateway(s) active, ${rows.length - active} revoked`;
  });
}
