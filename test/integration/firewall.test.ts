// The image's nftables ruleset (os-image/nftables/smart-tank.nft): checked by nft, then applied inside a
// network namespace shaped like a gateway (a LAN and a WAN interface) and tested by behaviour.

import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/daemon.js';

const RULESET = new URL('../../os-image/nftables/smart-tank.nft', import.meta.url).pathname;
const id = process.pid % 10_000;
const ns = { gw: `fw-gw-${id}`, lan: `fw-lan-${id}`, wan: `fw-wan-${id}`, vpn: `fw-vpn-${id}` };
/** MQTT, MQTT over TLS, the dashboard over HTTP and HTTPS (os-image/nftables/smart-tank.nft). */
const SERVICE_PORTS = [1883, 8883, 8080, 8443];

function sh(args: string[]): void {
  execFileSync(args[0]!, args.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** One TCP connection attempt from a namespace: "open" or "blocked" (no answer within the timeout). */
function connect(from: string, host: string, port: number): string {
  const script = `const s=require('net').connect({host:'${host}',port:${port}});s.setTimeout(700);s.on('connect',()=>{console.log('open');process.exit(0)});s.on('timeout',()=>{console.log('blocked');process.exit(0)});s.on('error',e=>{console.log('refused '+e.code);process.exit(0)})`;
  return spawnSync('ip', ['netns', 'exec', from, process.execPath, '-e', script], {
    encoding: 'utf8',
  }).stdout.trim();
}

describe('gateway firewall (nftables)', () => {
  const dir = tempDir('fw-');
  let server: ChildProcess | undefined;
  afterAll(() => {
    server?.kill('SIGKILL');
    for (const n of Object.values(ns)) spawnSync('ip', ['netns', 'del', n]);
  });

  function ruleset(lan: string, vpn: string): string {
    const ifaces = join(dir, 'ifaces.nft');
    writeFileSync(ifaces, `define LAN_IFACES = { "${lan}" }\ndefine VPN_IFACES = { "${vpn}" }\n`);
    const file = join(dir, 'smart-tank.nft');
    writeFileSync(file, readFileSync(RULESET, 'utf8').replace(/^include "[^"]+"$/m, `include "${ifaces}"`));
    return file;
  }

  it('passes nft -c', () => {
    const r = spawnSync('unshare', ['-rn', 'nft', '-c', '-f', ruleset('eth0', 'wg0')], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('lets the LAN and the tunnel reach MQTT and the dashboard, not the WAN, and limits how fast one address may connect', () => {
    for (const n of Object.values(ns)) sh(['ip', 'netns', 'add', n]);
    const link = (a: string, ifA: string, ipA: string, b: string, ifB: string, ipB: string) => {
      sh(['ip', 'link', 'add', ifA, 'netns', a, 'type', 'veth', 'peer', 'name', ifB, 'netns', b]);
      sh(['ip', '-n', a, 'addr', 'add', `${ipA}/24`, 'dev', ifA]);
      sh(['ip', '-n', b, 'addr', 'add', `${ipB}/24`, 'dev', ifB]);
      sh(['ip', '-n', a, 'link', 'set', ifA, 'up']);
      sh(['ip', '-n', b, 'link', 'set', ifB, 'up']);
    };
    link(ns.gw, 'lan0', '192.168.77.1', ns.lan, 'eth0', '192.168.77.2');
    link(ns.gw, 'wan0', '203.0.113.1', ns.wan, 'eth0', '203.0.113.2');
    // The tunnel: what the ruleset sees of it is an interface named in VPN_IFACES with an address of the
    // tunnel subnet (address plan: gateway .3, the farmer's phone .2). A veth stands in for wg9 here.
    link(ns.gw, 'wg9', '192.168.0.3', ns.vpn, 'eth0', '192.168.0.2');
    sh(['ip', '-n', ns.gw, 'link', 'set', 'lo', 'up']);
    sh(['ip', 'netns', 'exec', ns.gw, 'nft', '-f', ruleset('lan0', 'wg9')]);

    // A listener on every address of the gateway: only the firewall decides.
    server = spawn(
      'ip',
      [
        'netns',
        'exec',
        ns.gw,
        process.execPath,
        '-e',
        `for (const p of ${JSON.stringify(SERVICE_PORTS)}) require('net').createServer(s=>s.end()).listen(p,'0.0.0.0')`,
      ],
      { stdio: 'ignore' },
    );
    let ready = false;
    for (let i = 0; i < 50 && !ready; i++) ready = connect(ns.gw, '127.0.0.1', 8443) === 'open';
    expect(ready).toBe(true);

    for (const port of SERVICE_PORTS) {
      expect(connect(ns.wan, '203.0.113.1', port), `WAN -> ${port}`).toBe('blocked');
      expect(connect(ns.vpn, '192.168.0.3', port), `tunnel -> ${port}`).toBe('open');
    }
    expect(connect(ns.wan, '203.0.113.1', 22)).toBe('blocked');
    expect(connect(ns.vpn, '192.168.0.3', 22)).toBe('blocked'); // SSH from the LAN only
    expect(connect(ns.lan, '192.168.77.1', 1883)).toBe('open');
    // Past a burst of 10, one address gets a new connection only every 2 s (30 a minute): fired as fast
    // as possible, some attempts are dropped.
    const started = Date.now();
    const results = Array.from({ length: 16 }, () => connect(ns.lan, '192.168.77.1', 1883));
    const seconds = (Date.now() - started) / 1000;
    expect(results.slice(0, 9)).toEqual(Array(9).fill('open'));
    expect(results.filter((r) => r === 'blocked').length).toBeGreaterThanOrEqual(2);
    expect(results.filter((r) => r === 'open').length).toBeLessThanOrEqual(10 + Math.ceil(seconds / 2));

    // At most 8 MQTT connections open at once per source (a fresh source address, so the rate limit's
    // burst is untouched): the ninth, held alongside the first eight, is reset.
    sh(['ip', '-n', ns.lan, 'addr', 'add', '192.168.77.3/24', 'dev', 'eth0']);
    const hold = `const net=require('net');const out=[];let n=0;for(let i=0;i<9;i++){const s=net.connect({host:'192.168.77.1',port:1883,localAddress:'192.168.77.3'});s.setTimeout(1500);s.on('connect',()=>out[i]='open');s.on('timeout',()=>out[i]=out[i]??'blocked');s.on('error',e=>out[i]='refused');}setTimeout(()=>{console.log(JSON.stringify(out));process.exit(0)},2000)`;
    const held = JSON.parse(
      spawnSync('ip', ['netns', 'exec', ns.lan, process.execPath, '-e', hold], { encoding: 'utf8' }).stdout,
    ) as string[];
    expect(held.filter((r) => r === 'open')).toHaveLength(8);
    expect(held.filter((r) => r === 'refused')).toHaveLength(1);
  }, 60_000);
});
