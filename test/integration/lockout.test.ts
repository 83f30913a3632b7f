// Five wrong passwords lock a client address out, on both brokers: the embedded broker does it itself;
// on the Pi image, fail2ban does it for Mosquitto from Mosquitto's log (os-image/fail2ban), which this
// test runs for real — Mosquitto, fail2ban and nftables inside a network namespace the test creates.

import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../daemon/config/load.js';
import { addUser, loadUserFiles, saveUserFiles } from '../../daemon/security/user-admin.js';
import { tempDir, waitFor } from '../helpers/daemon.js';
import { login, PASSWORDS, PlaneUnderTest, readFileSafe } from '../helpers/mqtt-plane.js';

const OS_IMAGE = new URL('../../os-image/', import.meta.url).pathname;

describe('lockout on the embedded broker', () => {
  const planes: PlaneUnderTest[] = [];
  afterAll(async () => {
    for (const p of planes) await p.close();
  });

  it('5 wrong passwords from one address lock it out, even with the right password; other addresses are not affected', async () => {
    const plane = await new PlaneUnderTest('embedded').start();
    planes.push(plane);
    const at = (from: string, password: string) =>
      login({ host: '127.0.0.1', port: plane.port, user: 'alice', password, from });
    for (let i = 0; i < 5; i++) expect(at('127.0.0.2', 'wrong-password')).toBe('refused');
    expect(at('127.0.0.2', PASSWORDS.alice!)).toBe('refused');
    expect(at('127.0.0.1', PASSWORDS.alice!)).toBe('ok');
    const audit = readFileSync(plane.auditFile, 'utf8');
    expect(audit.match(/"kind":"login-failed"/g)).toHaveLength(5);
    expect(audit).toMatch(/"kind":"lockout","who":"alice","from":"(::ffff:)?127\.0\.0\.2[" ]/);
    // The daemon itself keeps working: a command still acts.
    expect(plane.daemon.child.exitCode).toBeNull();
  }, 60_000);
});

describe('lockout for Mosquitto: fail2ban on its log (os-image config)', () => {
  const ns = `f2b-${process.pid}`;
  const dir = tempDir('f2b-');
  const procs: ChildProcess[] = [];

  afterAll(() => {
    spawnSync('ip', ['netns', 'exec', ns, 'fail2ban-client', '-c', join(dir, 'fail2ban'), 'stop']);
    for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL');
    spawnSync('ip', ['netns', 'del', ns]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('5 wrong passwords from one address get it banned by nftables; the right password from elsewhere still works', async () => {
    execFileSync('ip', ['netns', 'add', ns]);
    execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);

    const at = (from: string, password: string) =>
      login({ ns, host: '127.0.0.1', port: 1883, user: 'alice', password, from });

    // Users and ACL as `smart-tank user` writes them.
    const etc = join(dir, 'etc');
    mkdirSync(etc, { recursive: true });
    const mqtt = validateConfig({
      gateway: { id: 'gw' },
      mqtt: {
        users: {
          passwordFile: join(etc, 'mqtt.passwd'),
          aclFile: join(etc, 'mqtt.acl'),
          hmacKeysFile: join(etc, 'hmac.keys'),
        },
      },
      tanks: [
        {
          id: 't',
          geometry: { shape: 'vertical-cylinder', diameterMm: 1000, heightMm: 1000 },
          level: { ultrasonic: { mountHeightMm: 1300 } },
          valves: [{ id: 'v', pin: 23 }],
        },
      ],
    }).mqtt;
    const files = await loadUserFiles(mqtt);
    await addUser(files, 'alice', 'admin', PASSWORDS.alice!);
    await addUser(files, 'vic', 'viewer', PASSWORDS.vic!);
    await saveUserFiles(mqtt, files);

    // Mosquitto with the image's drop-in, on the namespace's loopback, port 1883 as on the Pi.
    const log = join(dir, 'mosquitto.log');
    const conf = readFileSync(join(OS_IMAGE, 'mosquitto/smart-tank.conf'), 'utf8').replaceAll(
      '/etc/smart-tank/',
      `${etc}/`,
    );
    writeFileSync(join(dir, 'mosquitto.conf'), `${conf}\nuser root\nlog_dest file ${log}\n`);
    procs.push(
      spawn('ip', ['netns', 'exec', ns, 'mosquitto', '-c', join(dir, 'mosquitto.conf')], { stdio: 'ignore' }),
    );

    // fail2ban: Debian's configuration plus the image's filter and jail, logging to this test's files.
    const f2b = join(dir, 'fail2ban');
    cpSync('/etc/fail2ban', f2b, { recursive: true });
    for (const f of readdirSync(join(f2b, 'jail.d'))) rmSync(join(f2b, 'jail.d', f));
    cpSync(
      join(OS_IMAGE, 'fail2ban/filter.d/mosquitto-auth.conf'),
      join(f2b, 'filter.d/mosquitto-auth.conf'),
    );
    const jail = readFileSync(join(OS_IMAGE, 'fail2ban/jail.d/smart-tank-mosquitto.conf'), 'utf8').replace(
      /^logpath = .*$/m,
      `logpath = ${log}`,
    );
    writeFileSync(join(f2b, 'jail.d/smart-tank-mosquitto.conf'), jail);
    // The attacker is on the namespace's loopback, which fail2ban ignores by default ("ignoreself").
    writeFileSync(join(f2b, 'jail.local'), '[DEFAULT]\nignoreself = false\n[sshd]\nenabled = false\n');
    writeFileSync(
      join(f2b, 'fail2ban.local'),
      `[Definition]\nloglevel = INFO\nlogtarget = ${dir}/fail2ban.log\nsocket = ${dir}/f2b.sock\npidfile = ${dir}/f2b.pid\ndbfile = :memory:\n`,
    );
    writeFileSync(log, '');
    await waitFor(
      () => (at('127.0.0.1', PASSWORDS.alice!) === 'ok' ? true : undefined),
      10_000,
      'mosquitto to take logins',
    );
    procs.push(
      spawn('ip', ['netns', 'exec', ns, 'fail2ban-client', '-c', f2b, '-x', '-f', 'start'], {
        stdio: 'ignore',
      }),
    );
    await waitFor(
      () => readFileSafe(join(dir, 'fail2ban.log')).includes("Jail 'mosquitto-auth' started") || undefined,
      15_000,
      'the fail2ban jail',
    );

    expect(at('127.0.0.1', PASSWORDS.alice!)).toBe('ok');
    for (let i = 0; i < 5; i++) expect(at('127.0.0.2', 'wrong-password')).toBe('refused');
    // fail2ban polls the log once a second; then the address cannot even connect.
    await waitFor(
      () => at('127.0.0.2', PASSWORDS.alice!).startsWith('unreachable') || undefined,
      15_000,
      'the ban',
    );
    expect(at('127.0.0.1', PASSWORDS.alice!)).toBe('ok');
    expect(readFileSafe(join(dir, 'fail2ban.log'))).toMatch(/\[mosquitto-auth\] Ban 127\.0\.0\.2/);

    // Good logins launder nothing here: fail2ban counts failures only. 4 wrong admin guesses, a good
    // viewer login, one more wrong guess: banned.
    const viewer = (from: string) =>
      login({ ns, host: '127.0.0.1', port: 1883, user: 'vic', password: PASSWORDS.vic!, from });
    for (let i = 0; i < 4; i++) expect(at('127.0.0.3', 'wrong-password')).toBe('refused');
    expect(viewer('127.0.0.3')).toBe('ok');
    expect(at('127.0.0.3', 'wrong-password')).toBe('refused');
    await waitFor(() => viewer('127.0.0.3').startsWith('unreachable') || undefined, 15_000, 'the second ban');
  }, 90_000);
});
