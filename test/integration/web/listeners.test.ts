// Where the dashboard is served: the same rules as the MQTT broker's listeners. Loopback always; a LAN
// or tunnel address only once a user exists; never to a client on a WAN address (and the config refuses
// a WAN or wildcard listen address). Optional HTTPS with the installer's certificate: the session cookie
// is then Secure and bound to the origin, and plain HTTP only redirects. A network namespace stands in
// for the gateway, with a LAN and a WAN address.

import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { EXAMPLE_CONFIG_FILE } from '../../helpers/config.js';
import { CLI, startDaemon, tempDir, writeConfig, type DaemonProcess } from '../../helpers/daemon.js';
import { http } from '../../helpers/dashboard.js';
import { freePort } from '../../helpers/mqtt-plane.js';

const HTTP_GET = new URL('../../helpers/http-get.mjs', import.meta.url).pathname;
const START_TIMEOUT_MS = 20_000;
const running: DaemonProcess[] = [];

afterAll(async () => {
  for (const d of running) {
    if (d.child.exitCode === null) d.child.kill('SIGKILL');
    await d.exited;
    d.notify.close();
  }
});

function baseConfig(dir: string): Record<string, Record<string, unknown>> {
  const config = parse(readFileSync(EXAMPLE_CONFIG_FILE, 'utf8')) as Record<string, Record<string, unknown>>;
  config.gateway!.stateDir = join(dir, 'state');
  config.mqtt = {
    ...config.mqtt,
    listen: { host: '127.0.0.1', port: 0 },
    users: { passwordFile: join(dir, 'passwd'), aclFile: join(dir, 'acl'), hmacKeysFile: join(dir, 'keys') },
  };
  return config;
}

function addUser(file: string, user: string, role: string, password: string): void {
  const r = spawnSync(
    process.execPath,
    [CLI, 'user', 'add', user, '--role', role, '--password-stdin', '--config', file],
    {
      input: `${password}\n`,
      encoding: 'utf8',
    },
  );
  if (r.status !== 0) throw new Error(`user add: ${r.stderr}`);
}

describe('dashboard listeners', () => {
  const ns = `web-${process.pid}`;
  const lan = `10.98.${process.pid % 250}.1`;
  const wan = '198.51.100.7';
  afterAll(() => {
    spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' })
      .stdout.split('\n')
      .filter(Boolean)
      .forEach((pid) => spawnSync('kill', ['-9', pid]));
    spawnSync('ip', ['netns', 'del', ns]);
  });

  it('serves LAN and tunnel addresses only once a user exists, and never a client on a WAN address', async () => {
    execFileSync('ip', ['netns', 'add', ns]);
    execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    for (const a of [lan, wan]) execFileSync('ip', ['-n', ns, 'addr', 'add', `${a}/32`, 'dev', 'lo']);
    const dir = tempDir('web-listeners-');
    const port = 18900 + (process.pid % 90);
    const config = baseConfig(dir);
    config.web = {
      listen: [
        { host: '127.0.0.1', port },
        { host: lan, port },
      ],
    };
    const file = writeConfig(dir, config);
    const get = (target: string, from: string) =>
      JSON.parse(
        execFileSync(
          'ip',
          ['netns', 'exec', ns, process.execPath, HTTP_GET, `http://${target}:${port}/`, from],
          {
            encoding: 'utf8',
          },
        ),
      ) as { status?: number; body?: string; error?: string };
    const run = async () => {
      const d = startDaemon(file, dir, {}, ['ip', 'netns', 'exec', ns]);
      running.push(d);
      await d.waitForLog((l) => l.msg === 'gateway ready', START_TIMEOUT_MS, 'gateway ready');
      return d;
    };

    const first = await run();
    const waiting = await first.waitForLog(
      (l) => l.msg === 'dashboard listener not opened',
      START_TIMEOUT_MS,
    );
    expect(waiting).toMatchObject({ host: lan, reason: expect.stringMatching(/no user exists yet/) });
    expect(get(lan, lan)).toEqual({ error: 'ECONNREFUSED' });
    expect(get('127.0.0.1', '127.0.0.1')).toMatchObject({ status: 200 });
    first.child.kill('SIGTERM');
    await first.exited;

    addUser(file, 'alice', 'admin', 'alice-password-1');
    const second = await run();
    await second.waitForLog((l) => l.msg === 'dashboard listening' && l.host === lan, START_TIMEOUT_MS);
    const fromLan = get(lan, lan);
    expect(fromLan.status).toBe(200);
    expect(fromLan.body).toContain('<script type="module" src="/assets/app.');
    // A client on a WAN address reaching the LAN listener (a router forwarding what it should not): no page.
    const fromWan = get(lan, wan);
    expect(fromWan).toEqual({ status: 403, body: 'Forbidden\n' });
    // And nothing listens on the WAN address itself.
    expect(get(wan, wan)).toEqual({ error: 'ECONNREFUSED' });
  });

  it('refuses a WAN or wildcard listen address in the config', () => {
    const dir = tempDir('web-wan-');
    for (const host of [wan, '0.0.0.0', 'tank.example.com']) {
      const config = baseConfig(dir);
      config.web = { listen: [{ host, port: 8080 }] };
      const r = spawnSync(process.execPath, [CLI, 'config', 'check', writeConfig(dir, config)], {
        encoding: 'utf8',
      });
      expect(r.status, host).toBe(1);
      expect(r.stderr + r.stdout).toMatch(/web\.listen\[0\]\.host: /);
    }
  });
});

describe('dashboard over HTTPS', () => {
  it('serves HTTPS with the installer certificate: Secure, origin-bound cookie; plain HTTP only redirects', async () => {
    const dir = tempDir('web-tls-');
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '2',
        '-subj',
        '/CN=tank gateway',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        key,
        '-out',
        cert,
      ],
      { stdio: 'ignore' },
    );
    const [port, redirectPort] = [await freePort(), await freePort()];
    const config = baseConfig(dir);
    config.web = {
      listen: [{ host: '127.0.0.1', port }],
      tls: { certFile: cert, keyFile: key, redirectPort },
    };
    const file = writeConfig(dir, config);
    addUser(file, 'alice', 'admin', 'alice-password-1');
    const d = startDaemon(file, dir);
    running.push(d);
    await d.waitForLog((l) => l.msg === 'dashboard listening' && l.protocol === 'https', START_TIMEOUT_MS);
    await d.waitForLog((l) => l.msg === 'dashboard redirect to HTTPS listening', START_TIMEOUT_MS);

    const ca = readFileSync(cert);
    const https = (path: string, options: { method?: string; body?: string } = {}) =>
      new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>(
        (resolve, reject) => {
          const req = httpsRequest(
            `https://127.0.0.1:${port}${path}`,
            { method: options.method ?? 'GET', ca, headers: { 'content-type': 'application/json' } },
            (res) => {
              let body = '';
              res.on('data', (c: Buffer) => (body += c.toString()));
              res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
            },
          );
          req.on('error', reject);
          req.end(options.body);
        },
      );
    const page = await https('/');
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toMatch(/script-src 'self';/);
    const login = await https('/api/login', {
      method: 'POST',
      body: JSON.stringify({ user: 'alice', password: 'alice-password-1' }),
    });
    expect(login.status).toBe(200);
    const cookie = (login.headers['set-cookie'] as string[])[0]!;
    expect(cookie).toMatch(/^__Host-tank-session=[\w-]{40,};/);
    expect(cookie).toMatch(/; HttpOnly; SameSite=Strict;.*; Secure$/);

    const plain = await http(`http://127.0.0.1:${redirectPort}/#/tanks?x=1`);
    expect(plain.status).toBe(308);
    expect(plain.headers.location).toBe(`https://127.0.0.1:${port}/`);
    const deep = await http(`http://127.0.0.1:${redirectPort}/api/session`);
    expect(deep.headers.location).toBe(`https://127.0.0.1:${port}/api/session`);
    // The HTTPS port does not speak plain HTTP.
    await expect(http(`http://127.0.0.1:${port}/`)).rejects.toThrow();
  });
});
