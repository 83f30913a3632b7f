// The source paper's network, built from Linux network namespaces and veth pairs, for the VPN integration
// tests and the latency bench (plain JavaScript so the bench runs with bare `node`; types in netns.d.mts).
//
//                       "internet" 203.0.113.0/24 (a bridge in namespace inet)
//      hub .1 (VPN server)    router .2 (farm NAT router)    phone .3 (farmer)    wan .4 (anyone)
//                                    |
//                          farm LAN 192.168.50.0/24: router .1, gateway .10 (the Pi, the daemon)
//
// VPN subnet (address plan): server .1, phone .2, gateway (tank) .3. The hub forwards between its peers,
// so phone and gateway share the VPN subnet as with the paper's server. As in the paper, the server sits
// behind a port forward: its public (dynamic, DNS-named) address is DNAT-ed to a fixed internal address,
// so when the public address changes the server itself sees no change.
//
// Every name carries the run's id (pid, base 36) and a tag, so parallel runs never collide; destroy()
// kills every process left in the run's namespaces (found by namespace, never by name) and deletes them.

import { execFile, spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** ip, wg and openssl answer in milliseconds; wg-quick starts wireguard-go (~0.1 s). */
const CMD_TIMEOUT_MS = 20_000;

export const RUN_ID = process.pid.toString(36);

export const ADDR = {
  hub: '203.0.113.1',
  hubMoved: '203.0.113.11',
  hubInternal: '172.31.0.1',
  routerWan: '203.0.113.2',
  phone: '203.0.113.3',
  wan: '203.0.113.4',
  routerLan: '192.168.50.1',
  gateway: '192.168.50.10',
  vpnHub: '10.99.0.1',
  vpnPhone: '10.99.0.2',
  vpnGateway: '10.99.0.3',
  ovpnServer: '10.8.0.1',
  ovpnPhone: '10.8.0.2',
  ovpnGateway: '10.8.0.3',
};
export const HUB_NAME = 'hub.farm.test';
export const WG_PORT = 51820;
export const OVPN_PORT = 1194;

/** [command, Debian package]: a missing one fails the test with the package to install, never skips it. */
const TOOLS = [
  ['ip', 'iproute2'],
  ['ss', 'iproute2'],
  ['nft', 'nftables'],
  ['wg', 'wireguard-tools'],
  ['wg-quick', 'wireguard-tools'],
  ['wireguard-go', 'wireguard-go'],
  ['openvpn', 'openvpn'],
  ['openssl', 'openssl'],
  ['mosquitto', 'mosquitto'],
];

export async function requireTools() {
  if (process.getuid?.() !== 0)
    throw new Error('the VPN integration tests build network namespaces: run them as root (CI does)');
  const missing = [];
  for (const [tool, pkg] of TOOLS) {
    const r = await sh('sh', ['-c', `command -v ${tool} || test -x /usr/sbin/${tool}`], { allowFail: true });
    if (r.code !== 0) missing.push(`${tool} (Debian package ${pkg})`);
  }
  if (missing.length > 0)
    throw new Error(`missing for the VPN tests: ${missing.join(', ')}; run: node test/setup/system-deps.mjs`);
}

/** Runs a command; throws with its output unless `allowFail`. */
export function sh(file, args, options = {}) {
  const { timeoutMs = CMD_TIMEOUT_MS, allowFail = false, input, env } = options;
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args,
      {
        signal: AbortSignal.timeout(timeoutMs),
        killSignal: 'SIGKILL',
        env: env ?? process.env,
        encoding: 'utf8',
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        if (err && !allowFail)
          return reject(
            new Error(`${file} ${args.join(' ')} failed (${err.code ?? err.message}): ${stderr.trim()}`),
          );
        resolve({ code, stdout, stderr });
      },
    );
    if (input !== undefined) child.stdin.end(input);
  });
}

/** A WireGuard key pair as `wg genkey | wg pubkey` would make it (x25519, base64 of the raw 32 bytes). */
export function wgKeyPair() {
  const { privateKey, publicKey } = generateKeyPairSync('x25519');
  return {
    privateKey: privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(-32).toString('base64'),
    publicKey: publicKey.export({ format: 'der', type: 'spki' }).subarray(-32).toString('base64'),
  };
}

/** Deletes namespaces (and their processes) left by earlier runs whose process is gone (a crashed run). */
export async function sweepStale() {
  const { stdout } = await sh('ip', ['netns', 'list'], { allowFail: true });
  const owners = new Map();
  for (const line of stdout.split('\n')) {
    const m = /^(stvpn([0-9a-z]+)[a-z]-(inet|hub|router|gw|phone|wan))\b/.exec(line.trim());
    if (m) owners.set(m[1], parseInt(m[2], 36));
  }
  for (const [ns, pid] of owners) {
    let alive = true;
    try {
      process.kill(pid, 0);
    } catch (err) {
      alive = err.code === 'EPERM';
    }
    if (!alive) await deleteNamespace(ns);
  }
}

async function deleteNamespace(ns) {
  const pids = await sh('ip', ['netns', 'pids', ns], { allowFail: true });
  for (const pid of pids.stdout.split(/\s+/).filter(Boolean).map(Number)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
  await sh('ip', ['netns', 'del', ns], { allowFail: true });
}

/**
 * Builds the namespaces and links. `tag`: one letter per test file (w, o, b); `portForward`: a TCP port
 * the router forwards from its WAN address to the gateway (the bench's plain path).
 */
export async function createTopology({ tag, portForward } = {}) {
  const id = `${RUN_ID}${tag}`;
  const ns = {
    inet: `stvpn${id}-inet`,
    hub: `stvpn${id}-hub`,
    router: `stvpn${id}-router`,
    gw: `stvpn${id}-gw`,
    phone: `stvpn${id}-phone`,
    wan: `stvpn${id}-wan`,
  };
  const dir = mkdtempSync(join(tmpdir(), `st-vpn-${id}-`));
  chmodSync(dir, 0o755);
  const children = new Set();
  const wgSockets = [];
  const topo = {
    id,
    tag,
    ns,
    dir,
    /** Runs a command inside a namespace. */
    exec: (n, file, args, options) => sh('ip', ['netns', 'exec', n, file, ...args], options),
    /** Starts a long-running process inside a namespace; killed by destroy(). */
    spawn(n, file, args, options = {}) {
      const child = spawn('ip', ['netns', 'exec', n, file, ...args], {
        stdio: ['ignore', 'pipe', 'pipe'],
        ...options,
      });
      children.add(child);
      child.on('exit', () => children.delete(child));
      child.output = [];
      for (const stream of [child.stdout, child.stderr]) {
        let buffer = '';
        stream.setEncoding('utf8').on('data', (d) => {
          buffer += d;
          let nl;
          while ((nl = buffer.indexOf('\n')) >= 0) {
            child.output.push(buffer.slice(0, nl));
            buffer = buffer.slice(nl + 1);
          }
        });
      }
      return child;
    },
    /** WireGuard interface names of this run (the UAPI socket directory is shared by all namespaces). */
    wgName: (role) => `wg${role}${id}`.slice(0, 15),
    noteWireGuard: (name) => wgSockets.push(name),
    /** A per-namespace sysctl (written through /proc/sys from inside: no procps needed). */
    async setSysctl(n, key, value) {
      await sh('ip', ['netns', 'exec', n, 'sh', '-c', `echo ${value} > /proc/sys/${key}`]);
    },
    async setLink(n, dev, up) {
      await sh('ip', ['-n', n, 'link', 'set', dev, up ? 'up' : 'down']);
    },
    async destroy() {
      // Each step on its own: one failing must not leave the rest behind.
      for (const child of children) child.kill('SIGKILL');
      for (const n of Object.values(ns)) await deleteNamespace(n).catch(() => {});
      for (const name of wgSockets) rmSync(`/var/run/wireguard/${name}.sock`, { force: true });
      rmSync(dir, { recursive: true, force: true });
    },
  };

  try {
    for (const n of Object.values(ns)) {
      await sh('ip', ['netns', 'add', n]);
      await sh('ip', ['-n', n, 'link', 'set', 'lo', 'up']);
    }
    // The "internet": one bridge; each host's eth0 plugged in.
    await sh('ip', ['-n', ns.inet, 'link', 'add', 'br0', 'type', 'bridge']);
    await sh('ip', ['-n', ns.inet, 'link', 'set', 'br0', 'up']);
    const plug = async (host, dev, port, cidr) => {
      await sh('ip', [
        '-n',
        ns.inet,
        'link',
        'add',
        port,
        'type',
        'veth',
        'peer',
        'name',
        dev,
        'netns',
        host,
      ]);
      await sh('ip', ['-n', ns.inet, 'link', 'set', port, 'master', 'br0', 'up']);
      await sh('ip', ['-n', host, 'addr', 'add', cidr, 'dev', dev]);
      await sh('ip', ['-n', host, 'link', 'set', dev, 'up']);
    };
    await plug(ns.hub, 'eth0', 'p-hub', `${ADDR.hub}/24`);
    await plug(ns.router, 'wan0', 'p-router', `${ADDR.routerWan}/24`);
    await plug(ns.phone, 'eth0', 'p-phone', `${ADDR.phone}/24`);
    await plug(ns.wan, 'eth0', 'p-wan', `${ADDR.wan}/24`);
    // The farm LAN: router <-> gateway.
    await sh('ip', [
      '-n',
      ns.router,
      'link',
      'add',
      'lan0',
      'type',
      'veth',
      'peer',
      'name',
      'eth0',
      'netns',
      ns.gw,
    ]);
    await sh('ip', ['-n', ns.router, 'addr', 'add', `${ADDR.routerLan}/24`, 'dev', 'lan0']);
    await sh('ip', ['-n', ns.router, 'link', 'set', 'lan0', 'up']);
    await sh('ip', ['-n', ns.gw, 'addr', 'add', `${ADDR.gateway}/24`, 'dev', 'eth0']);
    await sh('ip', ['-n', ns.gw, 'link', 'set', 'eth0', 'up']);
    await sh('ip', ['-n', ns.gw, 'route', 'add', 'default', 'via', ADDR.routerLan]);
    // The router forwards and hides the farm behind its WAN address, with a random source port per flow
    // as carrier-grade NAT does (a new flow to the server's new address is a new mapping).
    await topo.setSysctl(ns.router, 'net/ipv4/ip_forward', '1');
    const nat = join(dir, 'router.nft');
    writeFileSync(
      nat,
      `table ip nat {
  chain prerouting {
    type nat hook prerouting priority dstnat;
${portForward ? `    iifname "wan0" tcp dport ${portForward} dnat to ${ADDR.gateway}\n` : ''}  }
  chain postrouting {
    type nat hook postrouting priority srcnat;
    oifname "wan0" masquerade random
  }
}
`,
    );
    await topo.exec(ns.router, 'nft', ['-f', nat]);
    // The hub forwards between its VPN peers, and its public address is port-forwarded to its fixed
    // internal one (the server's own router, folded into its namespace).
    await topo.setSysctl(ns.hub, 'net/ipv4/ip_forward', '1');
    await sh('ip', ['-n', ns.hub, 'addr', 'add', `${ADDR.hubInternal}/32`, 'dev', 'lo']);
    const forward = join(dir, 'hub.nft');
    writeFileSync(
      forward,
      `table ip nat {
  chain prerouting {
    type nat hook prerouting priority dstnat;
    iifname "eth0" udp dport { ${WG_PORT}, ${OVPN_PORT} } dnat to ${ADDR.hubInternal}
  }
}
`,
    );
    await topo.exec(ns.hub, 'nft', ['-f', forward]);
    return topo;
  } catch (err) {
    await topo.destroy();
    throw err;
  }
}

/**
 * A WireGuard interface run by the test itself: wireguard-go in the foreground as the test's child (so
 * the test reaps it), configured with `wg setconf` from the wg-quick file stripped of wg-quick's keys.
 */
export async function wireguardUp(topo, n, name, confFile, address) {
  const child = topo.spawn(n, 'wireguard-go', ['-f', name]);
  const socket = `/var/run/wireguard/${name}.sock`;
  for (let waited = 0; !existsSync(socket); waited += 20) {
    if (waited > 5_000 || child.exitCode !== null)
      throw new Error(`wireguard-go ${name} did not start: ${child.output.join('\n')}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const stripped = await sh('wg-quick', ['strip', confFile]);
  const strippedFile = `${confFile}.stripped`;
  writeFileSync(strippedFile, stripped.stdout, { mode: 0o600 });
  await topo.exec(n, 'wg', ['setconf', name, strippedFile]);
  await sh('ip', ['-n', n, 'addr', 'add', address, 'dev', name]);
  await sh('ip', ['-n', n, 'link', 'set', name, 'up']);
  return child;
}

/** Writes a wg-quick config (mode 0600, named after the interface). */
function wgConf(dir, name, text) {
  const file = join(dir, `${name}.conf`);
  writeFileSync(file, text, { mode: 0o600 });
  return file;
}

/**
 * WireGuard on the topology: the hub (server) and the phone are brought up here (wireguard-go children of
 * the test); the gateway's wg-quick config is written for the daemon's supervisor, with the hub's
 * endpoint as a name resolved through `hostsFile`.
 */
export async function setupWireGuard(topo) {
  const hub = wgKeyPair();
  const phone = wgKeyPair();
  const gateway = wgKeyPair();
  const psk = wgKeyPair().privateKey;
  const names = { hub: topo.wgName('h'), phone: topo.wgName('p'), gateway: topo.wgName('g') };
  for (const n of Object.values(names)) topo.noteWireGuard(n);

  const hubConf = wgConf(
    topo.dir,
    names.hub,
    `[Interface]
PrivateKey = ${hub.privateKey}
Address = ${ADDR.vpnHub}/24
ListenPort = ${WG_PORT}

[Peer] # the farmer's phone
PublicKey = ${phone.publicKey}
AllowedIPs = ${ADDR.vpnPhone}/32

[Peer] # the tank gateway
PublicKey = ${gateway.publicKey}
PresharedKey = ${psk}
AllowedIPs = ${ADDR.vpnGateway}/32
`,
  );
  const phoneConf = wgConf(
    topo.dir,
    names.phone,
    `[Interface]
PrivateKey = ${phone.privateKey}
Address = ${ADDR.vpnPhone}/24

[Peer]
PublicKey = ${hub.publicKey}
Endpoint = ${ADDR.hub}:${WG_PORT}
AllowedIPs = 10.99.0.0/24
PersistentKeepalive = 25
`,
  );
  const gatewayConf = join(topo.dir, 'gateway-wg.conf');
  writeFileSync(
    gatewayConf,
    `# provisioned for the gateway: the hub by its (dynamic DNS) name
[Interface]
PrivateKey = ${gateway.privateKey}
Address = ${ADDR.vpnGateway}/24

[Peer]
PublicKey = ${hub.publicKey}
PresharedKey = ${psk}
Endpoint = ${HUB_NAME}:${WG_PORT}
AllowedIPs = 10.99.0.0/24
PersistentKeepalive = 25
`,
    { mode: 0o600 },
  );
  const hostsFile = join(topo.dir, 'hosts');
  writeFileSync(hostsFile, `${ADDR.hub} ${HUB_NAME}\n`);

  await wireguardUp(topo, topo.ns.hub, names.hub, hubConf, `${ADDR.vpnHub}/24`);
  await wireguardUp(topo, topo.ns.phone, names.phone, phoneConf, `${ADDR.vpnPhone}/24`);
  return {
    names,
    hubPublicKey: hub.publicKey,
    secrets: [gateway.privateKey, psk, hub.privateKey, phone.privateKey],
    gatewayConf,
    hostsFile,
    /** Brings up the gateway's side with wg-quick directly (the bench; the tests use the daemon). */
    async gatewayUp() {
      const text = readFileSync(gatewayConf, 'utf8').replace(`${HUB_NAME}:`, `${ADDR.hub}:`);
      await wireguardUp(
        topo,
        topo.ns.gw,
        names.gateway,
        wgConf(topo.dir, names.gateway, text),
        `${ADDR.vpnGateway}/24`,
      );
    },
    /** The hub moves to a new address; the name follows (hosts file); the phone learns it too. */
    async moveHub(address) {
      writeFileSync(hostsFile, `${address} ${HUB_NAME}\n`);
      // Old one first: deleting a primary address takes the secondaries of its subnet with it.
      await sh('ip', ['-n', topo.ns.hub, 'addr', 'del', `${ADDR.hub}/24`, 'dev', 'eth0']);
      await sh('ip', ['-n', topo.ns.hub, 'addr', 'add', `${address}/24`, 'dev', 'eth0']);
      // The old address leads nowhere now (a neighbour's cached link address would still deliver to the
      // server's port forward otherwise).
      const gone = join(topo.dir, 'hub-moved.nft');
      writeFileSync(
        gone,
        `table ip moved {\n  chain pre {\n    type filter hook prerouting priority raw;\n    ip daddr ${ADDR.hub} drop\n  }\n}\n`,
      );
      await topo.exec(topo.ns.hub, 'nft', ['-f', gone]);
      await topo.exec(topo.ns.phone, 'wg', [
        'set',
        names.phone,
        'peer',
        hub.publicKey,
        'endpoint',
        `${address}:${WG_PORT}`,
      ]);
    },
  };
}

/** A CA made here (EC P-256), and a certificate for the server (serverAuth) or a client (clientAuth). */
async function makePki(dir, clients) {
  const pki = join(dir, 'pki');
  await sh('mkdir', ['-p', pki]);
  const ossl = (args) => sh('openssl', args, { timeoutMs: 20_000 });
  await ossl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', join(pki, 'ca.key')]);
  await ossl([
    'req',
    '-x509',
    '-new',
    '-key',
    join(pki, 'ca.key'),
    '-subj',
    '/CN=smart-tank test farm CA',
    '-days',
    '2',
    '-out',
    join(pki, 'ca.crt'),
  ]);
  const issue = async (name, eku) => {
    await ossl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', join(pki, `${name}.key`)]);
    await ossl([
      'req',
      '-new',
      '-key',
      join(pki, `${name}.key`),
      '-subj',
      `/CN=${name}`,
      '-out',
      join(pki, `${name}.csr`),
    ]);
    writeFileSync(join(pki, `${name}.ext`), `extendedKeyUsage=${eku}\nkeyUsage=digitalSignature\n`);
    await ossl([
      'x509',
      '-req',
      '-in',
      join(pki, `${name}.csr`),
      '-CA',
      join(pki, 'ca.crt'),
      '-CAkey',
      join(pki, 'ca.key'),
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      join(pki, `${name}.ext`),
      '-out',
      join(pki, `${name}.crt`),
    ]);
  };
  await issue('server', 'serverAuth');
  for (const c of clients) await issue(c, 'clientAuth');
  return pki;
}

/** Waits for a line of a spawned process's output. */
export async function waitForOutput(child, pattern, timeoutMs, what) {
  const start = Date.now();
  for (;;) {
    if (child.output.some((l) => pattern.test(l))) return;
    if (child.exitCode !== null)
      throw new Error(`${what}: exited (${child.exitCode}):\n${child.output.slice(-15).join('\n')}`);
    if (Date.now() - start > timeoutMs)
      throw new Error(`${what}: not within ${timeoutMs} ms:\n${child.output.slice(-15).join('\n')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * OpenVPN on the topology: a server on the hub (fixed addresses per client as the address plan wants,
 * client-to-client forwarding, certificate + user/password login, keepalive 1 4), the phone connected,
 * and the gateway's .ovpn profile (inline certificates, auth-user-pass) and auth file for the daemon.
 */
export async function setupOpenVpn(topo) {
  const dir = join(topo.dir, 'ovpn');
  await sh('mkdir', ['-p', join(dir, 'ccd')]);
  const pki = await makePki(dir, ['gateway', 'phone']);
  const read = (f) => readFileSync(join(pki, f), 'utf8').trim();
  const passwords = {
    gateway: `gw-${wgKeyPair().publicKey.slice(0, 16)}`,
    phone: `ph-${wgKeyPair().publicKey.slice(0, 16)}`,
  };
  writeFileSync(join(dir, 'ccd', 'gateway'), `ifconfig-push ${ADDR.ovpnGateway} 255.255.255.0\n`);
  writeFileSync(join(dir, 'ccd', 'phone'), `ifconfig-push ${ADDR.ovpnPhone} 255.255.255.0\n`);
  writeFileSync(
    join(dir, 'users'),
    Object.entries(passwords)
      .map(([u, p]) => `${u}:${p}`)
      .join('\n') + '\n',
  );
  const verify = join(dir, 'verify.sh');
  writeFileSync(
    verify,
    `#!/bin/sh
# auth-user-pass-verify via-file: $1 holds the user name and the password, one per line
user=$(sed -n 1p "$1"); pass=$(sed -n 2p "$1")
grep -qxF "$user:$pass" "${join(dir, 'users')}"
`,
    { mode: 0o755 },
  );
  const serverConf = join(dir, 'server.conf');
  writeFileSync(
    serverConf,
    `local ${ADDR.hubInternal}
port ${OVPN_PORT}
proto udp
dev tun
topology subnet
server 10.8.0.0 255.255.255.0
client-config-dir ${join(dir, 'ccd')}
client-to-client
keepalive 1 4
dh none
ca ${join(pki, 'ca.crt')}
cert ${join(pki, 'server.crt')}
key ${join(pki, 'server.key')}
script-security 2
auth-user-pass-verify ${verify} via-file
verb 3
`,
  );
  const server = topo.spawn(topo.ns.hub, 'openvpn', ['--config', serverConf]);
  await waitForOutput(server, /Initialization Sequence Completed/, 15_000, 'openvpn server');

  const write = async (name) => {
    const text = `client
dev tun
proto udp
remote ${ADDR.hub} ${OVPN_PORT}
nobind
remote-cert-tls server
auth-user-pass
verb 3
<ca>
${read('ca.crt')}
</ca>
<cert>
${read(`${name}.crt`)}
</cert>
<key>
${read(`${name}.key`)}
</key>
`;
    const file = join(dir, `${name}.ovpn`);
    writeFileSync(file, text, { mode: 0o600 });
    const auth = join(dir, `${name}.auth`);
    writeFileSync(auth, `${name}\n${passwords[name]}\n`, { mode: 0o600 });
    return { profile: file, authFile: auth };
  };
  const gateway = await write('gateway');
  const phoneFiles = await write('phone');
  const phone = topo.spawn(topo.ns.phone, 'openvpn', [
    '--config',
    phoneFiles.profile,
    '--auth-user-pass',
    phoneFiles.authFile,
  ]);
  await waitForOutput(phone, /Initialization Sequence Completed/, 15_000, 'openvpn phone client');
  return { server, phone, gateway, secrets: [passwords.gateway, passwords.phone] };
}
