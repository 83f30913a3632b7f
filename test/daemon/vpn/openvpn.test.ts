// The OpenVPN supervisor against a fake `openvpn` (its own CommandRunner and management channel) on fake
// time: start and follow to CONNECTED, the cipher preference and its fallback, a lost server, a crashing
// or stuck process restarted with backoff, and a stop that does not wait forever.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openvpnVpnSchema } from '../../../daemon/config/vpn-schema.js';
import { createLogger } from '../../../daemon/log.js';
import { OpenVpnSupervisor } from '../../../daemon/vpn/openvpn.js';
import { readStatusFile } from '../../../daemon/vpn/status-file.js';
import type { VpnState } from '../../../daemon/vpn/status.js';
import { FakeOpenVpn } from './fakes/fake-openvpn.js';
import { advance, advanceUntil, TestClock, untilIo, useFakeTime } from './fakes/time.js';

const PI4_CPUINFO = 'processor\t: 0\nFeatures\t: fp asimd evtstrm crc32 cpuid\n';
const X86_CPUINFO = 'processor\t: 0\nflags\t\t: fpu sse2 aes avx\n';

function setup(options: { profile?: string; authFile?: boolean; cpuinfo?: string; cipher?: string } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'ovpn-sup-'));
  dirs.push(dir);
  const profile = join(dir, 'gateway.ovpn');
  writeFileSync(
    profile,
    options.profile ??
      'client\ndev tun\nproto udp\nremote 203.0.113.1 1194\nauth-user-pass\n<ca>\nCA\n</ca>\n',
  );
  const authFile = join(dir, 'auth.txt');
  writeFileSync(authFile, 'farm-gw-01\nS3cret-never-logged\n', { mode: 0o600 });
  const config = openvpnVpnSchema.parse({
    kind: 'openvpn',
    profile,
    ...(options.authFile === false ? {} : { authFile }),
    cipherPreference: options.cipher ?? 'auto',
    pollIntervalS: 1,
    staleAfterS: 3,
    downAfterS: 8,
    backoff: { initialS: 2, maxS: 8 },
    runtimeDir: join(dir, 'run'),
  });
  const clock = new TestClock();
  const fake = new FakeOpenVpn(() => Date.now());
  const lines: string[] = [];
  const log = createLogger({ level: 'debug', write: (l) => lines.push(l) }, 'vpn');
  const supervisor = new OpenVpnSupervisor({
    config,
    clock,
    log,
    runner: fake,
    connector: fake.connector,
    prober: { probe: () => {} },
    random: () => 0.5,
    readCpuInfo: async () => options.cpuinfo ?? PI4_CPUINFO,
  });
  const changes: VpnState[] = [];
  supervisor.onChange((s) => changes.push(s.state));
  running.push(supervisor);
  const logs = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  return { config, fake, supervisor, changes, lines, logs };
}

const running: OpenVpnSupervisor[] = [];
const dirs: string[] = [];
beforeEach(() => useFakeTime());
afterEach(async () => {
  const stops = running.splice(0).map((s) => s.stop());
  await vi.advanceTimersByTimeAsync(30_000);
  await Promise.all(stops);
  vi.useRealTimers();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('OpenVPN supervisor', () => {
  it('starts openvpn with the profile, releases its hold and follows it to CONNECTED with the assigned address', async () => {
    const { supervisor, fake, config, changes } = setup();
    await supervisor.start();
    await advanceUntil(() => supervisor.status().state === 'up', 3_000, 'up');

    const p = fake.processes[0]!;
    expect(p.file).toBe('openvpn');
    expect(p.args.slice(0, 2)).toEqual(['--config', config.profile]);
    expect(p.arg('--management')).toBe(join(config.runtimeDir, 'openvpn.sock'));
    expect(p.args).toContain('--management-hold');
    expect(p.arg('--auth-user-pass')).toBe(config.authFile);
    expect(p.arg('--dev')).toBe('tun0');
    expect(p.commands.slice(0, 3)).toEqual(['state on', 'bytecount 1', 'hold release']);
    expect(supervisor.status()).toMatchObject({
      kind: 'openvpn',
      interface: 'tun0',
      state: 'up',
      address: '10.8.0.3',
      endpoint: '203.0.113.1:1194',
      endpointHost: null,
      handshakeAgeS: null,
      restarts: 0,
    });
    await advance(2_000);
    expect(supervisor.status().rxBytes).toBeGreaterThan(0);
    expect(changes).toEqual(['up']);
    expect((await readStatusFile(join(config.runtimeDir, 'status.json')))?.state).toBe('up');
  });

  it('asks for ChaCha20 on a CPU without AES instructions, not on one with them', async () => {
    const pi = setup({ cpuinfo: PI4_CPUINFO });
    await pi.supervisor.start();
    await untilIo(() => pi.fake.processes.length === 1, 'openvpn started');
    expect(pi.fake.processes[0]!.arg('--data-ciphers')).toBe('CHACHA20-POLY1305');

    const x86 = setup({ cpuinfo: X86_CPUINFO });
    await x86.supervisor.start();
    await untilIo(() => x86.fake.processes.length === 1, 'openvpn started');
    expect(x86.fake.processes[0]!.args).not.toContain('--data-ciphers');

    const pinned = setup({ cipher: 'profile' });
    await pinned.supervisor.start();
    await untilIo(() => pinned.fake.processes.length === 1, 'openvpn started');
    expect(pinned.fake.processes[0]!.args).not.toContain('--data-ciphers');
  });

  it('a server that refuses ChaCha20: the next attempt uses the profile ciphers and connects', async () => {
    const { supervisor, fake, logs } = setup({ cpuinfo: PI4_CPUINFO });
    fake.serverCiphers = ['AES-256-GCM'];
    await supervisor.start();
    await advanceUntil(() => supervisor.status().state === 'up', 10_000, 'up');
    expect(fake.processes).toHaveLength(2);
    expect(fake.processes[1]!.args).not.toContain('--data-ciphers');
    expect(logs().some((l) => String(l.msg).includes('CHACHA20-POLY1305'))).toBe(true);
    expect(supervisor.status().restarts).toBe(1);
  });

  it('server lost: stale, then down; openvpn is restarted with backoff; server back: up again', async () => {
    const { supervisor, fake, changes, config } = setup();
    await supervisor.start();
    await advanceUntil(() => supervisor.status().state === 'up', 3_000, 'up');
    await advance(2_000);

    fake.serverUp = false;
    const stale = await advanceUntil(() => supervisor.status().state === 'stale', 10_000, 'stale');
    expect(stale).toBeLessThanOrEqual(3_000 + 1_000 + 500);
    const down = await advanceUntil(() => supervisor.status().state === 'down', 15_000, 'down');
    expect(stale + down).toBeLessThanOrEqual(8_000 + 1_000 + 500);
    // The change was noticed between polls (openvpn's own messages): `vpn status` sees it at once too.
    await untilIo(
      async () => (await readStatusFile(join(config.runtimeDir, 'status.json')))?.state === 'down',
      'status file says down',
    );
    await advanceUntil(() => fake.processes.length >= 2, 10_000, 'restarted');
    expect(fake.processes[0]!.signals).toEqual(['SIGTERM']);

    fake.serverUp = true;
    const back = await advanceUntil(() => supervisor.status().state === 'up', 5_000, 'up again');
    expect(back).toBeLessThanOrEqual(1_500);
    expect(supervisor.status()).toMatchObject({ reconnects: 1, lastError: null, address: '10.8.0.3' });
    expect(changes).toEqual(['up', 'stale', 'down', 'up']);
  });

  it('a crashing openvpn is restarted with a doubling pause', async () => {
    const { supervisor, fake } = setup();
    fake.crashOnStart = true;
    await supervisor.start();
    const started: number[] = [];
    let seen = 0;
    for (let t = 0; t < 24_000; t += 250) {
      await advance(250);
      while (fake.processes.length > seen) {
        seen += 1;
        started.push(t);
      }
    }
    // Restarted at the next poll, then after 2, 4, 8, 8 s (doubling, capped; no jitter in this test).
    const gaps = started.slice(1).map((t, i) => t - started[i]!);
    expect(gaps[0]).toBeLessThanOrEqual(1_000);
    expect(gaps.slice(1, 4)).toEqual([2_000, 4_000, 8_000].map((ms) => expect.closeTo(ms, -3)));
    expect(supervisor.status().state).toBe('down');
    expect(supervisor.status().lastError).toMatch(/openvpn exited \(code 1\)/);

    fake.crashOnStart = false;
    await advanceUntil(() => supervisor.status().state === 'up', 15_000, 'up');
  });

  it('an openvpn stuck before CONNECTED (server silent from the start) is restarted after downAfterS', async () => {
    const { supervisor, fake } = setup();
    fake.serverUp = false;
    await supervisor.start();
    await advance(7_000);
    expect(supervisor.status().state).toBe('connecting');
    expect(fake.processes).toHaveLength(1);
    await advanceUntil(() => fake.processes.length === 2, 3_000, 'restarted');
    expect(supervisor.status().state).toBe('down');
  });

  it('stop: SIGTERM, and SIGKILL when openvpn does not exit', async () => {
    const { supervisor, fake } = setup();
    await supervisor.start();
    await advanceUntil(() => supervisor.status().state === 'up', 3_000, 'up');
    fake.ignoreSigterm = true;
    const stopped = supervisor.stop();
    await advance(6_000);
    await stopped;
    expect(fake.processes[0]!.signals).toEqual(['SIGTERM', 'SIGKILL']);
    expect(fake.live).toBeUndefined();
    expect(supervisor.status().state).toBe('stopped');
  });

  it('a profile asking for a password without vpn.authFile is refused with the fix, and nothing logs a password', async () => {
    const { supervisor, fake, lines } = setup({ authFile: false });
    await supervisor.start();
    await advance(2_000);
    expect(fake.processes).toHaveLength(0);
    expect(supervisor.status().lastError).toMatch(/asks for a user name and password: set vpn\.authFile/);
    expect(lines.join('\n')).not.toContain('S3cret-never-logged');
  });
});
