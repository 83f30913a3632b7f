// The plain-text formats of provisioning: the inventory (diff-friendly, strict), the bundle MANIFEST
// (what first boot trusts), and the bundle's nftables interface file against the os-image ruleset.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatInventory, parseInventory, type InventoryRow } from '../../provisioning/inventory.js';
import { checkDestination, formatManifest, parseManifest } from '../../provisioning/manifest.js';
import { generateWgKeyPair } from '../../provisioning/wg-keys.js';
import { readBundle } from '../../provisioning/bundle.js';
import { makeSite } from './site-fixture.js';

const RULESET = new URL('../../os-image/nftables/smart-tank.nft', import.meta.url).pathname;

function row(p: Partial<InventoryRow>): InventoryRow {
  return {
    site: 'farm',
    server: 1,
    address: '192.168.0.3',
    role: 'gateway',
    device: 'gw-a',
    status: 'active',
    publicKey: generateWgKeyPair().publicKey,
    certSerial: '0A1B',
    ...p,
  };
}

describe('inventory.csv', () => {
  it('is sorted by server and address, one line per device, and reads back the same', () => {
    const rows = [
      row({ server: 2, address: '192.168.1.3', device: 'gw-c' }),
      row({ address: '192.168.0.10', device: 'gw-b' }),
      row({ address: '192.168.0.1', role: 'server', device: 'server-1', certSerial: '' }),
      row({}),
    ];
    const text = formatInventory(rows);
    expect(
      text
        .split('\n')
        .slice(1, 5)
        .map((l) => l.split(',')[4]),
    ).toEqual(['server-1', 'gw-a', 'gw-b', 'gw-c']);
    expect(parseInventory(text, 'inv')).toEqual(
      parseInventory(formatInventory(parseInventory(text, 'inv')), 'inv'),
    );
    expect(parseInventory(text, 'inv')).toHaveLength(4);
  });

  it('refuses bad lines with the file and line number, and duplicates', () => {
    const header = 'site,server,address,role,device,status,public_key,cert_serial\n';
    expect(() =>
      parseInventory(header + 'farm,1,192.168.0.3,gateway,gw,active,,\nfarm,1,x\n', 'inv.csv'),
    ).toThrow('inv.csv:3: expected 8 fields');
    expect(() => parseInventory(header + 'farm,1,192.168.0.3,tank,gw,active,,\n', 'inv.csv')).toThrow(
      'inv.csv:2: role "tank" must be one of server, phone, gateway',
    );
    expect(() =>
      parseInventory(header + 'farm,1,192.168.0.3,gateway,gw,active,not-a-key,\n', 'inv.csv'),
    ).toThrow('public_key of gw is not a WireGuard public key');
    const dup = formatInventory([row({}), row({ device: 'gw-b' })]);
    expect(() => parseInventory(dup, 'inv.csv')).toThrow('192.168.0.3 is listed twice (gw-a and gw-b)');
  });
});

describe('MANIFEST', () => {
  it('round-trips and refuses what first boot must refuse', () => {
    const entries = parseManifest(
      formatManifest([
        { kind: 'dir', destination: '/etc/smart-tank', owner: 'root', group: 'root', mode: 0o755 },
        {
          kind: 'file',
          source: 'files/etc/smart-tank/config.yaml',
          destination: '/etc/smart-tank/config.yaml',
          owner: 'root',
          group: 'smart-tank',
          mode: 0o640,
          sha256: 'a'.repeat(64),
          class: 'public',
        },
      ]),
    );
    expect(entries[1]).toMatchObject({ mode: 0o640, class: 'public' });
    for (const bad of ['/etc/passwd', '/etc/smart-tank/../shadow', 'etc/smart-tank/x', '/var/lib/other/x'])
      expect(() => checkDestination(bad, 'MANIFEST:3'), bad).toThrow(/MANIFEST:3: destination/);
    expect(() =>
      parseManifest('file\tfiles/etc/smart-tank/a\t/etc/smart-tank/a\troot\troot\t0644\tbad\tpublic\n'),
    ).toThrow('sha256 must be 64 lower-case hex digits');
    expect(() =>
      parseManifest('file\tfiles/x\t/etc/smart-tank/a\troot\troot\t0644\t' + 'a'.repeat(64) + '\tpublic\n'),
    ).toThrow('source must be files/etc/smart-tank/a');
  });
});

describe('the bundle nftables interface file', () => {
  it('is what the os-image ruleset includes: `nft -c` accepts them together (WireGuard and OpenVPN)', async () => {
    const site = await makeSite({});
    await site.ok('add-device', 'gw-wg', '--server', '1', '--lan-iface', 'wlan0');
    await site.ok('bundle', 'gw-wg');
    const profile = join(site.dir, 'p.ovpn');
    writeFileSync(profile, 'client\nremote vpn.example 1194\n');
    await site.ok('add-device', 'gw-ovpn', '--server', '1');
    await site.ok('bundle', 'gw-ovpn', '--ovpn', profile);
    const dir = mkdtempSync(join(tmpdir(), 'st-prov-nft-'));
    for (const device of ['gw-wg', 'gw-ovpn']) {
      const b = await readBundle(join(site.dir, `out/devices/${device}/smart-tank`));
      const ifaces = join(dir, `${device}-ifaces.nft`);
      writeFileSync(ifaces, b.files.get('/etc/nftables.d/smart-tank-ifaces.nft')!);
      const ruleset = readFileSync(RULESET, 'utf8').replace('/etc/nftables.d/smart-tank-ifaces.nft', ifaces);
      expect(ruleset).toContain(ifaces);
      const file = join(dir, `${device}.nft`);
      writeFileSync(file, ruleset);
      execFileSync('nft', ['-c', '-f', file], { timeout: 10_000 });
    }
    expect(readFileSync(join(dir, 'gw-wg-ifaces.nft'), 'utf8')).toContain('define LAN_IFACES = { "wlan0" }');
    expect(readFileSync(join(dir, 'gw-ovpn-ifaces.nft'), 'utf8')).toContain('define VPN_IFACES = { "tun0" }');
    rmSync(dir, { recursive: true, force: true });
  });
});
