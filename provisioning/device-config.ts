// The daemon config of a provisioned gateway: the installer's device file (tanks, sensors, pins, relay
// profile; devices/<id>.yaml in the site repository) plus the keys provisioning owns (identity, paths,
// Mosquitto as the broker, the VPN run by its own service). Validated with the daemon's own
// validateConfig: a bundle is never written with a config the daemon would refuse.

import { parseDocument, stringify } from 'yaml';
import { ConfigError, validateConfig, type ConfigProblem } from '../daemon/config/load.js';
import type { Config } from '../daemon/config/schema.js';
import { DEVICE_PATHS } from './device-paths.js';

type Json = Record<string, unknown>;

/** Keys a device file may not set: provisioning writes them (BUNDLE.md, "Config keys the bundle sets"). */
export const OWNED_KEYS = [
  'gateway.id',
  'gateway.stateDir',
  'clock',
  'hardware.backend',
  'mqtt.broker',
  'mqtt.url',
  'mqtt.username',
  'mqtt.passwordFile',
  'mqtt.users',
  'mqtt.listen',
  'mqtt.topicPrefix',
  'vpn',
  'web.listen',
  'web.tls',
  'web.hostnames',
] as const;

export type VpnChoice = { kind: 'wireguard' } | { kind: 'openvpn'; authFile: boolean };

export interface ProvisionedKeys {
  device: string;
  timezone: string;
  topicPrefix: string;
  vpn: VpnChoice;
  /** Where the dashboard listens: the tunnel address, the LAN address if the device file gives one. */
  web: DashboardPlan;
}

export interface DashboardPlan {
  addresses: string[];
  /** The site's dashboard port (plain HTTP, or HTTPS with the device certificate). */
  port: number;
  /** HTTPS with the device's certificate (the site's mqttTls: TLS with the site CA everywhere). */
  tls: boolean;
  /** The device's DNS name, as in its certificate. */
  hostname: string;
}

/** With HTTPS the dashboard is on 8443 and the site's plain port only redirects there. */
export const DASHBOARD_TLS_PORT = 8443;

/**
 * The dashboard's listeners: loopback (for the Pi itself), the tunnel address (the farmer's phone over
 * the VPN) and the LAN address (the farmyard Wi-Fi); the daemon opens the non-loopback ones only once a
 * user exists. With the site's TLS: HTTPS with the device certificate, the plain port a redirect.
 */
export function dashboardKeys(plan: DashboardPlan): Json {
  const port = plan.tls ? DASHBOARD_TLS_PORT : plan.port;
  return {
    listen: ['127.0.0.1', ...plan.addresses].map((host) => ({ host, port })),
    hostnames: [plan.hostname],
    ...(plan.tls
      ? {
          tls: {
            certFile: DEVICE_PATHS.deviceCert,
            keyFile: DEVICE_PATHS.deviceKey,
            redirectPort: plan.port,
          },
        }
      : {}),
  };
}

/** The dashboard's address for the farmer, as provisioning sets it up. */
export function dashboardUrl(plan: DashboardPlan, address: string): string {
  return plan.tls ? `https://${address}:${DASHBOARD_TLS_PORT}/` : `http://${address}:${plan.port}/`;
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function get(obj: Json, path: string): unknown {
  let cur: unknown = obj;
  for (const k of path.split('.')) {
    if (!isObject(cur)) return undefined;
    cur = cur[k];
  }
  return cur;
}

function del(obj: Json, path: string): void {
  const keys = path.split('.');
  const last = keys.pop()!;
  let cur: unknown = obj;
  for (const k of keys) {
    if (!isObject(cur)) return;
    cur = cur[k];
  }
  if (isObject(cur)) delete cur[last];
}

export function parseDeviceFile(text: string, source: string): Json {
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0)
    throw new ConfigError(source, [{ path: '', message: `YAML: ${doc.errors[0]!.message.split('\n')[0]}` }]);
  const data: unknown = doc.toJS();
  if (!isObject(data)) throw new ConfigError(source, [{ path: '', message: 'must be a YAML mapping' }]);
  return data;
}

/** A device file from a full daemon config (e.g. hardware/examples/*.yaml): the owned keys taken out. */
export function deviceFileFrom(config: Json, name?: string): Json {
  const copy = structuredClone(config);
  for (const key of OWNED_KEYS) del(copy, key);
  if (isObject(copy.gateway) && Object.keys(copy.gateway).length === 0) delete copy.gateway;
  if (name) copy.gateway = { ...(isObject(copy.gateway) ? copy.gateway : {}), name };
  for (const top of ['mqtt', 'hardware'] as const)
    if (isObject(copy[top]) && Object.keys(copy[top] as Json).length === 0) delete copy[top];
  return copy;
}

export function formatDeviceFile(device: string, data: Json): string {
  return (
    `# Tanks and hardware of gateway ${device}: the daemon config without the keys provisioning sets\n` +
    `# (${OWNED_KEYS.join(', ')}).\n` +
    '# Every key: daemon/config/example.yaml; wiring and relay profiles: hardware/README.md.\n' +
    '# `smart-tank provision bundle` merges it with the provisioned keys and validates the result.\n' +
    stringify(data, { lineWidth: 110 })
  );
}

/** The config a bundle carries, validated; throws ConfigError naming the device file's keys. */
export function composeDeviceConfig(
  deviceFile: Json,
  keys: ProvisionedKeys,
  source: string,
): { raw: Json; config: Config } {
  const owned: ConfigProblem[] = OWNED_KEYS.filter((k) => get(deviceFile, k) !== undefined).map((k) => ({
    path: k,
    message: 'is set by provisioning: remove it from the device file',
  }));
  if (owned.length > 0) throw new ConfigError(source, owned);
  const gateway = isObject(deviceFile.gateway) ? deviceFile.gateway : {};
  const hardware = isObject(deviceFile.hardware) ? deviceFile.hardware : {};
  const mqtt = isObject(deviceFile.mqtt) ? deviceFile.mqtt : {};
  const web = isObject(deviceFile.web) ? deviceFile.web : {};
  const vpn =
    keys.vpn.kind === 'wireguard'
      ? { kind: 'wireguard', interface: 'wg0', configFile: DEVICE_PATHS.wgConf }
      : {
          kind: 'openvpn',
          interface: 'tun0',
          profile: DEVICE_PATHS.ovpnProfile,
          ...(keys.vpn.authFile ? { authFile: DEVICE_PATHS.ovpnAuth } : {}),
        };
  // Provisioned keys first in each section, so the file reads identity, plumbing, then the tanks.
  const { gateway: _g, hardware: _h, mqtt: _m, web: _w, ...rest } = deviceFile;
  const config: Json = {
    gateway: {
      id: keys.device,
      ...gateway,
      timezone: gateway.timezone ?? keys.timezone,
      stateDir: DEVICE_PATHS.stateDir,
    },
    clock: { sync: 'timesyncd' },
    hardware: { backend: 'pi', ...hardware },
    mqtt: {
      broker: 'external',
      url: 'mqtt://127.0.0.1:1883',
      username: 'gateway',
      passwordFile: DEVICE_PATHS.mqttPassword,
      users: {
        passwordFile: DEVICE_PATHS.mqttPasswd,
        aclFile: DEVICE_PATHS.mqttAcl,
        hmacKeysFile: DEVICE_PATHS.hmacKeys,
        gatewayUser: 'gateway',
      },
      topicPrefix: keys.topicPrefix,
      ...mqtt,
    },
    vpn: {
      ...vpn,
      runBy: 'service',
      statusFile: DEVICE_PATHS.vpnStatusFile,
      runtimeDir: DEVICE_PATHS.vpnRuntimeDir,
    },
    web: { ...dashboardKeys(keys.web), ...web },
    ...rest,
  };
  return { raw: config, config: validateConfig(config, `${source} (with the keys provisioning sets)`) };
}

export function formatDeviceConfig(device: string, site: string, config: Json): string {
  return (
    `# Config of gateway ${device} (site ${site}), generated by smart-tank provision bundle from\n` +
    `# devices/${device}.yaml. Change that file and bundle again, or edit here and run:\n` +
    '#   smart-tank config check /etc/smart-tank/config.yaml\n' +
    stringify(config, { lineWidth: 110 })
  );
}
