// A gateway with its secure MQTT plane, for the tests that must hold on both brokers: the daemon (as a
// process, on the simulated tank) with its embedded broker, or as a client of a real Mosquitto started
// from the os-image configuration. Users: alice (admin), vic (viewer), ian (integrator, no command
// grant), homeassistant (integrator, may command), gateway (the daemon's own user).

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { join } from 'node:path';
import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt';
import { parse } from 'yaml';
import { validateConfig } from '../../daemon/config/load.js';
import type { Role } from '../../daemon/security/roles.js';
import { addUser, loadUserFiles, saveUserFiles, type UserFiles } from '../../daemon/security/user-admin.js';
import { EXAMPLE_CONFIG_FILE } from './config.js';
import { startDaemon, tempDir, waitFor, writeConfig, type DaemonProcess } from './daemon.js';

export type BrokerKind = 'embedded' | 'mosquitto';
/** Start-up to READY and to the daemon's MQTT session: well under a second here, generous for shared CI. */
const DAEMON_READY_TIMEOUT_MS = 30_000;
export const PASSWORDS: Record<string, string> = {
  alice: 'alice-password-1',
  vic: 'viewer-password-1',
  ian: 'integrator-pass-1',
  homeassistant: 'home-assist-pass-1',
};
export const GATEWAY = 'farm-gw-01';
export const PREFIX = `smart-tank/${GATEWAY}`;
const MOSQUITTO_CONF = new URL('../../os-image/mosquitto/smart-tank.conf', import.meta.url).pathname;

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface PlaneOptions {
  /** Overrides merged into the config's mqtt section. */
  mqtt?: Record<string, unknown>;
  /** Simulated seconds per wall second. */
  speed?: number;
  /** Faster sampling (ms) for tests that want many events. */
  sampleIntervalMs?: number;
  host?: string;
  /** Last changes to the config before it is written. */
  configure?: (config: Record<string, Record<string, unknown>>) => void;
  /** More users beside the standard ones, e.g. the Node-RED flow's own integrator. */
  users?: { name: string; role: Role; password: string; canCommand?: boolean }[];
  /** Last changes to the user files (e.g. a provisioned fleet operator with its signing key). */
  editUsers?: (files: UserFiles) => void;
  /** Last changes to Mosquitto's config (e.g. a bridge stanza appended). */
  mosquittoConf?: (conf: string) => string;
  /**
   * Runs once the users exist, before the config is written and the daemon starts (e.g. seed history);
   * may still change the raw config.
   */
  prepare?: (
    config: ReturnType<typeof validateConfig>,
    raw: Record<string, Record<string, unknown>>,
  ) => Promise<void>;
}

export class PlaneUnderTest {
  readonly dir = tempDir('plane-');
  readonly etc = join(this.dir, 'etc');
  readonly stateDir = join(this.dir, 'state');
  port = 0;
  host: string;
  daemon!: DaemonProcess;
  mosquitto: ChildProcess | undefined;
  private configFile = '';
  private readonly clients: MqttClient[] = [];

  constructor(
    readonly kind: BrokerKind,
    private readonly options: PlaneOptions = {},
  ) {
    this.host = options.host ?? '127.0.0.1';
  }

  get auditFile(): string {
    return join(this.stateDir, 'audit.log');
  }

  get mosquittoLog(): string {
    return join(this.dir, 'mosquitto.log');
  }

  async start(): Promise<this> {
    mkdirSync(this.etc, { recursive: true });
    const config = parse(readFileSync(EXAMPLE_CONFIG_FILE, 'utf8')) as Record<
      string,
      Record<string, unknown>
    >;
    config.gateway!.stateDir = this.stateDir;
    config.hardware!.sim = {
      seed: 5,
      speed: this.options.speed ?? 1,
      outputStateDir: join(this.dir, 'outputs'),
    };
    if (this.options.sampleIntervalMs) {
      for (const t of config.tanks as unknown as {
        level: { ultrasonic: Record<string, unknown>; filter?: Record<string, unknown> };
      }[]) {
        t.level.ultrasonic.sampleIntervalMs = this.options.sampleIntervalMs;
      }
    }
    const users = {
      passwordFile: join(this.etc, 'mqtt.passwd'),
      aclFile: join(this.etc, 'mqtt.acl'),
      hmacKeysFile: join(this.etc, 'hmac.keys'),
      gatewayUser: 'gateway',
    };
    const mqtt: Record<string, unknown> = { ...config.mqtt, users, ...this.options.mqtt };
    if (this.kind === 'embedded') {
      mqtt.broker = 'embedded';
      mqtt.listen = [{ host: this.host, port: 0 }];
    } else {
      this.port = await freePort();
      mqtt.broker = 'external';
      mqtt.url = `mqtt://${this.host}:${this.port}`;
      mqtt.username = 'gateway';
      mqtt.passwordFile = join(this.etc, 'gateway.password');
      delete mqtt.listen;
    }
    config.mqtt = mqtt;
    // The dashboard on a port of its own per test (the example's 8080 would clash between tests).
    config.web = { ...config.web, listen: [{ host: this.host, port: 0 }] };
    this.options.configure?.(config);
    const validated = validateConfig(config);
    await this.createUsers(validated.mqtt);
    await this.options.prepare?.(validated, config);
    this.configFile = writeConfig(this.dir, config);
    if (this.kind === 'mosquitto') await this.startMosquitto();
    await this.startDaemon();
    return this;
  }

  private async createUsers(mqtt: ReturnType<typeof validateConfig>['mqtt']): Promise<void> {
    const files = await loadUserFiles(mqtt);
    await addUser(files, 'alice', 'admin', PASSWORDS.alice!);
    await addUser(files, 'vic', 'viewer', PASSWORDS.vic!);
    await addUser(files, 'ian', 'integrator', PASSWORDS.ian!);
    await addUser(files, 'homeassistant', 'integrator', PASSWORDS.homeassistant!, { canCommand: true });
    for (const u of this.options.users ?? []) {
      await addUser(files, u.name, u.role, u.password, { canCommand: u.canCommand ?? false });
      PASSWORDS[u.name] = u.password;
    }
    const gatewayPassword = 'gateway-test-password';
    await addUser(files, 'gateway', 'gateway', gatewayPassword);
    this.options.editUsers?.(files);
    await saveUserFiles(mqtt, files);
    writeFileSync(join(this.etc, 'gateway.password'), gatewayPassword + '\n');
  }

  /** Mosquitto with the os-image's own configuration, pointed at this test's files and port. */
  async startMosquitto(): Promise<void> {
    let conf = readFileSync(MOSQUITTO_CONF, 'utf8')
      .replaceAll('/etc/smart-tank/', `${this.etc}/`)
      .replace(/^listener 1883 127\.0\.0\.1$/m, `listener ${this.port} ${this.host}`);
    if (/^listener 1883/m.test(conf) || !conf.includes(`listener ${this.port}`)) {
      throw new Error('os-image mosquitto config: its loopback listener line was not found');
    }
    // What Debian's main mosquitto.conf adds around the drop-in, and root so it reads the test's files.
    conf += `\nuser root\nlog_dest file ${this.mosquittoLog}\npersistence true\npersistence_location ${this.dir}/\n`;
    if (this.options.mosquittoConf) conf = this.options.mosquittoConf(conf);
    const file = join(this.dir, 'mosquitto.conf');
    writeFileSync(file, conf);
    this.mosquitto = spawn('mosquitto', ['-c', file], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    this.mosquitto.stderr!.on('data', (d) => (stderr += d));
    const started = Date.now();
    while (!(await canConnect(this.host, this.port))) {
      if (this.mosquitto.exitCode !== null) throw new Error(`mosquitto exited: ${stderr}`);
      if (Date.now() - started > 5000) throw new Error(`mosquitto did not open port ${this.port}: ${stderr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async stopMosquitto(): Promise<void> {
    const m = this.mosquitto;
    this.mosquitto = undefined;
    if (!m || m.exitCode !== null) return;
    m.kill('SIGTERM');
    await new Promise((r) => m.once('exit', r));
  }

  async startDaemon(): Promise<void> {
    this.daemon = startDaemon(this.configFile, this.dir);
    const ready = await this.daemon.waitForLog((l) => l.msg === 'gateway ready', DAEMON_READY_TIMEOUT_MS);
    // READY does not wait for the broker (the tank runs without it): a test that sends a command right
    // away must wait for the daemon's session, or its command finds no subscriber.
    await this.daemon.waitForLog((l) => l.msg === 'MQTT connected', DAEMON_READY_TIMEOUT_MS);
    if (this.kind === 'embedded') this.port = Number(String(ready.mqtt).split(':').pop());
  }

  async stopDaemon(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    this.daemon.child.kill(signal);
    const code = await this.daemon.exited;
    this.daemon.notify.close();
    return code;
  }

  async client(user: string | undefined, options: IClientOptions = {}): Promise<MqttClient> {
    const client = await connectAsync(`mqtt://${this.host}:${this.port}`, {
      clientId: `t-${user ?? 'anon'}-${Math.random().toString(36).slice(2, 10)}`,
      username: user,
      password: user ? PASSWORDS[user] : undefined,
      reconnectPeriod: 0,
      connectTimeout: 5000,
      protocolVersion: this.kind === 'mosquitto' ? 5 : 4,
      ...options,
    });
    this.clients.push(client);
    return client;
  }

  output(tank: string, name: string): string {
    return readFileSync(join(this.dir, 'outputs', tank, name, 'value'), 'utf8');
  }

  async close(): Promise<void> {
    for (const c of this.clients.splice(0)) await c.endAsync(true).catch(() => {});
    if (this.daemon && this.daemon.child.exitCode === null) {
      this.daemon.child.kill('SIGKILL');
      await this.daemon.exited;
      this.daemon.notify.close();
    }
    await this.stopMosquitto();
  }
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export function readFileSafe(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

let seq = 0;
export function command(action: Record<string, unknown>, ts = Date.now()): Record<string, unknown> {
  return { id: `test-${process.pid}-${++seq}`, ts, tank: 'house', ...action };
}

/** Collects messages on a filter; `next(match)` waits for one. */
export async function collect(client: MqttClient, filter: string) {
  const messages: { topic: string; payload: string; retain: boolean }[] = [];
  client.on('message', (topic, payload, packet) =>
    messages.push({ topic, payload: payload.toString(), retain: packet.retain }),
  );
  await client.subscribeAsync(filter, { qos: 1 });
  return {
    messages,
    next: (match: (m: { topic: string; payload: string }) => boolean, timeoutMs = 5000, what = 'a message') =>
      waitFor(() => messages.find(match), timeoutMs, what),
  };
}

const LOGIN = new URL('./mqtt-login.mjs', import.meta.url).pathname;

/**
 * One MQTT login from a chosen local address (inside a network namespace when `ns` is given), in a child
 * process: "ok", "refused" (not authorised) or "unreachable ..." (no MQTT session at all).
 */
export function login(args: {
  ns?: string;
  host: string;
  port: number;
  user: string;
  password: string;
  from: string;
}): string {
  const cmd = [process.execPath, LOGIN, args.host, String(args.port), args.user, args.password, args.from];
  const r = args.ns
    ? spawnSync('ip', ['netns', 'exec', args.ns, ...cmd], { encoding: 'utf8' })
    : spawnSync(cmd[0]!, cmd.slice(1), { encoding: 'utf8' });
  return r.stdout.trim() || `error: ${r.stderr}`;
}
