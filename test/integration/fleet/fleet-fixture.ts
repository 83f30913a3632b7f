// The fleet on loopback, built from what `smart-tank provision` generates: a site with a fleet operator
// and a gateway, the central tier (a 3-node RabbitMQ cluster from central-config's rabbitmq.conf and
// definitions.json), the hub broker of VPN server #1 (hub-config's fleet-hub.conf, bridge users and
// bridge to the central tier), and the gateway: the daemon on the simulated tank as a client of its own
// Mosquitto (os-image config) with the bundle's bridge to the hub and the bundle's operator user.
// Only addresses, ports and file paths are changed to fit loopback; every other line is as generated.

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import { parse, stringify } from 'yaml';
import { http } from '../../helpers/dashboard.js';
import { startCli, type DaemonProcess } from '../../helpers/daemon.js';
import { parseHmacKeys } from '../../../daemon/security/hmac.js';
import { parsePasswordFile } from '../../../daemon/security/password-file.js';
import { usersFromAcl } from '../../../daemon/security/roles.js';
import { readBundle } from '../../../provisioning/bundle.js';
import { PlaneUnderTest } from '../../helpers/mqtt-plane.js';
import { makeSite, type TestSite } from '../../provisioning/site-fixture.js';
import {
  freePort,
  planRabbitCluster,
  startMosquitto,
  startRabbitCluster,
  type MosquittoProcess,
  type RabbitCluster,
} from './cluster.mjs';

export const GATEWAY = 'farm-gw-01';
export const OPERATOR = 'olivia';
/** A fleet operator who may only look. */
export const VIEWER = 'vera';

/** An operator's password, as `provision operator add` wrote it for the installer. */
export function operatorPassword(fleet: { site: TestSite }, name: string): string {
  const text = readFileSync(join(fleet.site.dir, `out/operators/${name}/credentials.txt`), 'utf8');
  return /Password: (\S+)/.exec(text)![1]!;
}
export const PREFIX = 'smart-tank';
/** Bridges reconnect within their restart_timeout; the generated backoffs are shortened here. */
/**
 * From the fleet service's start to its first session on the central RabbitMQ cluster. Seconds on a quiet
 * machine; RabbitMQ 3.10's MQTT plugin answers "Server unavailable" until its client-id tracking (a Ra
 * cluster) has a leader, which three nodes sharing two loaded cores took over 30 s to elect in one CI run.
 */
const CENTRAL_CONNECT_TIMEOUT_MS = 120_000;
const GATEWAY_RESTART_TIMEOUT = 'restart_timeout 1 2';
const HUB_RESTART_TIMEOUT = 'restart_timeout 1 2';

export interface Fleet {
  site: TestSite;
  work: string;
  cluster: RabbitCluster;
  hub: MosquittoProcess;
  hubPort: number;
  plane: PlaneUnderTest;
  /** The fleet service's folder as central-config wrote it. */
  fleetDir: string;
  centralPassword: string;
  operatorKey: Buffer;
  startHub(): Promise<MosquittoProcess>;
  close(): Promise<void>;
}

/** Replaces one line of a generated file, and fails loudly when the line is not there. */
function replaceLine(text: string, pattern: RegExp, replacement: string, what: string): string {
  if (!pattern.test(text)) throw new Error(`${what}: no line matching ${pattern}`);
  return text.replace(pattern, replacement);
}

export async function startFleet(options: { daemonMqtt?: Record<string, unknown> } = {}): Promise<Fleet> {
  const site = await makeSite({ extra: ['--fleet'] });
  await site.ok('operator', 'add', OPERATOR, '--role', 'admin');
  await site.ok('operator', 'add', VIEWER, '--role', 'viewer');
  await site.ok('add-device', GATEWAY, '--server', '1');
  await site.ok('bundle', GATEWAY);
  const plan = await planRabbitCluster(['c1', 'c2', 'c3']);
  await site.ok(
    'central-config',
    '--nodes',
    plan.nodes.map((n) => `127.0.0.1:${n.mqttPort}=${n.node}`).join(','),
  );
  await site.ok('hub-config', '--server', '1');
  const work = mkdtempSync(join(tmpdir(), 'st-fleet-'));
  const serverOut = join(site.dir, 'out/servers/server-1');
  const centralOut = join(site.dir, 'out/central');

  // The central tier: every node gets the generated rabbitmq.conf with its own listener and paths.
  const rabbitConf = readFileSync(join(centralOut, 'rabbitmq.conf'), 'utf8');
  const cluster = await startRabbitCluster({
    plan,
    definitions: readFileSync(join(centralOut, 'definitions.json'), 'utf8'),
    conf: (node) =>
      replaceLine(
        replaceLine(
          rabbitConf,
          /^mqtt\.listeners\.tcp\.default = .*$/m,
          `mqtt.listeners.tcp.default = 127.0.0.1:${node.mqttPort}`,
          'rabbitmq.conf',
        ),
        /^definitions\.local\.path = .*$/m,
        `definitions.local.path = ${node.definitionsPath}`,
        'rabbitmq.conf',
      ),
  });

  // The hub: fleet-hub.conf with loopback listeners and this machine's paths, then its central bridge.
  const hubPort = await freePort();
  mkdirSync(join(work, 'hub-data'));
  for (const f of ['fleet-bridges.passwd', 'fleet-bridges.acl'])
    writeFileSync(join(work, f), readFileSync(join(serverOut, f)));
  let hubConf = readFileSync(join(serverOut, 'fleet-hub.conf'), 'utf8')
    .replaceAll('/etc/mosquitto/fleet/', `${work}/`)
    .replace(/^listener 1883 (?!127\.0\.0\.1).*\n/m, '');
  hubConf = replaceLine(
    hubConf,
    /^listener 1883 127\.0\.0\.1$/m,
    `listener ${hubPort} 127.0.0.1`,
    'hub conf',
  );
  const centralBridge = replaceLine(
    readFileSync(join(serverOut, 'fleet-central.conf'), 'utf8'),
    /^restart_timeout .*$/m,
    HUB_RESTART_TIMEOUT,
    'fleet-central.conf',
  );
  // What Debian's mosquitto.conf adds around the drop-ins; root so it reads the test's files.
  writeFileSync(
    join(work, 'hub.conf'),
    `${hubConf}\nuser root\npersistence true\npersistence_location ${work}/hub-data/\n${centralBridge}`,
  );
  const startHub = () => startMosquitto(join(work, 'hub.conf'), hubPort);
  const hub = await startHub();

  // The gateway: the bundle's bridge (to this hub) appended to the os-image config, and the bundle's
  // operator user (password hash, role, signing key) in the daemon's user files.
  const bundle = await readBundle(join(site.dir, `out/devices/${GATEWAY}/smart-tank`));
  const file = (path: string) => bundle.files.get(path)!.toString();
  const bridge = replaceLine(
    replaceLine(
      file('/etc/mosquitto/conf.d/smart-tank-bridge.conf'),
      /^address .*$/m,
      `address 127.0.0.1:${hubPort}`,
      'gateway bridge',
    ),
    /^restart_timeout .*$/m,
    GATEWAY_RESTART_TIMEOUT,
    'gateway bridge',
  );
  const operatorKey = parseHmacKeys(file('/etc/smart-tank/hmac.keys')).get(OPERATOR);
  const operatorHash = parsePasswordFile(file('/etc/smart-tank/mqtt.passwd')).get(OPERATOR);
  const operatorRecord = usersFromAcl(file('/etc/smart-tank/mqtt.acl')).find((u) => u.user === OPERATOR);
  if (!operatorKey || !operatorHash || operatorRecord?.role !== 'admin')
    throw new Error(`the bundle does not carry operator ${OPERATOR} as an admin with a signing key`);
  const plane = new PlaneUnderTest('mosquitto', {
    sampleIntervalMs: 500,
    mqtt: { stateHeartbeatS: 1, systemIntervalS: 1, ...options.daemonMqtt },
    configure: (config) => {
      (config.gateway as Record<string, unknown>).id = GATEWAY;
    },
    editUsers: (files) => {
      files.passwords.set(OPERATOR, operatorHash);
      files.users.push(operatorRecord);
      files.keys.set(OPERATOR, operatorKey);
    },
    mosquittoConf: (conf) => `${conf}\n${bridge}`,
  });
  await plane.start();

  const fleetDir = join(centralOut, 'fleet');
  const fleet: Fleet = {
    site,
    work,
    cluster,
    hub,
    hubPort,
    plane,
    fleetDir,
    centralPassword: readFileSync(join(fleetDir, 'central-password'), 'utf8').trim(),
    operatorKey,
    startHub,
    async close() {
      await plane.close().catch(() => {});
      await fleet.hub.stop().catch(() => {});
      await cluster.stop().catch(() => {});
      rmSync(work, { recursive: true, force: true });
    },
  };
  return fleet;
}

export interface Recorder {
  client: MqttClient;
  log: { topic: string; payload: string }[];
}

/**
 * An MQTT client that keeps every message it gets from its first packet on. `servers` makes mqtt.js
 * try the next node when one is lost (as the fleet service does).
 */
export function recorder(options: IClientOptions): Promise<Recorder> {
  const client = connect({ reconnectPeriod: 500, connectTimeout: 5_000, protocolVersion: 4, ...options });
  const rec: Recorder = { client, log: [] };
  client.on('message', (topic, payload) => rec.log.push({ topic, payload: payload.toString() }));
  client.on('error', () => {});
  return new Promise((resolve, reject) => {
    client.once('connect', () => resolve(rec));
    client.once('error', reject);
  });
}

export interface FleetServiceUnderTest {
  process: DaemonProcess;
  url: string;
  dir: string;
  stop(): Promise<void>;
}

/**
 * `smart-tank fleet serve` as a process, on the folder central-config wrote (its fleet.yaml with this
 * test's state directory, a free web port and a faster liveness).
 */
export async function startFleetService(
  fleet: Fleet,
  liveness: { offlineAfterS: number; staleAfterS: number },
): Promise<FleetServiceUnderTest> {
  const dir = join(fleet.work, 'fleet-service');
  mkdirSync(dir, { recursive: true });
  const config = parse(readFileSync(join(fleet.fleetDir, 'fleet.yaml'), 'utf8')) as Record<string, unknown>;
  const web = config.web as { listen: { host: string; port: number }[] };
  web.listen = [{ host: '127.0.0.1', port: await freePort() }];
  config.stateDir = join(dir, 'state');
  config.liveness = liveness;
  const file = join(fleet.fleetDir, 'fleet-test.yaml');
  writeFileSync(file, stringify(config));
  const child = startCli(['fleet', 'serve', '--config', file], dir);
  const started = await child.waitForLog(
    (l) => l.msg === 'fleet service started',
    30_000,
    'fleet service started',
  );
  const url = (started.web as string[])[0]!;
  await child.waitForLog(
    (l) => l.msg === 'central broker connected',
    CENTRAL_CONNECT_TIMEOUT_MS,
    'central broker connected',
  );
  return {
    process: child,
    url,
    dir,
    async stop() {
      await child.stop();
      child.notify.close();
    },
  };
}

/** Debian's Prometheus with a config file; `query` runs PromQL through its HTTP API. */
export async function startPrometheus(dir: string, config: unknown) {
  const port = await freePort();
  const configFile = join(dir, 'prometheus.yml');
  writeFileSync(configFile, stringify(config));
  const child = spawn(
    'prometheus',
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(dir, 'tsdb')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr!.on('data', (d) => (log = (log + d).slice(-20_000)));
  child.on('error', () => {});
  return {
    log: () => log,
    async query(
      q: string,
    ): Promise<{ metric: Record<string, string>; value: [number, string] }[] | undefined> {
      const r = await http(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(q)}`).catch(
        () => undefined,
      );
      if (!r || r.status !== 200) return undefined;
      return (
        JSON.parse(r.body) as {
          data: { result: { metric: Record<string, string>; value: [number, string] }[] };
        }
      ).data.result;
    },
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}
