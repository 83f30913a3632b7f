// A device bundle made the way provisioning/BUNDLE.md (format 1) describes it, for the tests of first
// boot, `smart-tank bundle` and install.sh: FIRSTBOOT, MANIFEST (TAB-separated, sha256 of every file),
// README.txt and files/<destination>. The contents are real: Mosquitto password file and ACL written by
// the project's own user admin, a WireGuard key pair from Node's x25519, a site CA and device
// certificate from openssl, the daemon config from the shipped example with the keys BUNDLE.md sets.
// (Not provisioning's generator: this branch does not have it; the format is the contract.)

import { execFileSync } from 'node:child_process';
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse, stringify } from 'yaml';
import { addUser, loadUserFiles, saveUserFiles } from '../../daemon/security/user-admin.js';
import { validateConfig } from '../../daemon/config/load.js';
import { EXAMPLE_CONFIG_FILE } from './config.js';
import { tempDir } from './daemon.js';

export interface BundleFile {
  destination: string;
  owner: string;
  group: string;
  mode: number;
  secret: boolean;
  content: Buffer;
}

export interface DeviceBundle {
  /** The bundle folder (named smart-tank, as on the boot partition). */
  dir: string;
  bundleId: string;
  device: string;
  files: BundleFile[];
  /** Passwords of the MQTT users the bundle creates (for tests that log in). */
  passwords: { gateway: string; admin: string };
}

export interface BundleOptions {
  device?: string;
  site?: string;
  /** The gateway's tunnel address (a Mosquitto listener binds it). */
  tunnelAddress?: string;
  lanInterface?: string;
  /** Last changes to the daemon config (a raw YAML object). */
  configure?: (config: Record<string, Record<string, unknown>>) => void;
}

const DIRS: [string, string, string, number][] = [
  ['/etc/smart-tank', 'root', 'root', 0o755],
  ['/etc/smart-tank/vpn', 'root', 'root', 0o700],
  ['/etc/smart-tank/tls', 'root', 'root', 0o755],
  ['/etc/nftables.d', 'root', 'root', 0o755],
  ['/etc/mosquitto/conf.d', 'root', 'root', 0o755],
  ['/var/lib/smart-tank', 'smart-tank', 'smart-tank', 0o750],
];

function daemonConfig(device: string, configure: BundleOptions['configure']): string {
  const config = parse(readFileSync(EXAMPLE_CONFIG_FILE, 'utf8')) as Record<string, Record<string, unknown>>;
  config.gateway = { ...config.gateway, id: device, stateDir: '/var/lib/smart-tank' };
  // The tests run where no systemd-timesyncd says the clock is synchronized (BUNDLE.md: timesyncd).
  config.clock = { sync: 'assume-synced' };
  config.mqtt = {
    ...config.mqtt,
    broker: 'external',
    url: 'mqtt://127.0.0.1:1883',
    username: 'gateway',
    passwordFile: '/etc/smart-tank/mqtt-password',
    users: {
      passwordFile: '/etc/smart-tank/mqtt.passwd',
      aclFile: '/etc/smart-tank/mqtt.acl',
      hmacKeysFile: '/etc/smart-tank/hmac.keys',
    },
  };
  delete config.mqtt.listen;
  config.vpn = {
    kind: 'wireguard',
    interface: 'wg0',
    configFile: '/etc/smart-tank/vpn/wg0.conf',
    runBy: 'service',
    statusFile: '/run/smart-tank-vpn/status.json',
    runtimeDir: '/run/smart-tank-vpn/private',
  };
  configure?.(config);
  validateConfig(config, 'fixture bundle config');
  return stringify(config);
}

async function userFiles(): Promise<{
  passwd: string;
  acl: string;
  keys: string;
  passwords: DeviceBundle['passwords'];
}> {
  const scratch = tempDir('bundle-users-');
  const mqtt = validateConfig({
    ...(parse(readFileSync(EXAMPLE_CONFIG_FILE, 'utf8')) as Record<string, unknown>),
  }).mqtt;
  mqtt.users.passwordFile = join(scratch, 'mqtt.passwd');
  mqtt.users.aclFile = join(scratch, 'mqtt.acl');
  mqtt.users.hmacKeysFile = join(scratch, 'hmac.keys');
  const passwords = {
    gateway: randomBytes(18).toString('base64url'),
    admin: randomBytes(18).toString('base64url'),
  };
  const files = await loadUserFiles(mqtt);
  await addUser(files, 'gateway', 'gateway', passwords.gateway);
  await addUser(files, 'admin', 'admin', passwords.admin);
  await saveUserFiles(mqtt, files);
  const read = (f: string) => readFileSync(f, 'utf8');
  return {
    passwd: read(mqtt.users.passwordFile),
    acl: read(mqtt.users.aclFile),
    keys: read(mqtt.users.hmacKeysFile),
    passwords,
  };
}

function wireguardConfig(tunnelAddress: string): string {
  const raw = (key: Buffer) => key.subarray(key.length - 32).toString('base64');
  const own = generateKeyPairSync('x25519');
  const server = generateKeyPairSync('x25519');
  return [
    '[Interface]',
    `PrivateKey = ${raw(own.privateKey.export({ type: 'pkcs8', format: 'der' }))}`,
    `Address = ${tunnelAddress}/24`,
    '',
    '[Peer]',
    `PublicKey = ${raw(server.publicKey.export({ type: 'spki', format: 'der' }))}`,
    'Endpoint = vpn1.farm.example:51820',
    `AllowedIPs = ${tunnelAddress.replace(/\.\d+$/, '.0')}/24`,
    'PersistentKeepalive = 25',
    '',
  ].join('\n');
}

/** A site CA and a device certificate signed by it (EC P-256), through the openssl CLI. */
function certificates(device: string): { ca: string; cert: string; key: string } {
  const dir = tempDir('bundle-tls-');
  const run = (args: string[]) =>
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  run(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key']);
  run([
    'req',
    '-x509',
    '-new',
    '-key',
    'ca.key',
    '-subj',
    '/CN=test site CA',
    '-days',
    '30',
    '-out',
    'ca.crt',
  ]);
  run(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'device.key']);
  run(['req', '-new', '-key', 'device.key', '-subj', `/CN=${device}`, '-out', 'device.csr']);
  const ext = join(dir, 'ext.cnf');
  writeFileSync(ext, `subjectAltName=DNS:${device}.farm.example,IP:127.0.0.1\n`);
  run(
    ['x509', '-req', '-in', 'device.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial'].concat([
      '-days',
      '30',
      '-extfile',
      ext,
      '-out',
      'device.crt',
    ]),
  );
  const read = (f: string) => readFileSync(join(dir, f), 'utf8');
  return { ca: read('ca.crt'), cert: read('device.crt'), key: read('device.key') };
}

/** Writes a bundle folder `smart-tank` under `parent` (e.g. a stand-in for /boot/firmware). */
export async function writeDeviceBundle(parent: string, options: BundleOptions = {}): Promise<DeviceBundle> {
  const device = options.device ?? 'farm-gw-07';
  const site = options.site ?? 'test-farm';
  const tunnel = options.tunnelAddress ?? '192.168.0.9';
  const bundleId = randomBytes(16).toString('hex');
  const users = await userFiles();
  const tls = certificates(device);
  const provisioning = {
    format: 1,
    bundle_id: bundleId,
    site,
    device,
    server: 1,
    tunnelAddress: tunnel,
    created: new Date().toISOString(),
  };
  const f = (
    destination: string,
    owner: string,
    group: string,
    mode: number,
    secret: boolean,
    text: string,
  ) => ({
    destination,
    owner,
    group,
    mode,
    secret,
    content: Buffer.from(text),
  });
  const files: BundleFile[] = [
    f(
      '/etc/smart-tank/config.yaml',
      'root',
      'smart-tank',
      0o640,
      false,
      daemonConfig(device, options.configure),
    ),
    f('/etc/smart-tank/mqtt.passwd', 'smart-tank', 'mosquitto', 0o640, true, users.passwd),
    f('/etc/smart-tank/mqtt.acl', 'smart-tank', 'mosquitto', 0o640, false, users.acl),
    f('/etc/smart-tank/hmac.keys', 'smart-tank', 'smart-tank', 0o600, true, users.keys),
    f(
      '/etc/smart-tank/mqtt-password',
      'smart-tank',
      'smart-tank',
      0o600,
      true,
      users.passwords.gateway + '\n',
    ),
    f('/etc/smart-tank/vpn/wg0.conf', 'root', 'root', 0o600, true, wireguardConfig(tunnel)),
    f('/etc/smart-tank/tls/ca.crt', 'root', 'root', 0o644, false, tls.ca),
    f('/etc/smart-tank/tls/device.crt', 'root', 'root', 0o644, false, tls.cert),
    f('/etc/smart-tank/tls/device.key', 'smart-tank', 'mosquitto', 0o640, true, tls.key),
    f(
      '/etc/nftables.d/smart-tank-ifaces.nft',
      'root',
      'root',
      0o644,
      false,
      `define LAN_IFACES = { "${options.lanInterface ?? 'eth0'}" }\ndefine VPN_IFACES = { "wg0" }\n`,
    ),
    f(
      '/etc/mosquitto/conf.d/smart-tank-listeners.conf',
      'root',
      'root',
      0o644,
      false,
      `# written by provisioning for ${device}\nlistener 1883 ${tunnel}\n`,
    ),
    f(
      '/var/lib/smart-tank/provisioning.json',
      'smart-tank',
      'smart-tank',
      0o644,
      false,
      JSON.stringify(provisioning) + '\n',
    ),
  ];
  const dir = join(parent, 'smart-tank');
  const lines = ['# kind\tsource\tdestination\towner\tgroup\tmode\tsha256\tclass'];
  for (const [dest, owner, group, mode] of DIRS)
    lines.push(['dir', '-', dest, owner, group, octal(mode), '-', '-'].join('\t'));
  for (const file of files) {
    const source = `files${file.destination}`;
    mkdirSync(dirname(join(dir, source)), { recursive: true });
    writeFileSync(join(dir, source), file.content);
    const sha = createHash('sha256').update(file.content).digest('hex');
    const cls = file.secret ? 'secret' : 'public';
    lines.push(
      ['file', source, file.destination, file.owner, file.group, octal(file.mode), sha, cls].join('\t'),
    );
  }
  writeFileSync(join(dir, 'MANIFEST'), lines.join('\n') + '\n');
  writeFileSync(
    join(dir, 'FIRSTBOOT'),
    `format=1\nbundle_id=${bundleId}\nsite=${site}\ndevice=${device}\ncreated=${provisioning.created}\nvpn=wireguard\n`,
  );
  writeFileSync(join(dir, 'README.txt'), `Smart tank device bundle for ${device}. It holds secrets.\n`);
  return { dir, bundleId, device, files, passwords: users.passwords };
}

function octal(mode: number): string {
  return mode.toString(8).padStart(4, '0');
}
