// The gateway's bridge to the fleet hub broker, as generated: a gateway Mosquitto running the os-image's
// smart-tank.conf, the bundle's users and ACL and the bundle's bridge drop-in (its address moved to this
// test's hub on loopback), and a hub Mosquitto with the bridge users and ACL from `provision hub-config`.
// Telemetry goes out, commands come in (QoS 1), a gateway cannot write another's topics, and what is
// published while the hub is down arrives once it is back.

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../daemon/security/password-file.js';
import { readBundle, type ReadBundle } from '../../provisioning/bundle.js';
import { freePort } from '../helpers/mqtt-plane.js';
import { makeSite, startMosquitto, type Broker, type TestSite } from './site-fixture.js';

const MOSQUITTO_CONF = new URL('../../os-image/mosquitto/smart-tank.conf', import.meta.url).pathname;
/** A bridge reconnects within its restart_timeout; the generated 5-60 s backoff is shortened here. */
const TEST_RESTART_TIMEOUT = 'restart_timeout 1 2';
const DELIVERY_TIMEOUT_MS = 15_000;
const POLL_MS = 20;
const OPERATOR = { user: 'operator', password: 'operator-password-1' };
const A = 'farm-gw-01';
const B = 'farm-gw-02';

let site: TestSite;
let work: string;
let hubPort: number;
let gwPort: number;
let hub: Broker;
let gateway: Broker;
let bundleA: ReadBundle;
let bundleB: ReadBundle;
const clients: MqttClient[] = [];

interface Recorded {
  c: MqttClient;
  /** Every message this client got, from its first packet on (no message can slip past a listener). */
  log: { topic: string; payload: string }[];
}

function client(port: number, options: IClientOptions): Promise<Recorded> {
  const c = connect(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, connectTimeout: 5_000, ...options });
  const rec: Recorded = { c, log: [] };
  c.on('message', (topic, payload) => rec.log.push({ topic, payload: payload.toString() }));
  clients.push(c);
  return new Promise((resolve, reject) => {
    c.once('connect', () => resolve(rec));
    c.once('error', reject);
  });
}

/** The first message (already received or to come) on `topic` whose payload matches. */
async function next(rec: Recorded, topic: string, payload?: string): Promise<string> {
  const match = () =>
    rec.log.find((m) => m.topic === topic && (payload === undefined || m.payload === payload))?.payload;
  const start = Date.now();
  for (let found = match(); ; found = match()) {
    if (found !== undefined) return found;
    if (Date.now() - start > DELIVERY_TIMEOUT_MS)
      throw new Error(`no message on ${topic} within ${DELIVERY_TIMEOUT_MS} ms`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

async function startHub(): Promise<Broker> {
  return startMosquitto(join(work, 'hub.conf'), hubPort);
}

/** The operator's persistent session on the hub (keeps QoS 1 messages for it across a hub restart). */
async function operator(): Promise<Recorded> {
  const op = await client(hubPort, {
    clientId: 'fleet-operator',
    clean: false,
    username: OPERATOR.user,
    password: OPERATOR.password,
  });
  await op.c.subscribeAsync('smart-tank/#', { qos: 1 });
  return op;
}

beforeAll(async () => {
  site = await makeSite({ extra: ['--fleet'] });
  for (const d of [A, B]) {
    await site.ok('add-device', d, '--server', '1');
    await site.ok('bundle', d);
  }
  await site.ok('hub-config', '--server', '1');
  bundleA = await readBundle(join(site.dir, `out/devices/${A}/smart-tank`));
  bundleB = await readBundle(join(site.dir, `out/devices/${B}/smart-tank`));
  work = mkdtempSync(join(tmpdir(), 'st-prov-bridge-'));
  mkdirSync(join(work, 'hub-data'));
  mkdirSync(join(work, 'gw-data'));
  hubPort = await freePort();
  gwPort = await freePort();

  // The hub: the generated bridge users and ACL, plus an operator of the fleet.
  const hubDir = join(site.dir, 'out/servers/server-1');
  writeFileSync(
    join(work, 'hub.passwd'),
    readFileSync(join(hubDir, 'fleet-bridges.passwd'), 'utf8') +
      `${OPERATOR.user}:${await hashPassword(OPERATOR.password)}\n`,
  );
  writeFileSync(
    join(work, 'hub.acl'),
    readFileSync(join(hubDir, 'fleet-bridges.acl'), 'utf8') +
      `\nuser ${OPERATOR.user}\ntopic read smart-tank/#\ntopic write smart-tank/+/command/${OPERATOR.user}\n`,
  );
  writeFileSync(
    join(work, 'hub.conf'),
    `per_listener_settings false\nallow_anonymous false\nuser root\npassword_file ${work}/hub.passwd\n` +
      `acl_file ${work}/hub.acl\nlistener ${hubPort} 127.0.0.1\npersistence true\npersistence_location ${work}/hub-data/\n`,
  );

  // The gateway: os-image's Mosquitto config, the bundle's users and ACL, the bundle's bridge.
  for (const f of ['mqtt.passwd', 'mqtt.acl']) {
    writeFileSync(join(work, f), bundleA.files.get(`/etc/smart-tank/${f}`)!);
  }
  const bridge = bundleA.files
    .get('/etc/mosquitto/conf.d/smart-tank-bridge.conf')!
    .toString()
    .replace(/^address 192\.168\.0\.1:1883$/m, `address 127.0.0.1:${hubPort}`)
    .replace(/^restart_timeout .*$/m, TEST_RESTART_TIMEOUT);
  expect(bridge).toContain(`address 127.0.0.1:${hubPort}\nbridge_protocol_version mqttv311`);
  const base = readFileSync(MOSQUITTO_CONF, 'utf8')
    .replaceAll('/etc/smart-tank/', `${work}/`)
    .replace(/^listener 1883 127\.0\.0\.1$/m, `listener ${gwPort} 127.0.0.1`);
  writeFileSync(
    join(work, 'gateway.conf'),
    `${base}\nuser root\npersistence true\npersistence_location ${work}/gw-data/\n${bridge}`,
  );
  hub = await startHub();
  gateway = await startMosquitto(join(work, 'gateway.conf'), gwPort);
});

afterAll(async () => {
  for (const c of clients.splice(0)) await c.endAsync(true).catch(() => {});
  await gateway?.stop();
  await hub?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the fleet hub bridge (generated stanza, real Mosquitto on both ends)', () => {
  let op: Recorded;
  let daemon: Recorded;

  it('connects with its own login and announces itself on the hub', async () => {
    op = await operator();
    await next(op, `smart-tank/${A}/bridge`, '1');
    expect(gateway.output()).toMatch(/Bridge bridge-farm-gw-01 sending CONNECT/);
  });

  it('takes telemetry out and commands in, at QoS 1', async () => {
    daemon = await client(gwPort, {
      clientId: `smart-tank-${A}`,
      username: 'gateway',
      password: bundleA.files.get('/etc/smart-tank/mqtt-password')!.toString().trim(),
    });
    await daemon.c.subscribeAsync(`smart-tank/${A}/command/#`, { qos: 1 });
    await daemon.c.publishAsync(`smart-tank/${A}/tank/paddock/state`, '{"levelPct":42}', {
      qos: 1,
      retain: true,
    });
    expect(await next(op, `smart-tank/${A}/tank/paddock/state`)).toBe('{"levelPct":42}');
    await daemon.c.publishAsync(`smart-tank/${A}/status`, 'online', { qos: 1, retain: true });
    await next(op, `smart-tank/${A}/status`, 'online');

    const command = '{"id":"cmd-000001","action":"valve"}';
    await op.c.publishAsync(`smart-tank/${A}/command/${OPERATOR.user}`, command, { qos: 1 });
    expect(await next(daemon, `smart-tank/${A}/command/${OPERATOR.user}`)).toBe(command);
    const answer = '{"id":"cmd-000001","result":"accepted"}';
    await daemon.c.publishAsync(`smart-tank/${A}/result/${OPERATOR.user}`, answer, { qos: 1 });
    expect(await next(op, `smart-tank/${A}/result/${OPERATOR.user}`)).toBe(answer);
  });

  it("a gateway's bridge login cannot write another gateway's topics on the hub", async () => {
    const password = /remote_password (\S+)/.exec(
      bundleB.files.get('/etc/mosquitto/conf.d/smart-tank-bridge.conf')!.toString(),
    )![1]!;
    const impostor = await client(hubPort, { clientId: 'impostor', username: B, password });
    const mark = op.log.length;
    await impostor.c.publishAsync(`smart-tank/${A}/tank/paddock/state`, '{"levelPct":0}', { qos: 1 });
    await impostor.c.publishAsync(`smart-tank/${B}/status`, 'online', { qos: 1 });
    // The same connection's messages arrive in order: by the time its own arrives, a forged one would have.
    await next(op, `smart-tank/${B}/status`, 'online');
    expect(op.log.slice(mark).map((m) => m.payload)).not.toContain('{"levelPct":0}');
  });

  it('what the gateway publishes while the hub is down arrives, in order, once the hub is back', async () => {
    await op.c.endAsync();
    await hub.stop();
    const topic = `smart-tank/${A}/tank/paddock/event`;
    for (let i = 1; i <= 5; i++) await daemon.c.publishAsync(topic, `{"seq":${i}}`, { qos: 1 });
    hub = await startHub();
    // The operator's persistent session: the hub queued what the bridge delivered while it was away.
    op = await client(hubPort, {
      clientId: 'fleet-operator',
      clean: false,
      username: OPERATOR.user,
      password: OPERATOR.password,
    });
    await next(op, topic, `{"seq":5}`);
    expect(op.log.filter((m) => m.topic === topic).map((m) => m.payload)).toEqual(
      [1, 2, 3, 4, 5].map((i) => `{"seq":${i}}`),
    );
  });
});
