// No anonymous access beyond this machine: the embedded broker opens a listener on anything but
// loopback only once a user exists. Users are made with `smart-tank user` (the built CLI), which
// refuses weak passwords and never takes one on its command line.

import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { EXAMPLE_CONFIG_FILE } from '../helpers/config.js';
import { CLI, tempDir, waitFor, writeConfig } from '../helpers/daemon.js';

const LOGIN = new URL('../helpers/mqtt-login.mjs', import.meta.url).pathname;

function smartTank(args: string[], input?: string) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', input, timeout: 30_000 });
}

describe('embedded broker listeners', () => {
  const ns = `lst-${process.pid}`;
  const address = '10.99.0.1';
  const dir = tempDir('listeners-');
  afterAll(() => {
    spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' })
      .stdout.split('\n')
      .filter(Boolean)
      .forEach((pid) => spawnSync('kill', ['-9', pid]));
    spawnSync('ip', ['netns', 'del', ns]);
  });

  it('a non-loopback listener stays closed until a user exists; then it requires a login', async () => {
    execFileSync('ip', ['netns', 'add', ns]);
    execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    execFileSync('ip', ['-n', ns, 'addr', 'add', `${address}/32`, 'dev', 'lo']);

    const config = parse(readFileSync(EXAMPLE_CONFIG_FILE, 'utf8')) as Record<
      string,
      Record<string, unknown>
    >;
    config.gateway!.stateDir = join(dir, 'state');
    config.mqtt = {
      ...config.mqtt,
      listen: [
        { host: '127.0.0.1', port: 18830 },
        { host: address, port: 18831 },
      ],
      users: {
        passwordFile: join(dir, 'passwd'),
        aclFile: join(dir, 'acl'),
        hmacKeysFile: join(dir, 'keys'),
      },
    };
    config.web = { listen: { host: '127.0.0.1', port: 0 } };
    const file = writeConfig(dir, config);
    const run = () => {
      const child = spawn('ip', ['netns', 'exec', ns, process.execPath, CLI, 'run', '--config', file], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let log = '';
      child.stderr!.on('data', (d) => (log += d));
      return { child, log: () => log };
    };
    const loginFromNs = (password: string) =>
      spawnSync(
        'ip',
        ['netns', 'exec', ns, process.execPath, LOGIN, address, '18831', 'alice', password, address],
        { encoding: 'utf8' },
      ).stdout.trim();

    const first = run();
    await waitFor(() => first.log().includes('gateway ready') || undefined, 15_000, 'the daemon to start');
    expect(first.log()).toMatch(/MQTT listener not opened: no user exists yet.*"host":"10\.99\.0\.1"/);
    expect(loginFromNs('whatever')).toMatch(/^unreachable/);
    first.child.kill('SIGTERM');
    await new Promise((r) => first.child.once('exit', r));

    // Weak passwords are refused; a good one makes the user, in Mosquitto's formats.
    const weak = smartTank(
      ['user', 'add', 'alice', '--role', 'admin', '--password-stdin', '--config', file],
      'short\n',
    );
    expect(weak.status).toBe(1);
    expect(weak.stderr).toMatch(/at least 10 characters/);
    const ok = smartTank(
      ['user', 'add', 'alice', '--role', 'admin', '--password-stdin', '--config', file],
      'a-good-password\n',
    );
    expect(ok.status, ok.stderr).toBe(0);
    expect(readFileSync(join(dir, 'passwd'), 'utf8')).toMatch(/^alice:\$7\$\d+\$/);
    expect(readFileSync(join(dir, 'acl'), 'utf8')).toMatch(
      /# smart-tank: role=admin command=no\nuser alice\n/,
    );
    expect(smartTank(['user', 'list', '--config', file]).stdout).toBe('alice\tadmin\n');

    const second = run();
    await waitFor(
      () => second.log().includes('gateway ready') || undefined,
      15_000,
      'the daemon to start again',
    );
    expect(second.log()).toMatch(/embedded MQTT broker listening","host":"10\.99\.0\.1"/);
    expect(loginFromNs('wrong-password-1')).toBe('refused');
    expect(loginFromNs('a-good-password')).toBe('ok');
    second.child.kill('SIGTERM');
    await new Promise((r) => second.child.once('exit', r));

    expect(smartTank(['user', 'del', 'alice', '--config', file]).status).toBe(0);
    expect(readFileSync(join(dir, 'passwd'), 'utf8')).toBe('');
  }, 90_000);
});
