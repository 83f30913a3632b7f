// The WireGuard supervisor against fake `wg` / `wg-quick` tools (its own CommandRunner interface) and a
// fake server, on fake time: bring-up from the provisioned config, stale and down within the configured
// times, re-resolution of a moved server, restarts with backoff, and no key in any log line or file.

import { mkdtempSync, rmSync, readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { wireguardVpnSchema } from '../../../daemon/config/vpn-schema.js';
import { createLogger } from '../../../daemon/log.js';
import { readStatusFile } from '../../../daemon/vpn/status-file.js';
import type { VpnState } from '../../../daemon/vpn/status.js';
import { WireGuardSupervisor } from '../../../daemon/vpn/wireguard.js';
import { FakeWireGuard } from './fakes/fake-wireguard.js';
import { KEYS, publicKeyOf } from './fakes/keys.js';
import { advance, advanceUntil, TestClock, untilIo, useFakeTime } from './fakes/time.js';

const HUB = 'hub.farm.test';
const IF = 'wgt0';

function setup(options: { endpoint?: string; keepalive?: boolean } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'wg-sup-'));
  dirs.push(dir);
  const configFile = join(dir, 'wg0.conf');
  writeFileSync(
    configFile,
    `[Interface]
PrivateKey = ${KEYS.gatewayPrivate}
Address = 10.99.0.3/24

[Peer]
PublicKey = ${KEYS.hubPublic}
PresharedKey = ${KEYS.psk}
Endpoint = ${options.endpoint ?? `${HUB}:51820`}
AllowedIPs = 10.99.0.0/24
${options.keepalive === false ? '' : 'PersistentKeepalive = 25'}
`,
    { mode: 0o600 },
  );
  const config = wireguardVpnSchema.parse({
    kind: 'wireguard',
    interface: IF,
    configFile,
    pollIntervalS: 1,
    staleAfterS: 6,
    downAfterS: 12,
    backoff: { initialS: 2, maxS: 8 },
    runtimeDir: join(dir, 'run'),
  });
  const clock = new TestClock();
  const tools = new FakeWireGuard(clock, publicKeyOf);
  const names = new Map<string, string[]>([[HUB, ['203.0.113.10']]]);
  const resolver = {
    description: 'test resolver',
    resolve: async (host: string) => {
      const found = names.get(host);
      if (!found) throw new Error(`${host}: not found`);
      return found;
    },
  };
  const lines: string[] = [];
  const log = createLogger({ level: 'debug', write: (l) => lines.push(l), now: () => clock.wallMs() }, 'vpn');
  const supervisor = new WireGuardSupervisor({
    config,
    clock,
    log,
    runner: tools,
    resolver,
    prober: { probe: () => tools.probe() },
    random: () => 0.5,
  });
  const changes: VpnState[] = [];
  supervisor.onChange((s) => changes.push(s.state));
  running.push(supervisor);
  const logs = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  const upCalls = () => tools.calls.filter((c) => c.file === 'wg-quick' && c.args[0] === 'up').length;
  return { dir, config, clock, tools, names, supervisor, changes, lines, logs, upCalls };
}

const running: WireGuardSupervisor[] = [];
const dirs: string[] = [];
beforeEach(() => useFakeTime());
afterEach(async () => {
  const stops = running.splice(0).map((s) => s.stop());
  await vi.advanceTimersByTimeAsync(30_000);
  await Promise.all(stops);
  vi.useRealTimers();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('WireGuard supervisor', () => {
  it('brings the tunnel up with wg-quick from the provisioned config, resolving the endpoint name itself', async () => {
    const { supervisor, tools, config, changes } = setup();
    await supervisor.start();
    await untilIo(() => tools.calls.some((c) => c.file === 'wg-quick' && c.args[0] === 'up'), 'wg-quick up');

    const up = tools.calls.find((c) => c.file === 'wg-quick' && c.args[0] === 'up')!;
    const runtimeConf = join(config.runtimeDir, `${IF}.conf`);
    expect(up.args).toEqual(['up', runtimeConf]);
    expect(up.env?.WG_QUICK_USERSPACE_IMPLEMENTATION).toBe('wireguard-go');
    expect(up.env).not.toHaveProperty('WG_PROCESS_FOREGROUND');
    expect(readFileSync(runtimeConf, 'utf8')).toMatch(/^Endpoint = 203\.0\.113\.10:51820 /m);
    expect(statSync(runtimeConf).mode & 0o777).toBe(0o600);
    expect(statSync(config.runtimeDir).mode & 0o777).toBe(0o700);

    await advance(1_000);
    const status = supervisor.status();
    expect(status).toMatchObject({
      kind: 'wireguard',
      interface: IF,
      state: 'up',
      address: '10.99.0.3/24',
      endpoint: '203.0.113.10:51820',
      endpointHost: HUB,
      reconnects: 0,
      restarts: 0,
      lastError: null,
    });
    expect(status.handshakeAgeS).toBeLessThanOrEqual(1);
    expect(status.rxBytes).toBeGreaterThan(0);
    expect(changes).toEqual(['up']);

    const file = await readStatusFile(join(config.runtimeDir, 'status.json'));
    expect(file).toMatchObject({ state: 'up', interface: IF, pid: process.pid });
  });

  it('keeps a healthy idle tunnel up by probing it, and tracks the handshake across a wall clock jump', async () => {
    const { supervisor, clock, changes } = setup();
    await supervisor.start();
    await advance(60_000);
    expect(supervisor.status().state).toBe('up');
    // NTP sync after boot moves the wall clock by a year: the handshake is no older for it.
    const before = supervisor.status().handshakeAgeS!;
    clock.jumpWall(365 * 86_400_000);
    await advance(30_000);
    expect(supervisor.status().state).toBe('up');
    expect(supervisor.status().handshakeAgeS).toBeCloseTo(before + 30, 0);
    // Rekeys keep coming (every 120 s) and the tunnel stays up.
    await advance(300_000, 1_000);
    expect(changes).toEqual(['up']);
    expect(supervisor.status().handshakeAgeS).toBeLessThan(125);
  });

  it('server lost: stale within staleAfterS, down within downAfterS, restarts with backoff; back up when it returns', async () => {
    const { supervisor, tools, changes, upCalls, logs } = setup();
    await supervisor.start();
    await advance(2_000);
    expect(supervisor.status().state).toBe('up');

    tools.serverUp = false;
    const staleAfter = await advanceUntil(() => supervisor.status().state === 'stale', 20_000, 'stale');
    // Documented: staleAfterS after the last data, plus up to one poll and one probe interval.
    expect(staleAfter).toBeGreaterThanOrEqual(4_000);
    expect(staleAfter).toBeLessThanOrEqual(6_000 + 1_000 + 2_000);
    const downAfter = await advanceUntil(() => supervisor.status().state === 'down', 20_000, 'down');
    expect(staleAfter + downAfter).toBeLessThanOrEqual(12_000 + 1_000 + 2_000);
    // Restarted at once on going down: no fake time passes, only the real IO of the restart.
    await untilIo(() => upCalls() === 2, 'restarted on going down');
    expect(upCalls()).toBe(2);
    // A tunnel that is there gets downAfterS after each restart to come up: no restart storm.
    await advance(30_000);
    expect(upCalls()).toBeLessThanOrEqual(2 + 3);
    expect(supervisor.status().restarts).toBe(upCalls() - 1);

    tools.serverUp = true;
    const recovered = await advanceUntil(() => supervisor.status().state === 'up', 15_000, 'up again');
    expect(recovered).toBeLessThanOrEqual(3_000);
    expect(supervisor.status()).toMatchObject({ reconnects: 1, lastError: null });
    expect(changes).toEqual(['up', 'stale', 'down', 'up']);
    expect(logs().map((l) => l.msg)).toEqual(
      expect.arrayContaining(['VPN stale: nothing received through the tunnel', 'VPN down', 'VPN up again']),
    );

    // Up again resets the backoff: a later outage restarts promptly again.
    const restarts = supervisor.status().restarts;
    tools.serverUp = false;
    await advanceUntil(() => supervisor.status().restarts > restarts, 20_000, 'restarted again');
  });

  it('re-resolves the name when the server moves to a new address, and recovers without a restart', async () => {
    const { supervisor, tools, names, logs } = setup();
    await supervisor.start();
    await advance(2_000);
    expect(supervisor.status().endpoint).toBe('203.0.113.10:51820');

    // The server's dynamic address changes; the name follows.
    tools.serverAt = new Set(['203.0.113.11:51820']);
    names.set(HUB, ['203.0.113.11']);
    await advanceUntil(() => supervisor.status().state === 'stale', 20_000, 'stale');
    const back = await advanceUntil(() => supervisor.status().state === 'up', 5_000, 'up again');
    expect(back).toBeLessThanOrEqual(1_000);
    expect(supervisor.status()).toMatchObject({ endpoint: '203.0.113.11:51820', restarts: 0, reconnects: 1 });
    expect(tools.calls).toContainEqual(
      expect.objectContaining({
        file: 'wg',
        args: ['set', IF, 'peer', KEYS.hubPublic, 'endpoint', '203.0.113.11:51820'],
      }),
    );
    expect(logs().find((l) => l.msg === 'VPN endpoint re-resolved')).toMatchObject({
      host: HUB,
      from: '203.0.113.10:51820',
      to: '203.0.113.11:51820',
    });
  });

  it('comes up before the name resolves (the address exists for listeners) and sets the endpoint once it does', async () => {
    const { supervisor, tools, names, config } = setup();
    names.delete(HUB);
    await supervisor.start();
    await untilIo(() => tools.interfaces.has(IF), 'interface created');
    expect(readFileSync(join(config.runtimeDir, `${IF}.conf`), 'utf8')).not.toMatch(/^Endpoint/m);
    await advance(3_000);
    expect(supervisor.status()).toMatchObject({
      state: 'connecting',
      lastError: `cannot resolve ${HUB}: ${HUB}: not found`,
    });

    names.set(HUB, ['203.0.113.10']);
    await advanceUntil(() => supervisor.status().state === 'up', 10_000, 'up');
    expect(supervisor.status().restarts).toBe(0);
  });

  it('an interface that vanishes (wireguard-go crashed) is down at once and restarted', async () => {
    const { supervisor, tools, upCalls } = setup();
    await supervisor.start();
    await advance(2_000);
    tools.crash(IF);
    await advance(1_000);
    await untilIo(() => upCalls() >= 2, 'restarted after the interface vanished');
    expect(upCalls()).toBe(2);
    await advanceUntil(() => supervisor.status().state === 'up', 3_000, 'up');
    expect(supervisor.status()).toMatchObject({ restarts: 1, reconnects: 1 });
  });

  it('takes over an interface left by an earlier run', async () => {
    const { supervisor, tools } = setup();
    tools.interfaces.set(IF, { privateKey: 'x', publicKey: 'y', listenPort: 1, peers: [], env: undefined });
    await supervisor.start();
    const quickCalls = () => tools.calls.filter((c) => c.file === 'wg-quick');
    await untilIo(() => quickCalls().length >= 2, 'wg-quick down and up');
    const quick = tools.calls.filter((c) => c.file === 'wg-quick').map((c) => c.args[0]);
    expect(quick).toEqual(['down', 'up']);
  });

  it('start() returns within its bound when wg-quick hangs; the hung call fails and is retried', async () => {
    const { supervisor, tools, upCalls } = setup();
    tools.hang.add('wg-quick up');
    let started = false;
    void supervisor.start().then(() => (started = true));
    await advance(5_000);
    expect(started).toBe(true);
    await advance(16_000);
    expect(supervisor.status().lastError).toMatch(/no answer within 20000 ms/);
    tools.hang.clear();
    await advanceUntil(() => supervisor.status().state === 'up', 30_000, 'up');
    expect(upCalls()).toBeGreaterThanOrEqual(2);
  });

  it('a missing tool names the Debian package to install', async () => {
    const { supervisor, tools } = setup();
    tools.missing.add('wg-quick');
    tools.missing.add('wg');
    await supervisor.start();
    await advance(2_000);
    expect(supervisor.status().state).toBe('down');
    expect(supervisor.status().lastError).toMatch(/install the Debian package wireguard-tools/);
  });

  it('stop takes the tunnel down and removes the runtime copy of the key', async () => {
    const { supervisor, tools, config, changes } = setup();
    await supervisor.start();
    await advance(2_000);
    await supervisor.stop();
    expect(tools.interfaces.has(IF)).toBe(false);
    expect(existsSync(join(config.runtimeDir, `${IF}.conf`))).toBe(false);
    expect(supervisor.status().state).toBe('stopped');
    expect((await readStatusFile(join(config.runtimeDir, 'status.json')))?.state).toBe('stopped');
    expect(changes.at(-1)).toBe('stopped');
  });

  it('warns once about a peer without PersistentKeepalive (behind NAT the server could not reach us)', async () => {
    const { supervisor, logs } = setup({ keepalive: false });
    await supervisor.start();
    await advance(3_000);
    expect(logs().filter((l) => String(l.msg).includes('PersistentKeepalive'))).toHaveLength(1);
    // Without keepalives the probes bring the tunnel up.
    expect(supervisor.status().state).toBe('up');
  });

  it('never writes a private or preshared key into a log line, a status or a file of its own', async () => {
    const { supervisor, tools, names, lines, config } = setup();
    await supervisor.start();
    await advance(2_000);
    tools.serverUp = false;
    names.delete(HUB);
    await advance(30_000);
    tools.serverUp = true;
    names.set(HUB, ['203.0.113.10']);
    await advance(15_000);
    const status = JSON.stringify(supervisor.status());
    const file = readFileSync(join(config.runtimeDir, 'status.json'), 'utf8');
    for (const secret of [KEYS.gatewayPrivate, KEYS.psk]) {
      expect(lines.join('\n')).not.toContain(secret);
      expect(status).not.toContain(secret);
      expect(file).not.toContain(secret);
    }
    // The dumps it read did print the private key.
    expect(tools.calls.filter((c) => c.args[2] === 'dump').length).toBeGreaterThan(10);
    expect(lines.length).toBeGreaterThan(3);
  });
});
