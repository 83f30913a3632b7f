// The generated WireGuard configs on a real network of namespaces (test/integration/vpn/netns.mjs: a hub
// on the "internet" behind a port forward, a gateway behind a farm NAT router, a phone elsewhere), with
// real wireguard-go and wg: the VPN server runs the hub config `provision hub-config` wrote, the gateway
// the wg0.conf from its bundle, the phone its phone.conf, each file as generated (the server's DNS name
// resolved through the namespace's own /etc/hosts, as `ip netns exec` provides). Handshakes happen and
// the phone reaches the gateway; after `provision revoke` and `wg syncconf` on the server, the revoked
// gateway's handshakes go unanswered while the phone still works.

import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseWgConf } from '../../daemon/vpn/wg-conf.js';
import { readBundle } from '../../provisioning/bundle.js';
import { parseInventory } from '../../provisioning/inventory.js';
import {
  ADDR,
  createTopology,
  HUB_NAME,
  requireTools,
  sh,
  sweepStale,
  wireguardUp,
  type Topology,
} from '../integration/vpn/netns.mjs';
import { makeSite, type TestSite } from './site-fixture.js';

/** A handshake and first ping take ~10 ms here; a loaded CI machine, far longer. */
const HANDSHAKE_TIMEOUT_MS = 15_000;
/** WireGuard retries an unanswered handshake every 5 s (REKEY_TIMEOUT): time for two attempts and more. */
const UNANSWERED_TIMEOUT_MS = 20_000;
/** A handshake initiation is 148 bytes on the wire. */
const INITIATION_BYTES = 148;
const POLL_MS = 100;
const SUBNET = '10.98.0';

let topo: Topology | undefined;
let site: TestSite;
const names = { hub: '', gw: '', phone: '' };
const hostsDirs: string[] = [];

function hubPublicKeyOf(conf: string): string {
  return parseWgConf(conf, 'conf').peers[0]!.publicKey;
}

/** Installs a generated config for interface `name` in namespace `ns`, as wg-quick would name it. */
async function up(ns: string, name: string, text: string): Promise<void> {
  const file = join(topo!.dir, `${name}.conf`);
  writeFileSync(file, text, { mode: 0o600 });
  topo!.noteWireGuard(name);
  const address = parseWgConf(text, file).addresses[0]!;
  await wireguardUp(topo!, ns, name, file, address);
}

/** `wg show IF dump` peer lines: public key, latest handshake (s), rx and tx bytes. Never the private key. */
async function peers(ns: string, name: string) {
  const { stdout } = await topo!.exec(ns, 'wg', ['show', name, 'dump']);
  return stdout
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => {
      const f = line.split('\t');
      return { publicKey: f[0]!, handshake: Number(f[4]), rx: Number(f[5]), tx: Number(f[6]) };
    });
}

async function ping(ns: string, address: string): Promise<boolean> {
  const r = await topo!.exec(ns, 'ping', ['-c', '1', '-W', '1', address], { allowFail: true });
  return r.code === 0;
}

async function until(what: string, timeoutMs: number, probe: () => Promise<boolean>): Promise<void> {
  const start = Date.now();
  while (!(await probe())) {
    if (Date.now() - start > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

beforeAll(async () => {
  await requireTools();
  await sweepStale();
  topo = await createTopology({ tag: 'v' });
  names.hub = topo.wgName('h');
  names.gw = topo.wgName('g');
  names.phone = topo.wgName('p');
  // The server's public name, as each client namespace resolves it (ip netns exec bind-mounts these).
  for (const ns of [topo.ns.gw, topo.ns.phone]) {
    const dir = `/etc/netns/${ns}`;
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'hosts'), `127.0.0.1 localhost\n${ADDR.hub} ${HUB_NAME}\n`);
    hostsDirs.push(dir);
  }
  site = await makeSite({ network: `${SUBNET.replace(/\.0$/, '')}.0.0/16`, endpoint: HUB_NAME });
  await site.ok('add-device', 'farm-gw-01', '--server', '1');
  await site.ok('bundle', 'farm-gw-01');
  await site.ok('phone', '--server', '1');
});

afterAll(async () => {
  await topo?.destroy();
  for (const d of hostsDirs) rmSync(d, { recursive: true, force: true });
});

describe('generated WireGuard configs on a real tunnel', () => {
  it('the hub config, the bundle and the phone config bring up tunnels that handshake', async () => {
    await up(topo!.ns.hub, names.hub, site.read('out/servers/server-1/wg0.conf'));
    const bundle = await readBundle(join(site.dir, 'out/devices/farm-gw-01/smart-tank'));
    const gwConf = bundle.files.get('/etc/smart-tank/vpn/wg0.conf')!.toString();
    expect(gwConf).toContain(`Endpoint = ${HUB_NAME}:51820`);
    await up(topo!.ns.gw, names.gw, gwConf);
    await up(topo!.ns.phone, names.phone, site.read('out/phones/server-1/phone.conf'));

    await until('gateway reaches the VPN server', HANDSHAKE_TIMEOUT_MS, () =>
      ping(topo!.ns.gw, `${SUBNET}.1`),
    );
    expect((await peers(topo!.ns.gw, names.gw))[0]!.handshake).toBeGreaterThan(0);
    await until("phone reaches the gateway's tunnel address", HANDSHAKE_TIMEOUT_MS, () =>
      ping(topo!.ns.phone, `${SUBNET}.3`),
    );
    const hub = await peers(topo!.ns.hub, names.hub);
    expect(hub).toHaveLength(2);
    expect(hub.every((p) => p.handshake > 0)).toBe(true);
  });

  it('a revoked gateway no longer handshakes; the phone still does', async () => {
    const rows = parseInventory(site.read('inventory.csv'), 'inventory.csv');
    const keyOf = (device: string) => rows.find((r) => r.device === device)!.publicKey;
    expect((await peers(topo!.ns.hub, names.hub)).map((p) => p.publicKey).sort()).toEqual(
      [keyOf('farm-gw-01'), keyOf('phone-1')].sort(),
    );
    await site.ok('revoke', 'farm-gw-01');
    // On the server, as the hub-config output says: wg syncconf with the regenerated file.
    const file = join(topo!.dir, `${names.hub}.conf`);
    writeFileSync(file, site.read('out/servers/server-1/wg0.conf'), { mode: 0o600 });
    const stripped = await sh('wg-quick', ['strip', file]);
    writeFileSync(`${file}.stripped`, stripped.stdout, { mode: 0o600 });
    await topo!.exec(topo!.ns.hub, 'wg', ['syncconf', names.hub, `${file}.stripped`]);
    expect((await peers(topo!.ns.hub, names.hub)).map((p) => p.publicKey)).toEqual([keyOf('phone-1')]);

    // The gateway starts afresh (as after a reboot): its session is gone, it must handshake again.
    const gwConfFile = join(topo!.dir, `${names.gw}.conf`);
    const hubKey = hubPublicKeyOf(readFileSync(gwConfFile, 'utf8'));
    await topo!.exec(topo!.ns.gw, 'wg', ['set', names.gw, 'peer', hubKey, 'remove']);
    await topo!.exec(topo!.ns.gw, 'wg', ['setconf', names.gw, `${gwConfFile}.stripped`]);
    expect((await peers(topo!.ns.gw, names.gw))[0]!.handshake).toBe(0);
    // Traffic makes it try; wait until it has sent at least two initiations (one retry, 5 s apart).
    await until('the revoked gateway tries twice', UNANSWERED_TIMEOUT_MS, async () => {
      await ping(topo!.ns.gw, `${SUBNET}.1`);
      return (await peers(topo!.ns.gw, names.gw))[0]!.tx >= 2 * INITIATION_BYTES;
    });
    const after = (await peers(topo!.ns.gw, names.gw))[0]!;
    expect(after.handshake).toBe(0);
    expect(after.rx).toBe(0);
    expect(await ping(topo!.ns.phone, `${SUBNET}.1`)).toBe(true);
  });
});
