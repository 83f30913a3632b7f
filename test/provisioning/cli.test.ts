// `smart-tank provision` as an installer uses it, through the CLI's own entry point: a site, devices,
// bundles, the VPN server's config, revocation; what is written where with which modes, what is never
// printed or committed, and that the bundle keeps the contract in provisioning/BUNDLE.md.

import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseConfig } from '../../daemon/config/load.js';
import { verifyPassword, parsePasswordFile } from '../../daemon/security/password-file.js';
import { usersFromAcl } from '../../daemon/security/roles.js';
import { readBundle } from '../../provisioning/bundle.js';
import { parseInventory } from '../../provisioning/inventory.js';
import { revokedSerials } from '../../provisioning/pki.js';
import { siteLayout } from '../../provisioning/site.js';
import { filesUnder, makeSite, smartTank, wgValue, type TestSite } from './site-fixture.js';

const BUNDLE_MD = new URL('../../provisioning/BUNDLE.md', import.meta.url).pathname;
const SUBCOMMANDS = [
  'init-site',
  'add-server',
  'add-device',
  'bundle',
  'hub-config',
  'phone',
  'revoke',
  'list',
];

function mode(file: string): number {
  return statSync(file).mode & 0o777;
}

/** `wg pubkey` of a private key: the real tool must agree with Node's crypto. */
function wgPubkey(privateKey: string): string {
  return execFileSync('wg', ['pubkey'], {
    input: privateKey + '\n',
    encoding: 'utf8',
    timeout: 10_000,
  }).trim();
}

/** The Files table of BUNDLE.md: destination -> "owner:group mode class". */
function bundleMdFiles(): Map<string, string> {
  const rows = new Map<string, string>();
  for (const line of readFileSync(BUNDLE_MD, 'utf8').split('\n')) {
    const m = /^\| `(\/[^`]+)` \| (\S+) \| (0\d{3}) \| (secret|public) \|/.exec(line);
    if (m) rows.set(m[1]!, `${m[2]} ${m[3]} ${m[4]}`);
  }
  return rows;
}

let site: TestSite;
const inventory = () => parseInventory(site.read('inventory.csv'), 'inventory.csv');

beforeAll(async () => {
  site = await makeSite({ extra: ['--fleet', '--mqtt-tls', '--timezone', 'Australia/Brisbane'] });
});

describe('smart-tank provision: usage', () => {
  it('every subcommand answers --help with exit 0; mistakes exit 2 with the usage', async () => {
    const top = await smartTank(['provision', '--help']);
    expect(top.code).toBe(0);
    for (const sub of SUBCOMMANDS) {
      expect(top.out).toContain(sub);
      const help = await smartTank(['provision', sub, '--help']);
      expect(help.code, sub).toBe(0);
      expect(help.out, sub).toMatch(new RegExp(`^usage: smart-tank provision ${sub}`));
      const wrong = await smartTank(['provision', sub, '--no-such-option']);
      expect(wrong.code, sub).toBe(2);
      expect(wrong.err, sub).toContain(`usage: smart-tank provision ${sub}`);
    }
    expect((await smartTank(['provision', 'frobnicate'])).code).toBe(2);
    expect((await smartTank(['provision'])).code).toBe(2);
    const noServer = await site.provision('hub-config');
    expect(noServer.code).toBe(2);
    expect(noServer.err).toContain('--server N is required');
    const badServer = await site.provision('phone', '--server', '11');
    expect(badServer.code).toBe(2);
    expect(badServer.err).toContain('--server must be an integer from 1 to 10, got "11"');
  });

  it('outside a site it says how to make one', async () => {
    const r = await smartTank(['provision', 'list', '--dir', '/tmp']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('is not a provisioning site (no site.yaml)');
  });
});

describe('smart-tank provision: a site', () => {
  it('init-site writes the plan, the CA and server #1; secrets 0600 in 0700 folders; a .gitignore', async () => {
    const l = siteLayout(site.dir);
    const rows = inventory();
    expect(rows).toEqual([
      expect.objectContaining({ server: 1, address: '192.168.0.1', role: 'server', device: 'server-1' }),
    ]);
    expect(site.read('.gitignore')).toMatch(/^\/secrets\/$/m);
    expect(site.read('.gitignore')).toMatch(/^\/out\/$/m);
    expect(mode(l.secrets)).toBe(0o700);
    expect(mode(l.out)).toBe(0o700);
    expect(mode(l.caKey)).toBe(0o600);
    expect(mode(l.serverKey(1))).toBe(0o600);
    expect(wgPubkey(readFileSync(l.serverKey(1), 'utf8').trim())).toBe(rows[0]!.publicKey);
    const again = await site.provision('init-site', 'testfarm', '--endpoint', 'x.example');
    expect(again.code).toBe(1);
    expect(again.err).toContain('exists already');
  });

  it('refuses an 11th VPN server', async () => {
    const other = await makeSite({ site: 'big', network: '10.60.0.0/16' });
    for (let n = 2; n <= 10; n++)
      await other.ok('add-server', '--endpoint', `vpn${n}.big.example:5182${n % 10}`);
    const eleventh = await other.provision('add-server', '--endpoint', 'vpn11.big.example');
    expect(eleventh.code).toBe(1);
    expect(eleventh.err).toContain('has 10 VPN servers already, the most the address plan holds');
    const servers = parseInventory(other.read('inventory.csv'), 'x').filter((r) => r.role === 'server');
    expect(servers.map((r) => r.address)).toEqual(Array.from({ length: 10 }, (_, i) => `10.60.${i}.1`));
  });
});

describe('smart-tank provision: a gateway bundle', () => {
  let out: string;
  let bundleDir: string;

  beforeAll(async () => {
    await site.ok(
      'add-device',
      'farm-gw-01',
      '--server',
      '1',
      '--name',
      'Top paddock',
      '--lan-address',
      '192.168.50.10',
    );
    out = (await site.ok('bundle', 'farm-gw-01')).out;
    bundleDir = join(site.dir, 'out/devices/farm-gw-01/smart-tank');
  });

  it('writes a bundle that verifies, with every file at its BUNDLE.md destination, owner and mode', async () => {
    const b = await readBundle(bundleDir);
    expect(b.firstBoot).toMatchObject({
      format: 1,
      site: 'testfarm',
      device: 'farm-gw-01',
      vpn: 'wireguard',
    });
    const documented = bundleMdFiles();
    const files = b.entries.filter((e) => e.kind === 'file');
    for (const f of files)
      expect(documented.get(f.destination), f.destination).toBe(
        `${f.owner}:${f.group} 0${f.mode.toString(8)} ${f.class}`,
      );
    expect(files.map((f) => f.destination)).toEqual(
      expect.arrayContaining([
        '/etc/smart-tank/config.yaml',
        '/etc/smart-tank/mqtt.passwd',
        '/etc/smart-tank/mqtt.acl',
        '/etc/smart-tank/hmac.keys',
        '/etc/smart-tank/mqtt-password',
        '/etc/smart-tank/vpn/wg0.conf',
        '/etc/smart-tank/tls/ca.crt',
        '/etc/smart-tank/tls/device.crt',
        '/etc/smart-tank/tls/device.key',
        '/etc/nftables.d/smart-tank-ifaces.nft',
        '/etc/mosquitto/conf.d/smart-tank-listeners.conf',
        '/etc/mosquitto/conf.d/smart-tank-bridge.conf',
      ]),
    );
    expect(files[files.length - 1]!.destination).toBe('/var/lib/smart-tank/provisioning.json');
    // On the installer's machine the whole bundle is a secret.
    for (const rel of filesUnder(bundleDir)) expect(mode(join(bundleDir, rel)), rel).toBe(0o600);
  });

  it('a changed or missing file makes the whole bundle refused', async () => {
    const copy = join(site.dir, 'out/tamper');
    execFileSync('cp', ['-a', bundleDir, copy]);
    writeFileSync(join(copy, 'files/etc/smart-tank/config.yaml'), 'gateway: {id: evil}\n');
    await expect(readBundle(copy)).rejects.toThrow('config.yaml does not match its sha256');
    execFileSync('rm', [join(copy, 'files/etc/smart-tank/config.yaml')]);
    await expect(readBundle(copy)).rejects.toThrow('is missing (a half-copied card?)');
    writeFileSync(
      join(copy, 'MANIFEST'),
      readFileSync(join(bundleDir, 'MANIFEST'), 'utf8').replace(
        '/etc/nftables.d/smart-tank-ifaces.nft\troot',
        '/etc/shadow\troot',
      ),
    );
    await expect(readBundle(copy)).rejects.toThrow('destination "/etc/shadow" is outside /etc/smart-tank/');
  });

  it('the config is valid for the daemon, Mosquitto-backed, with the tunnel run by its own service', async () => {
    const b = await readBundle(bundleDir);
    const config = parseConfig(b.files.get('/etc/smart-tank/config.yaml')!.toString(), 'bundle config');
    expect(config.gateway).toMatchObject({
      id: 'farm-gw-01',
      name: 'Top paddock',
      stateDir: '/var/lib/smart-tank',
      timezone: 'Australia/Brisbane',
    });
    expect(config.hardware.backend).toBe('pi');
    expect(config.mqtt).toMatchObject({
      broker: 'external',
      username: 'gateway',
      passwordFile: '/etc/smart-tank/mqtt-password',
    });
    expect(config.vpn).toMatchObject({
      kind: 'wireguard',
      configFile: '/etc/smart-tank/vpn/wg0.conf',
      runBy: 'service',
      statusFile: '/run/smart-tank-vpn/status.json',
    });
    // The dashboard: the Pi itself, the phone over the tunnel, the farmyard LAN; HTTPS with the
    // bundle's own certificate (the site uses TLS), the plain port only redirecting.
    expect(config.web.listen).toEqual([
      { host: '127.0.0.1', port: 8443 },
      { host: '192.168.0.3', port: 8443 },
      { host: '192.168.50.10', port: 8443 },
    ]);
    expect(config.web.tls).toEqual({
      certFile: '/etc/smart-tank/tls/device.crt',
      keyFile: '/etc/smart-tank/tls/device.key',
      redirectPort: 8080,
    });
    expect(b.files.has(config.web.tls!.certFile) && b.files.has(config.web.tls!.keyFile)).toBe(true);
    expect(config.web.hostnames).toEqual([expect.stringMatching(/^farm-gw-01\./)]);
    expect(out).toContain('https://192.168.0.3:8443/');
    const listeners = b.files.get('/etc/mosquitto/conf.d/smart-tank-listeners.conf')!.toString();
    expect(listeners).toMatch(/^listener 1883 192\.168\.0\.3$/m);
    expect(listeners).toMatch(/^listener 1883 192\.168\.50\.10$/m);
    expect(listeners).toMatch(/^listener 8883 192\.168\.0\.3$/m);
    expect(b.files.get('/etc/nftables.d/smart-tank-ifaces.nft')!.toString()).toContain(
      'define VPN_IFACES = { "wg0" }',
    );
  });

  it('the wg-quick config: server by name, keepalive, only the server subnet; `wg pubkey` agrees with the inventory', async () => {
    const b = await readBundle(bundleDir);
    const conf = b.files.get('/etc/smart-tank/vpn/wg0.conf')!.toString();
    expect(wgValue(conf, 'Address')).toBe('192.168.0.3/24');
    expect(wgValue(conf, 'Endpoint')).toBe('vpn1.testfarm.example:51820');
    expect(wgValue(conf, 'AllowedIPs')).toBe('192.168.0.0/24');
    expect(wgValue(conf, 'PersistentKeepalive')).toBe('25');
    const row = inventory().find((r) => r.device === 'farm-gw-01')!;
    expect(wgPubkey(wgValue(conf, 'PrivateKey'))).toBe(row.publicKey);
    expect(wgValue(conf, 'PublicKey')).toBe(inventory().find((r) => r.device === 'server-1')!.publicKey);
  });

  it('makes unique logins that verify against the password file, and never prints a secret unasked', async () => {
    const b = await readBundle(bundleDir);
    const credentials = site.read('out/devices/farm-gw-01/credentials.txt');
    expect(mode(join(site.dir, 'out/devices/farm-gw-01/credentials.txt'))).toBe(0o600);
    const adminPassword = /^Password:\s+(\S+)$/m.exec(credentials)![1]!;
    const gatewayPassword = b.files.get('/etc/smart-tank/mqtt-password')!.toString().trim();
    const passwords = parsePasswordFile(b.files.get('/etc/smart-tank/mqtt.passwd')!.toString());
    expect(await verifyPassword(adminPassword, passwords.get('admin')!)).toBe(true);
    expect(await verifyPassword(gatewayPassword, passwords.get('gateway')!)).toBe(true);
    expect(usersFromAcl(b.files.get('/etc/smart-tank/mqtt.acl')!.toString())).toEqual([
      { user: 'gateway', role: 'gateway', canCommand: false },
      { user: 'admin', role: 'admin', canCommand: false },
    ]);
    expect(out).not.toContain(adminPassword);
    expect(out).toContain('credentials.txt');

    await site.ok('add-device', 'farm-gw-02', '--server', '1');
    const shown = await site.ok('bundle', 'farm-gw-02', '--show-secrets');
    const second = await readBundle(join(site.dir, 'out/devices/farm-gw-02/smart-tank'));
    const secondAdmin = /^Password:\s+(\S+)$/m.exec(site.read('out/devices/farm-gw-02/credentials.txt'))![1]!;
    expect(shown.out).toContain(`password: ${secondAdmin}`);
    // No two Pis share a secret.
    for (const file of [
      '/etc/smart-tank/mqtt-password',
      '/etc/smart-tank/vpn/wg0.conf',
      '/etc/smart-tank/tls/device.key',
    ])
      expect(second.files.get(file)!.equals(b.files.get(file)!), file).toBe(false);
    expect(secondAdmin).not.toBe(adminPassword);
  });

  it('nothing committable holds a private key or a password', async () => {
    const secrets: string[] = [];
    for (const device of ['farm-gw-01', 'farm-gw-02']) {
      const b = await readBundle(join(site.dir, `out/devices/${device}/smart-tank`));
      secrets.push(wgValue(b.files.get('/etc/smart-tank/vpn/wg0.conf')!.toString(), 'PrivateKey'));
      secrets.push(b.files.get('/etc/smart-tank/mqtt-password')!.toString().trim());
      secrets.push(/^Password:\s+(\S+)$/m.exec(site.read(`out/devices/${device}/credentials.txt`))![1]!);
      secrets.push(b.files.get('/etc/smart-tank/tls/device.key')!.toString().split('\n')[1]!);
      secrets.push(
        /remote_password (\S+)/.exec(
          b.files.get('/etc/mosquitto/conf.d/smart-tank-bridge.conf')!.toString(),
        )![1]!,
      );
    }
    secrets.push(
      site.read('secrets/servers/server-1.key').trim(),
      site.read('secrets/ca.key').split('\n')[1]!,
    );
    // What git would commit with the site's own .gitignore.
    execFileSync('git', ['init', '-q', site.dir], { timeout: 10_000 });
    const committable = execFileSync('git', ['-C', site.dir, 'ls-files', '--others', '--exclude-standard'], {
      encoding: 'utf8',
      timeout: 10_000,
    })
      .trim()
      .split('\n');
    expect(committable.some((f) => /^(secrets|out)\//.test(f))).toBe(false);
    expect(committable).toEqual(
      expect.arrayContaining(['site.yaml', 'inventory.csv', 'devices/farm-gw-01.yaml', 'pki/ca.crt']),
    );
    for (const f of committable) {
      const text = site.read(f);
      for (const s of secrets) expect(text.includes(s), `${f} holds a secret`).toBe(false);
      expect(text, f).not.toMatch(/PRIVATE KEY/);
    }
  });

  it('bundling again rotates the keys and revokes the previous certificate', async () => {
    const before = inventory().find((r) => r.device === 'farm-gw-01')!;
    const again = await site.provision('bundle', 'farm-gw-01');
    expect(again.code).toBe(1);
    expect(again.err).toContain('exists already: remove it, or pass --force');
    const unmounted = await site.provision('bundle', 'farm-gw-01', '--out', join(site.dir, 'media/bootfs'));
    expect(unmounted.err).toContain("does not exist (is the SD card's boot partition mounted there?)");
    const r = await site.ok('bundle', 'farm-gw-01', '--force');
    const after = inventory().find((x) => x.device === 'farm-gw-01')!;
    expect(after.publicKey).not.toBe(before.publicKey);
    expect(after.certSerial).not.toBe(before.certSerial);
    expect(r.out).toContain(`the previous certificate ${before.certSerial} is revoked (superseded)`);
    const revoked = await revokedSerials(siteLayout(site.dir));
    expect(revoked).toContain(before.certSerial);
    expect(revoked).not.toContain(after.certSerial);
  });

  it('refuses a device file that sets what provisioning owns, or a config the daemon would refuse, writing nothing', async () => {
    await site.ok('add-device', 'farm-gw-03', '--server', '1', '--example', 'pi-pressure-urm09');
    const file = join(site.dir, 'devices/farm-gw-03.yaml');
    const good = readFileSync(file, 'utf8');
    const index = site.read('pki/index.txt');
    writeFileSync(file, good + 'vpn: { kind: wireguard }\n');
    const owned = await site.provision('bundle', 'farm-gw-03');
    expect(owned.code).toBe(1);
    expect(owned.err).toContain('vpn: is set by provisioning: remove it from the device file');
    const doc = parse(good) as { tanks: { control?: Record<string, number> }[] };
    doc.tanks[0]!.control = { lowPct: 90, highPct: 80 };
    writeFileSync(file, JSON.stringify(doc));
    const invalid = await smartTank(['provision', 'bundle', 'farm-gw-03', '--dir', site.dir]);
    expect(invalid.code).toBe(1);
    expect(invalid.err).toMatch(/^tanks\[0\]\.control\.lowPct: .*highPct/m);
    expect(existsSync(join(site.dir, 'out/devices/farm-gw-03/smart-tank'))).toBe(false);
    expect(site.read('pki/index.txt')).toBe(index);
    expect(inventory().find((r) => r.device === 'farm-gw-03')!.publicKey).toBe('');
  });

  it('imports an OpenVPN profile instead of WireGuard, with its login', async () => {
    const profile = join(site.dir, 'farm.ovpn');
    writeFileSync(
      profile,
      'client\ndev tun\nproto udp\nremote vpn.farm.example 1194\nauth-user-pass\n<ca>\nx\n</ca>\n',
    );
    await site.ok('add-device', 'farm-gw-04', '--server', '1');
    const noAuth = await site.provision('bundle', 'farm-gw-04', '--ovpn', profile);
    expect(noAuth.code).toBe(1);
    expect(noAuth.err).toContain('asks for a login (auth-user-pass): give it with --ovpn-auth FILE');
    const auth = join(site.dir, 'farm.auth');
    writeFileSync(auth, 'farm-gw-04\nopenvpn-password-1\n');
    const r = await site.ok('bundle', 'farm-gw-04', '--ovpn', profile, '--ovpn-auth', auth);
    expect(r.out).toContain('ifconfig-push 192.168.0.6 255.255.255.0');
    const b = await readBundle(join(site.dir, 'out/devices/farm-gw-04/smart-tank'));
    expect(b.firstBoot.vpn).toBe('openvpn');
    expect(b.files.has('/etc/smart-tank/vpn/wg0.conf')).toBe(false);
    expect(b.files.get('/etc/smart-tank/vpn/gateway.ovpn')!.toString()).toBe(readFileSync(profile, 'utf8'));
    expect(b.files.get('/etc/smart-tank/vpn/auth.txt')!.toString()).toBe('farm-gw-04\nopenvpn-password-1\n');
    const config = parseConfig(b.files.get('/etc/smart-tank/config.yaml')!.toString(), 'ovpn config');
    expect(config.vpn).toMatchObject({
      kind: 'openvpn',
      profile: '/etc/smart-tank/vpn/gateway.ovpn',
      authFile: '/etc/smart-tank/vpn/auth.txt',
      runBy: 'service',
    });
    const documented = bundleMdFiles();
    for (const e of b.entries)
      if (e.kind === 'file')
        expect(documented.get(e.destination), e.destination).toBe(
          `${e.owner}:${e.group} 0${e.mode.toString(8)} ${e.class}`,
        );
  });
});

describe('smart-tank provision: the VPN server and revocation', () => {
  it("hub-config writes the server's whole wg0.conf: a peer per bundled gateway, 0600", async () => {
    const r = await site.ok('hub-config', '--server', '1');
    const file = join(site.dir, 'out/servers/server-1/wg0.conf');
    expect(mode(file)).toBe(0o600);
    const conf = readFileSync(file, 'utf8');
    const rows = inventory();
    expect(wgPubkey(wgValue(conf, 'PrivateKey'))).toBe(rows.find((x) => x.device === 'server-1')!.publicKey);
    expect(wgValue(conf, 'ListenPort')).toBe('51820');
    for (const device of ['farm-gw-01', 'farm-gw-02']) {
      const row = rows.find((x) => x.device === device)!;
      expect(conf).toContain(`PublicKey = ${row.publicKey}\nAllowedIPs = ${row.address}/32`);
    }
    expect(r.out).toContain('no peer (not bundled, or revoked): farm-gw-03, farm-gw-04');
    const acl = site.read('out/servers/server-1/fleet-bridges.acl');
    expect(acl).toContain('user farm-gw-01\ntopic write smart-tank/farm-gw-01/status');
    expect(acl).toContain('topic read smart-tank/farm-gw-02/command/#');
  });

  it('revoke removes the peer, lists the certificate as revoked and retires the address', async () => {
    const row = inventory().find((r) => r.device === 'farm-gw-02')!;
    const r = await site.ok('revoke', 'farm-gw-02');
    expect(r.out).toContain(`certificate ${row.certSerial} is on the revocation list`);
    expect(await revokedSerials(siteLayout(site.dir))).toContain(row.certSerial);
    const conf = site.read('out/servers/server-1/wg0.conf');
    expect(conf).not.toContain(row.publicKey);
    expect(conf).toContain('# farm-gw-02 192.168.0.4 (tank gateway): revoked, no peer');
    expect(site.read('out/servers/server-1/fleet-bridges.acl')).not.toContain('farm-gw-02');
    expect(inventory().find((x) => x.device === 'farm-gw-02')!.status).toBe('revoked');
    expect((await site.provision('revoke', 'farm-gw-02')).err).toContain('revoked already');
    expect((await site.provision('bundle', 'farm-gw-02', '--force')).err).toContain('is revoked');
    expect((await site.provision('revoke', 'server-1')).err).toContain('servers are not revoked');
    const next = await site.ok('add-device', 'farm-gw-05', '--server', '1');
    expect(next.out).toContain('tunnel address 192.168.0.7');
    const taken = await site.provision(
      'add-device',
      'farm-gw-06',
      '--server',
      '1',
      '--address',
      '192.168.0.4',
    );
    expect(taken.err).toContain('192.168.0.4 is taken by farm-gw-02 (revoked)');
  });

  it('list shows the inventory; --json has no secret', async () => {
    const r = await site.ok('list');
    expect(r.out).toMatch(/1\t192\.168\.0\.4\tgateway\tfarm-gw-02\trevoked/);
    const json = JSON.parse((await site.ok('list', '--json')).out) as { devices: { device: string }[] };
    expect(json.devices.map((d) => d.device)).toEqual([
      'server-1',
      'farm-gw-01',
      'farm-gw-02',
      'farm-gw-03',
      'farm-gw-04',
      'farm-gw-05',
    ]);
  });
});
