// `smart-tank provision <subcommand>`: the installer's commands. Every subcommand answers --help, works
// on a site directory (--dir, default the current one), writes secrets 0600 and prints none of them
// unless --show-secrets is given.

import type { CliIo } from '../daemon/cli/io.js';
import { numberOption, parseCommand, UsageError } from '../daemon/cli/args.js';
import { AddressPlanError } from './address-plan.js';
import { BundleError } from './bundle.js';
import { bundleDevice } from './bundle-ops.js';
import { hubConfig, revokeDevice, type HubConfigResult } from './hub-ops.js';
import { InventoryError } from './inventory.js';
import { ManifestError } from './manifest.js';
import { phoneConfig } from './phone-ops.js';
import { CRL_REASONS, PkiError, type CrlReason } from './pki.js';
import { SiteError } from './site.js';
import { addDevice, addServer, DEFAULT_NETWORK, describeServers, initSite } from './site-ops.js';
import { openSite } from './site-store.js';
import { addOperator, centralConfig, parseCentralNode, removeOperator } from './fleet-ops.js';
import { OPERATOR_ROLES, type OperatorRole } from './site.js';

const DIR_OPTION = { dir: { type: 'string', default: '.' } } as const;
const DIR_HELP = '  --dir DIR          the site directory (default: the current directory)';

export const PROVISION_USAGE = `usage: smart-tank provision <subcommand> [options]   (smart-tank provision SUBCOMMAND --help)

subcommands (run in the site directory, or pass --dir DIR):
  init-site SITE --endpoint HOST[:PORT]   a new site: address plan, CA, VPN server #1
  add-server --endpoint HOST[:PORT]       another VPN server (up to 10)
  add-device DEVICE --server N            a tank gateway: an address of server N, devices/DEVICE.yaml
  bundle DEVICE [--out DIR]               the folder for the Pi's SD card (boot partition)
  hub-config --server N                   the VPN server's wg0.conf (and fleet hub bridge users)
  phone --server N                        the farmer's phone: WireGuard config and QR code
  central-config [--nodes H:P,...]        the fleet's central tier (RabbitMQ cluster) and fleet service
  operator add|del|list                   the fleet page's operators (users on every gateway)
  revoke DEVICE                           retire a gateway or phone (hub config, certificate)
  list [--json]                           the inventory`;

const INIT_USAGE = `usage: smart-tank provision init-site SITE --endpoint HOST[:PORT] [options]
Creates the site in --dir: site.yaml, inventory.csv, .gitignore, the site CA (pki/ca.crt; its key in
secrets/), and VPN server #1 (its WireGuard key in secrets/).
  --endpoint HOST[:PORT]  public DNS name of VPN server #1 (port default 51820)
  --network CIDR     base of the address plan (default ${DEFAULT_NETWORK}: server #n is 192.168.(n-1).0/24);
                     choose one that no farm LAN uses, e.g. 10.77.0.0/16
  --domain NAME      DNS domain of the devices' certificate names (default SITE.internal)
  --name TEXT        the site's name for people
  --timezone TZ      IANA time zone of the gateways (default UTC)
  --fleet            gateways bridge their telemetry to a fleet hub broker on their VPN server
  --mqtt-tls         gateways also listen for MQTT over TLS (8883) with the site certificate
${DIR_HELP}`;

const ADD_SERVER_USAGE = `usage: smart-tank provision add-server --endpoint HOST[:PORT] [--dir DIR]
Adds the next VPN server (#2 ... #10) with its own /24 and WireGuard key.
${DIR_HELP}`;

const ADD_DEVICE_USAGE = `usage: smart-tank provision add-device DEVICE --server N [options]
Gives the gateway DEVICE the next free tank address of server N (tank k is .(k+2): .3-.252) and writes
devices/DEVICE.yaml (its tanks and hardware) from an example unless that file exists; checks it.
  --server N         VPN server number (1-10)
  --address IP       this tank address instead of the next free one
  --example NAME     start devices/DEVICE.yaml from hardware/examples/NAME.yaml (default pi-a02yyuw)
  --from FILE        or from this daemon config
  --name TEXT        the gateway's name for people
  --lan-address IP   the Pi's fixed LAN address (static or DHCP reservation): MQTT listens there too
  --lan-iface LIST   LAN interfaces for the firewall, comma-separated (default eth0,wlan0)
${DIR_HELP}`;

const BUNDLE_USAGE = `usage: smart-tank provision bundle DEVICE [options]
Makes DEVICE's bundle with fresh keys, passwords and certificate: OUT/smart-tank/ (copy it to the SD
card's boot partition, or give the mounted partition as --out). The first admin's password goes to
out/devices/DEVICE/credentials.txt. Bundling again replaces the device's keys (update the VPN server).
  --out DIR          where to write smart-tank/: an existing folder, e.g. the mounted boot partition
                     (default out/devices/DEVICE/)
  --force            replace an existing smart-tank/ folder there
  --admin NAME       the first admin's user name (default admin)
  --ovpn FILE        use this OpenVPN profile (.ovpn, issued by the farm's server) instead of WireGuard
  --ovpn-auth FILE   its login (user line, password line), when the profile has auth-user-pass
  --show-secrets     also print the admin's password
${DIR_HELP}`;

const HUB_USAGE = `usage: smart-tank provision hub-config --server N [--dir DIR]
Writes out/servers/server-N/wg0.conf, VPN server N's complete config (a peer per active phone and
gateway), and with a fleet site the hub broker: its bridge users (fleet-bridges.passwd, fleet-bridges.acl),
its Mosquitto drop-in (fleet-hub.conf: listeners, limits, queues, persistence), its systemd drop-in
(mosquitto.service.d/fleet-hub.conf: LimitNOFILE) and, once the central tier has nodes, its bridge to it
(fleet-central.conf, holds the hub's central password).
${DIR_HELP}`;

const CENTRAL_USAGE = `usage: smart-tank provision central-config [--nodes HOST[:PORT][=NODE],...] [--dir DIR]
Writes out/central/: the RabbitMQ cluster's rabbitmq.conf and enabled_plugins (the same on every node),
definitions.json (a user per hub and one for the fleet service, their permissions; holds password
hashes), and fleet/, the fleet service's folder (fleet.yaml, its central password, the operators' logins
and signing keys, the inventory, a Prometheus scrape job). Run it again after adding gateways, servers or
operators, then on one node: rabbitmqctl import_definitions /etc/rabbitmq/definitions.json
  --nodes LIST       the cluster's nodes as the hubs reach them, MQTT port default 1883, Erlang node
                     name default rabbit@<first label of HOST> (kept in site.yaml)
${DIR_HELP}`;

const OPERATOR_USAGE = `usage: smart-tank provision operator add NAME --role admin|viewer [--show-secrets] [--dir DIR]
       smart-tank provision operator del NAME [--dir DIR]
       smart-tank provision operator list [--dir DIR]
An operator logs in to the fleet page (central-config writes the fleet service's users) and is a user of
their own on every gateway bundled from then on, with the same password. An admin's commands from the
fleet page go to each gateway as that user, signed with a key only the fleet service and the gateways
hold: the gateway checks and audits them like any other. The password goes to
out/operators/NAME/credentials.txt. Gateways bundled before learn of a change at their next bundle.
  --role ROLE        admin (sees and commands) or viewer (sees)
  --show-secrets     also print the password
${DIR_HELP}`;

const PHONE_USAGE = `usage: smart-tank provision phone --server N [--show-secrets] [--dir DIR]
Makes the farmer's phone a WireGuard client of server N (address .2): out/phones/server-N/phone.conf and
phone-qr.png for the WireGuard app, and regenerates the server's wg0.conf. A new key each time.
  --show-secrets     also print the config and its QR code in this terminal (they hold the phone's key)
${DIR_HELP}`;

const REVOKE_USAGE = `usage: smart-tank provision revoke DEVICE [--reason R] [--dir DIR]
Retires a gateway or phone: marked revoked in the inventory (its address is not given out again), its
certificate on the revocation list (pki/crl.pem), its fleet bridge login removed, and its server's
wg0.conf regenerated without it (apply it on the server).
  --reason R         ${CRL_REASONS.join(' | ')} (default keyCompromise)
${DIR_HELP}`;

const LIST_USAGE = `usage: smart-tank provision list [--json] [--dir DIR]
${DIR_HELP}`;

function showHelp(io: CliIo, usage: string): number {
  io.out(usage);
  return 0;
}

type Handler = (argv: string[], io: CliIo) => Promise<number>;

const SUBCOMMANDS: Record<string, Handler> = {
  'init-site': initSiteCommand,
  'add-server': addServerCommand,
  'add-device': addDeviceCommand,
  bundle: bundleCommand,
  'hub-config': hubConfigCommand,
  phone: phoneCommand,
  revoke: revokeCommand,
  list: listCommand,
  'central-config': centralConfigCommand,
  operator: operatorCommand,
};

export async function provisionCommand(argv: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    io.out(PROVISION_USAGE);
    return sub === undefined ? 2 : 0;
  }
  const handler = SUBCOMMANDS[sub];
  if (!handler) throw new UsageError(`unknown provision subcommand "${sub}"`, PROVISION_USAGE);
  try {
    return await handler(rest, io);
  } catch (err) {
    const known = [SiteError, AddressPlanError, InventoryError, PkiError, BundleError, ManifestError];
    if (known.some((k) => err instanceof k)) {
      io.err(`smart-tank provision ${sub}: ${(err as Error).message}`);
      return 1;
    }
    throw err;
  }
}

function serverOption(raw: string | undefined, usage: string): number {
  const n = numberOption('server', raw, { min: 1, max: 10, integer: true }, usage);
  if (n === undefined) throw new UsageError('--server N is required', usage);
  return n;
}

async function initSiteCommand(argv: string[], io: CliIo): Promise<number> {
  const p = parseCommand(argv, {
    usage: INIT_USAGE,
    options: {
      ...DIR_OPTION,
      endpoint: { type: 'string' },
      network: { type: 'string' },
      domain: { type: 'string' },
      name: { type: 'string' },
      timezone: { type: 'string' },
      fleet: { type: 'boolean', default: false },
      'mqtt-tls': { type: 'boolean', default: false },
    },
    positionals: { min: 1, max: 1, names: 'SITE' },
  });
  if (p.help) return showHelp(io, INIT_USAGE);
  const v = p.values;
  if (!v.endpoint) throw new UsageError('--endpoint HOST is required (VPN server #1)', INIT_USAGE);
  const state = await initSite(v.dir, {
    site: p.positionals[0]!,
    endpoint: v.endpoint,
    ...(v.network ? { network: v.network } : {}),
    ...(v.domain ? { domain: v.domain } : {}),
    ...(v.name ? { name: v.name } : {}),
    ...(v.timezone ? { timezone: v.timezone } : {}),
    fleet: v.fleet,
    mqttTls: v['mqtt-tls'],
  });
  io.out(`site ${state.site.site} created in ${state.layout.dir}`);
  for (const line of describeServers(state)) io.out(`  ${line}`);
  io.out(`  CA: ${state.layout.caCert} (its key: secrets/ca.key, never commit secrets/ or out/: .gitignore)`);
  io.out('next: smart-tank provision add-device DEVICE --server 1');
  return 0;
}

async function addServerCommand(argv: string[], io: CliIo): Promise<number> {
  const p = parseCommand(argv, {
    usage: ADD_SERVER_USAGE,
    options: { ...DIR_OPTION, endpoint: { type: 'string' } },
  });
  if (p.help) return showHelp(io, ADD_SERVER_USAGE);
  if (!p.values.endpoint) throw new UsageError('--endpoint HOST is required', ADD_SERVER_USAGE);
  const { state, number } = await addServer(p.values.dir, p.values.endpoint);
  io.out(`server #${number} added: ${describeServers(state)[number - 1]}`);
  io.out(`next: smart-tank provision hub-config --server ${number}`);
  return 0;
}

async function addDeviceCommand(argv: string[], io: CliIo): Promise<number> {
  const p = parseCommand(argv, {
    usage: ADD_DEVICE_USAGE,
    options: {
      ...DIR_OPTION,
      server: { type: 'string' },
      address: { type: 'string' },
      example: { type: 'string' },
      from: { type: 'string' },
      name: { type: 'string' },
      'lan-address': { type: 'string' },
      'lan-iface': { type: 'string' },
    },
    positionals: { min: 1, max: 1, names: 'DEVICE' },
  });
  if (p.help) return showHelp(io, ADD_DEVICE_USAGE);
  const v = p.values;
  if (v.example && v.from) throw new UsageError('give --example or --from, not both', ADD_DEVICE_USAGE);
  const { row, created, state } = await addDevice(v.dir, {
    device: p.positionals[0]!,
    server: serverOption(v.server, ADD_DEVICE_USAGE),
    ...(v.address ? { address: v.address } : {}),
    ...(v.example ? { example: v.example } : {}),
    ...(v.from ? { from: v.from } : {}),
    ...(v.name ? { name: v.name } : {}),
    ...(v['lan-address'] ? { lanAddress: v['lan-address'] } : {}),
    ...(v['lan-iface'] ? { lanInterfaces: v['lan-iface'].split(',').map((s) => s.trim()) } : {}),
  });
  io.out(`${row.device}: server #${row.server}, tunnel address ${row.address}`);
  io.out(
    created
      ? `  ${state.layout.deviceFile(row.device)} written from the template: describe its tanks and wiring there`
      : `  using ${state.layout.deviceFile(row.device)}`,
  );
  io.out(`next: smart-tank provision bundle ${row.device}`);
  return 0;
}

async function bundleCommand(argv: string[], io: CliIo): Promise<number> {
  const p = parseCommand(argv, {
    usage: BUNDLE_USAGE,
    options: {
      ...DIR_OPTION,
      out: { type: 'string' },
      force: { type: 'boolean', default: false },
      admin: { type: 'string' },
      ovpn: { type: 'string' },
      'ovpn-auth': { type: 'string' },
      'show-secrets': { type: 'boolean', default: false },
    },
    positionals: { min: 1, max: 1, names: 'DEVICE' },
  });
  if (p.help) return showHelp(io, BUNDLE_USAGE);
  const v = p.values;
  if (v['ovpn-auth'] && !v.ovpn) throw new UsageError('--ovpn-auth needs --ovpn', BUNDLE_USAGE);
  const r = await bundleDevice(v.dir, {
    device: p.positionals[0]!,
    ...(v.out ? { out: v.out } : {}),
    force: v.force,
    ...(v.admin ? { adminUser: v.admin } : {}),
    ...(v.ovpn ? { ovpn: { profile: v.ovpn, ...(v['ovpn-auth'] ? { authFile: v['ovpn-auth'] } : {}) } } : {}),
  });
  io.out(`bundle for ${r.row.device} written: ${r.bundleDir}`);
  io.out(`  copy it to the SD card's boot partition as smart-tank/ (/boot/firmware/smart-tank on the Pi)`);
  io.out(`  VPN: ${r.vpn}, tunnel address ${r.row.address}; certificate serial ${r.certSerial}`);
  if (r.supersededSerial) io.out(`  the previous certificate ${r.supersededSerial} is revoked (superseded)`);
  io.out(`  dashboard: ${r.dashboardUrl}`);
  io.out(`  first admin ${r.admin.user}: password in ${r.credentialsFile}`);
  if (v['show-secrets']) io.out(`  password: ${r.admin.password}`);
  if (r.vpn === 'wireguard')
    io.out(`next: smart-tank provision hub-config --server ${r.row.server}, then apply it on the VPN server`);
  else
    io.out(
      `next: the OpenVPN server must give ${r.row.device} the address ${r.row.address} ` +
        `(client-config-dir: ifconfig-push ${r.row.address} 255.255.255.0)`,
    );
  return 0;
}

function printHub(io: CliIo, h: HubConfigResult): void {
  io.out(`server #${h.server}: ${h.wgConf} (${h.peers} peer(s))`);
  if (h.withoutPeer.length > 0) io.out(`  no peer (not bundled, or revoked): ${h.withoutPeer.join(', ')}`);
  if (h.bridge) {
    io.out(
      `  fleet hub bridge users: ${h.bridge.passwordFile}, ${h.bridge.aclFile} (${h.bridge.gateways} gateway(s))`,
    );
    io.out(`  fleet hub broker: ${h.bridge.brokerConf}, systemd drop-in ${h.bridge.systemdDropIn}`);
    io.out(
      h.bridge.centralBridge
        ? `  bridge to the central tier: ${h.bridge.centralBridge}`
        : '  no bridge to the central tier yet (no nodes: smart-tank provision central-config --nodes ...)',
    );
  }
  io.out('  apply on the VPN server, as root: install it as /etc/wireguard/wg0.conf (0600), then');
  io.out('    wg syncconf wg0 <(wg-quick strip wg0)');
}

async function hubConfigCommand(argv: string[], io: CliIo): Promise<number> {
  const p = parseCommand(argv, { usage: HUB_USAGE, options: { ...DIR_OPTION, server: { type: 'string' } } });
  if (p.help) return showHelp(io, HUB_USAGE);
  printHub(io, await hubConfig(p.values.dir, serverOption(p.values.server, HUB_USAGE)));
  return 0;
}

async function phoneCommand(argv: string[], io: CliIo): Promise<number> {
  const p = parseCommand(argv, {
    usage: PHONE_USAGE,
    options: {
      ...DIR_OPTION,
      server: { type: 'string' },
      'show-secrets': { type: 'boolean', default: false },
    },
  });
  if (p.help) return showHelp(io, PHONE_USAGE);
  const r = await phoneConfig(p.values.dir, serverOption(p.values.server, PHONE_USAGE));
  io.out(`phone of server #${r.server}: address ${r.address}`);
  io.out(`  WireGuard app: scan ${r.pngFile} (or import ${r.confFile}); both hold the phone's key`);
  if (p.values['show-secrets']) io.out(`\n${r.conf}\n${r.terminalQr}`);
  else io.out('  (--show-secrets prints the config and the QR code here)');
  io.out(r.dashboards.length > 0 ? '  dashboards, once connected:' : '  no gateway on this server yet');
  for (const d of r.dashboards) io.out(`    ${d.device}: ${d.url}`);
  printHub(io, r.hub);
  return 0;
}

async function revokeCommand(argv: string[], io: CliIo): Promise<number> {
  const p = parseCommand(argv, {
    usage: REVOKE_USAGE,
    options: { ...DIR_OPTION, reason: { type: 'string', default: 'keyCompromise' } },
    positionals: { min: 1, max: 1, names: 'DEVICE' },
  });
  if (p.help) return showHelp(io, REVOKE_USAGE);
  const reason = p.values.reason as CrlReason;
  if (!CRL_REASONS.includes(reason))
    throw new UsageError(`--reason must be one of ${CRL_REASONS.join(', ')}`, REVOKE_USAGE);
  const r = await revokeDevice(p.values.dir, p.positionals[0]!, reason);
  io.out(`${r.row.device} (${r.row.address}) revoked`);
  if (r.revokedSerial) io.out(`  certificate ${r.revokedSerial} is on the revocation list (pki/crl.pem)`);
  printHub(io, r.hub);
  return 0;
}

async function listCommand(argv: string[], io: CliIo): Promise<number> {
  const p = parseCommand(argv, {
    usage: LIST_USAGE,
    options: { ...DIR_OPTION, json: { type: 'boolean', default: false } },
  });
  if (p.help) return showHelp(io, LIST_USAGE);
  const state = await openSite(p.values.dir);
  if (p.values.json) {
    io.out(JSON.stringify({ site: state.site, devices: state.rows }, null, 2));
    return 0;
  }
  io.out(`site ${state.site.site} (${state.site.network})`);
  for (const line of describeServers(state)) io.out(`  ${line}`);
  io.out(['server', 'address', 'role', 'device', 'status', 'key', 'cert'].join('\t'));
  for (const r of state.rows)
    io.out(
      [
        r.server,
        r.address,
        r.role,
        r.device,
        r.status,
        r.publicKey ? r.publicKey.slice(0, 8) + '…' : '-',
        r.certSerial ? r.certSerial.slice(0, 8) + '…' : '-',
      ].join('\t'),
    );
  return 0;
}

async function centralConfigCommand(argv: string[], io: CliIo): Promise<number> {
  const p = parseCommand(argv, {
    usage: CENTRAL_USAGE,
    options: { ...DIR_OPTION, nodes: { type: 'string' } },
  });
  if (p.help) return showHelp(io, CENTRAL_USAGE);
  const nodes = p.values.nodes?.split(',').map((n) => parseCentralNode(n.trim()));
  const r = await centralConfig(p.values.dir, nodes ? { nodes } : {});
  io.out(`central tier: ${r.nodes.map((n) => `${n.node} (${n.host}:${n.port})`).join(', ')}`);
  io.out(`  ${r.hubs} hub login(s), ${r.operators} operator(s); files in ${r.dir}:`);
  for (const f of r.files) io.out(`    ${f}`);
  io.out(
    '  on each node: rabbitmq.conf, enabled_plugins, definitions.json into /etc/rabbitmq/ (rabbitmq:rabbitmq)',
  );
  io.out('  a running cluster: rabbitmqctl import_definitions /etc/rabbitmq/definitions.json');
  io.out("next: smart-tank provision hub-config --server N (each hub's bridge to the central tier)");
  return 0;
}

async function operatorCommand(argv: string[], io: CliIo): Promise<number> {
  const [verb, ...rest] = argv;
  if (verb === undefined || verb === '--help' || verb === '-h') {
    io.out(OPERATOR_USAGE);
    return verb === undefined ? 2 : 0;
  }
  const p = parseCommand(rest, {
    usage: OPERATOR_USAGE,
    options: { ...DIR_OPTION, role: { type: 'string' }, 'show-secrets': { type: 'boolean', default: false } },
    positionals: verb === 'list' ? { min: 0, max: 0 } : { min: 1, max: 1, names: 'NAME' },
  });
  if (p.help) return showHelp(io, OPERATOR_USAGE);
  const rebundle = (gateways: string[]) => {
    if (gateways.length > 0)
      io.out(`  gateways bundled before (they learn of it at their next bundle): ${gateways.join(', ')}`);
    io.out("next: smart-tank provision central-config (the fleet service's users)");
  };
  switch (verb) {
    case 'add': {
      const role = p.values.role as OperatorRole | undefined;
      if (!role || !OPERATOR_ROLES.includes(role))
        throw new UsageError(`--role must be one of ${OPERATOR_ROLES.join(', ')}`, OPERATOR_USAGE);
      const r = await addOperator(p.values.dir, { name: p.positionals[0]!, role });
      io.out(`operator ${r.name} (${r.role}) added: password in ${r.credentialsFile}`);
      if (p.values['show-secrets']) io.out(`  password: ${r.password}`);
      rebundle(r.gatewaysToRebundle);
      return 0;
    }
    case 'del': {
      const r = await removeOperator(p.values.dir, p.positionals[0]!);
      io.out(`operator ${p.positionals[0]} removed`);
      rebundle(r.gatewaysToRebundle);
      return 0;
    }
    case 'list': {
      const state = await openSite(p.values.dir);
      for (const o of state.site.fleet.operators) io.out(`${o.name}\t${o.role}`);
      return 0;
    }
  }
  throw new UsageError(`unknown operator verb "${verb}" (add, del, list)`, OPERATOR_USAGE);
}
