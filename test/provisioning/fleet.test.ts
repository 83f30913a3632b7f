// The fleet's provisioning: operators (users of their own on every gateway, with the password of the
// fleet page and, for an admin, the key the fleet service signs with), the hub broker's files (Mosquitto
// drop-in, systemd drop-in checked by systemd-analyze, bridge to the central tier) and the central
// tier's (rabbitmq.conf, definitions whose logins and permissions are what the hubs and the fleet
// service need, the fleet service's folder, valid for `smart-tank fleet check`). No secret in a
// committable file. (The configs run for real in test/integration/fleet.)

import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseHmacKeys } from '../../daemon/security/hmac.js';
import { parsePasswordFile, verifyPassword } from '../../daemon/security/password-file.js';
import { usersFromAcl } from '../../daemon/security/roles.js';
import { rabbitPasswordHash } from '../../provisioning/central-files.js';
import { readBundle } from '../../provisioning/bundle.js';
import { tempDir } from '../helpers/daemon.js';
import { makeSite, smartTank, type TestSite } from './site-fixture.js';

let site: TestSite;
const mode = (p: string) => statSync(p).mode & 0o777;

interface Definitions {
  users: { name: string; password_hash: string }[];
  permissions: { user: string; configure: string; write: string; read: string }[];
  topic_permissions: { user: string; write: string; read: string }[];
  policies: { pattern: string; definition: Record<string, unknown> }[];
}

beforeAll(async () => {
  site = await makeSite({ extra: ['--fleet'], network: '10.77.0.0/16' });
  await site.ok('add-server', '--endpoint', 'vpn2.testfarm.example');
  await site.ok('operator', 'add', 'olivia', '--role', 'admin');
  await site.ok('operator', 'add', 'vera', '--role', 'viewer');
  for (const [d, s] of [
    ['farm-gw-01', '1'],
    ['farm-gw-02', '1'],
    ['farm-gw-03', '2'],
  ] as const) {
    await site.ok('add-device', d, '--server', s);
    await site.ok('bundle', d);
  }
});

describe('fleet operators', () => {
  it('are on every gateway bundled since, with the fleet page password; an admin with its signing key', async () => {
    const b = await readBundle(join(site.dir, 'out/devices/farm-gw-01/smart-tank'));
    const file = (p: string) => b.files.get(p)!.toString();
    const users = usersFromAcl(file('/etc/smart-tank/mqtt.acl'));
    expect(users).toEqual(
      expect.arrayContaining([
        { user: 'olivia', role: 'admin', canCommand: false },
        { user: 'vera', role: 'viewer', canCommand: false },
      ]),
    );
    const password = /Password: (\S+)/.exec(site.read('out/operators/olivia/credentials.txt'))![1]!;
    const hash = parsePasswordFile(file('/etc/smart-tank/mqtt.passwd')).get('olivia')!;
    expect(await verifyPassword(password, hash)).toBe(true);
    const keys = parseHmacKeys(file('/etc/smart-tank/hmac.keys'));
    expect(keys.get('olivia')).toHaveLength(32);
    expect(keys.has('vera')).toBe(false);
  });

  it('are listed, refused when their name is taken or malformed, and removed', async () => {
    expect((await site.ok('operator', 'list')).out).toBe('olivia\tadmin\nvera\tviewer');
    const twice = await site.provision('operator', 'add', 'olivia', '--role', 'admin');
    expect(twice.code).toBe(1);
    expect(twice.err).toContain('exists already');
    const clash = await site.provision('operator', 'add', 'admin', '--role', 'admin');
    expect(clash.err).toContain("a gateway's own user name");
    const badRole = await site.provision('operator', 'add', 'otto', '--role', 'root');
    expect(badRole.code).toBe(2);
    const badName = await site.provision('operator', 'add', 'Otto Smith', '--role', 'viewer');
    expect(badName.code).toBe(1);
    expect(badName.err).toContain('fleet.operators');
    await site.ok('operator', 'add', 'tmp-op', '--role', 'viewer');
    const del = await site.ok('operator', 'del', 'tmp-op');
    expect(del.out).toContain('farm-gw-01, farm-gw-02, farm-gw-03');
    expect((await site.ok('operator', 'list')).out).not.toContain('tmp-op');
    // A bundle whose first admin would be an operator's name is refused.
    const sameName = await site.provision('bundle', 'farm-gw-01', '--force', '--admin', 'olivia');
    expect(sameName.code).toBe(1);
    expect(sameName.err).toContain('fleet operator olivia');
  });
});

describe('the central tier', () => {
  let defs: Definitions;

  beforeAll(async () => {
    const none = await site.provision('central-config');
    expect(none.code).toBe(1);
    expect(none.err).toContain('--nodes');
    await site.ok(
      'central-config',
      '--nodes',
      'central-1.testfarm.example,central-2.testfarm.example:1884,10.0.0.3=rabbit@c3',
    );
    defs = JSON.parse(site.read('out/central/definitions.json')) as Definitions;
  });

  it('writes one rabbitmq.conf for every node: MQTT, quorum queues for sessions, the members, pause_minority', () => {
    const conf = site.read('out/central/rabbitmq.conf');
    for (const line of [
      'mqtt.durable_queue_type = quorum',
      'mqtt.allow_anonymous = false',
      'listeners.tcp = none',
      'cluster_formation.classic_config.nodes.1 = rabbit@central-1',
      'cluster_formation.classic_config.nodes.2 = rabbit@central-2',
      'cluster_formation.classic_config.nodes.3 = rabbit@c3',
      'cluster_partition_handling = pause_minority',
    ])
      expect(conf).toContain(line);
    expect(site.read('out/central/enabled_plugins')).toBe('[rabbitmq_mqtt].\n');
    expect(mode(join(site.dir, 'out/central/definitions.json'))).toBe(0o600);
  });

  it("holds each login's password hash in RabbitMQ's format", () => {
    expect(defs.users.map((u) => u.name).sort()).toEqual(['fleet', 'hub-server-1', 'hub-server-2']);
    for (const u of defs.users) {
      const password = site.read(`secrets/fleet/${u.name}.password`).trim();
      const salt = Buffer.from(u.password_hash, 'base64').subarray(0, 4);
      expect(rabbitPasswordHash(password, salt), u.name).toBe(u.password_hash);
    }
  });

  it('lets a hub write telemetry and read commands, the fleet service read telemetry and write commands', () => {
    const topic = (user: string) => defs.topic_permissions.find((p) => p.user === user)!;
    const hub = topic('hub-server-1');
    const fleet = topic('fleet');
    const rk = (t: string) => t.replaceAll('/', '.').replaceAll('+', '*');
    const may = (re: string, t: string) => new RegExp(re).test(rk(t));
    for (const t of [
      'smart-tank/farm-gw-01/tank/house/state',
      'smart-tank/x/status',
      'smart-tank/x/result/olivia',
      'fleet-hub/server-1/bridge',
    ]) {
      expect(may(hub.write, t), `hub writes ${t}`).toBe(true);
    }
    for (const t of ['smart-tank/farm-gw-01/command/olivia', 'fleet-hub/server-2/bridge', 'other/x'])
      expect(may(hub.write, t), `hub may not write ${t}`).toBe(false);
    expect(may(hub.read, 'smart-tank/farm-gw-01/command/#')).toBe(true);
    expect(may(hub.read, 'smart-tank/+/tank/#')).toBe(false);
    expect(may(fleet.write, 'smart-tank/farm-gw-01/command/olivia')).toBe(true);
    expect(may(fleet.write, 'smart-tank/farm-gw-01/tank/house/state')).toBe(false);
    expect(may(fleet.read, 'smart-tank/+/tank/+/state')).toBe(true);
    // Each login declares only its own session queue.
    const perm = (user: string) => defs.permissions.find((p) => p.user === user)!;
    expect(new RegExp(perm('hub-server-1').configure).test('mqtt-subscription-fleet-hub-server-1qos1')).toBe(
      true,
    );
    expect(new RegExp(perm('hub-server-1').configure).test('mqtt-subscription-fleet-hub-server-2qos1')).toBe(
      false,
    );
    expect(new RegExp(perm('fleet').configure).test('mqtt-subscription-smart-tank-fleetqos1')).toBe(true);
    expect(defs.policies[0]).toMatchObject({
      pattern: '^mqtt-subscription-',
      definition: { overflow: 'drop-head' },
    });
  });

  it("writes the fleet service's folder, which `smart-tank fleet check` accepts", async () => {
    const dir = join(site.dir, 'out/central/fleet');
    const r = await smartTank(['fleet', 'check', '--config', join(dir, 'fleet.yaml')]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain('3 central node(s), 1 inventory file(s)');
    expect(usersFromAcl(readFileSync(join(dir, 'users.acl'), 'utf8')).map((u) => [u.user, u.role])).toEqual([
      ['olivia', 'admin'],
      ['vera', 'viewer'],
    ]);
    expect(parseHmacKeys(readFileSync(join(dir, 'hmac.keys'), 'utf8')).has('olivia')).toBe(true);
    for (const f of ['central-password', 'users.passwd', 'hmac.keys', 'metrics-token'])
      expect(mode(join(dir, f)), f).toBe(0o600);
    const wrong = await smartTank(['fleet', 'check', '--config', join(dir, 'missing.yaml')]);
    expect(wrong.code).toBe(1);
  });
});

describe('the hub broker of a VPN server', () => {
  beforeAll(async () => {
    await site.ok('hub-config', '--server', '1');
    await site.ok('hub-config', '--server', '2');
  });

  it("listens on the server's tunnel address with explicit limits, queues and persistence", () => {
    const conf = site.read('out/servers/server-1/fleet-hub.conf');
    for (const line of [
      'listener 1883 10.77.0.1',
      'allow_anonymous false',
      'max_connections 300',
      'max_queued_messages 100000',
      'max_queued_bytes 67108864',
      'autosave_interval 30',
      'persistent_client_expiration 14d',
    ])
      expect(conf).toContain(line);
  });

  it('ships a systemd drop-in that raises the open-file limit (systemd-analyze verify with the Debian unit)', () => {
    const dropIn = site.read('out/servers/server-1/mosquitto.service.d/fleet-hub.conf');
    expect(dropIn).toMatch(/^LimitNOFILE=8192$/m);
    const dir = tempDir('hub-units-');
    copyFileSync('/lib/systemd/system/mosquitto.service', join(dir, 'mosquitto.service'));
    mkdirSync(join(dir, 'mosquitto.service.d'));
    writeFileSync(join(dir, 'mosquitto.service.d', 'fleet-hub.conf'), dropIn);
    const r = spawnSync('systemd-analyze', ['verify', join(dir, 'mosquitto.service')], {
      encoding: 'utf8',
      env: { ...process.env, SYSTEMD_UNIT_PATH: `${dir}:` },
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('bridges to every central node, hubs spread over them, commands only for its own gateways', () => {
    const one = site.read('out/servers/server-1/fleet-central.conf');
    const two = site.read('out/servers/server-2/fleet-central.conf');
    expect(one).toMatch(
      /^address central-1\.testfarm\.example:1883 central-2\.testfarm\.example:1884 10\.0\.0\.3:1883$/m,
    );
    expect(two).toMatch(
      /^address central-2\.testfarm\.example:1884 10\.0\.0\.3:1883 central-1\.testfarm\.example:1883$/m,
    );
    for (const line of [
      'bridge_protocol_version mqttv311',
      'try_private false',
      'cleansession false',
      'remote_username hub-server-1',
      'bridge_outgoing_retain false',
    ])
      expect(one).toContain(line);
    expect(one).toContain('topic smart-tank/farm-gw-01/command/# in 1');
    expect(one).toContain('topic smart-tank/farm-gw-02/command/# in 1');
    expect(one).not.toContain('farm-gw-03');
    expect(two).toContain('topic smart-tank/farm-gw-03/command/# in 1');
    const password = /remote_password (\S+)/.exec(one)![1]!;
    expect(password).toBe(site.read('secrets/fleet/hub-server-1.password').trim());
    expect(mode(join(site.dir, 'out/servers/server-1/fleet-central.conf'))).toBe(0o600);
  });

  it('leaves no fleet secret in a committable file', () => {
    const secrets = [
      ...['hub-server-1', 'hub-server-2', 'fleet'].map((u) =>
        site.read(`secrets/fleet/${u}.password`).trim(),
      ),
      ...['olivia', 'vera'].map(
        (o) => /Password: (\S+)/.exec(site.read(`out/operators/${o}/credentials.txt`))![1]!,
      ),
      site.read('out/central/fleet/metrics-token').trim(),
      ...[...parseHmacKeys(site.read('secrets/fleet/operators.hmac')).values()].map((k) =>
        k.toString('base64'),
      ),
    ];
    execFileSync('git', ['init', '-q', site.dir], { timeout: 10_000 });
    const committable = execFileSync('git', ['-C', site.dir, 'ls-files', '--others', '--exclude-standard'], {
      encoding: 'utf8',
      timeout: 10_000,
    })
      .trim()
      .split('\n');
    expect(committable).toContain('site.yaml');
    for (const f of committable) {
      const text = site.read(f);
      for (const s of secrets) expect(text.includes(s), `${f} holds a secret`).toBe(false);
    }
    expect(site.read('site.yaml')).toContain('name: olivia');
  });
});
