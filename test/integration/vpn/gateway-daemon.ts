// The built daemon run inside the gateway namespace (`ip netns exec GW node smart-tank.js run`), on the
// simulated tank, with a NOTIFY_SOCKET whose messages are timestamped (a pathname unix socket reaches
// across network namespaces), its JSON log lines collected; and the clients the tests use from the other
// namespaces.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { EXAMPLE_CONFIG_FILE } from '../../helpers/config.js';
import { CLI, startDaemon, writeConfig, type DaemonProcess } from '../../helpers/daemon.js';
import { sh, type Topology } from './netns.mjs';

const AGENT = new URL('./mqtt-agent.mjs', import.meta.url).pathname;
export const GATEWAY_ID = 'farm-gw-01';
export const MQTT_PORT = 1883;
export const SAMPLE_INTERVAL_MS = 500;

/**
 * The daemon's config for these tests, in one place: the example config on the simulated tank, sampled
 * every 500 ms, the embedded broker on loopback and on the gateway's tunnel address (the phone's way in),
 * health every second, and the given `vpn` section. A user for the phone is created with the CLI (a
 * listener beyond loopback opens only once a user exists).
 */
export async function gatewayConfig(
  dir: string,
  options: { tunnelAddress: string; vpn: Record<string, unknown> },
): Promise<{ file: string; phone: { user: string; password: string } }> {
  const config = parse(readFileSync(EXAMPLE_CONFIG_FILE, 'utf8')) as Record<string, Record<string, unknown>>;
  config.gateway!.id = GATEWAY_ID;
  config.gateway!.stateDir = join(dir, 'state');
  config.hardware!.sim = { seed: 3, speed: 1, outputStateDir: join(dir, 'outputs') };
  config.mqtt!.listen = [
    { host: '127.0.0.1', port: MQTT_PORT },
    { host: options.tunnelAddress, port: MQTT_PORT },
  ];
  config.mqtt!.users = {
    passwordFile: join(dir, 'mqtt.passwd'),
    aclFile: join(dir, 'mqtt.acl'),
    hmacKeysFile: join(dir, 'hmac.keys'),
  };
  config.mqtt!.systemIntervalS = 1;
  config.web = { listen: { host: '127.0.0.1', port: 0 } };
  for (const tank of config.tanks as unknown as { level: { ultrasonic: Record<string, unknown> } }[])
    tank.level.ultrasonic.sampleIntervalMs = SAMPLE_INTERVAL_MS;
  config.vpn = options.vpn;
  const file = writeConfig(dir, config);
  const phone = { user: 'phone', password: `phone-${process.pid}-${Date.now()}` };
  await sh(
    process.execPath,
    [CLI, 'user', 'add', phone.user, '--role', 'viewer', '--password-stdin', '--config', file],
    {
      input: `${phone.password}\n`,
    },
  );
  return { file, phone };
}

export type NsDaemon = DaemonProcess & { watchdogAt: number[] };

/** The daemon (built CLI) inside the gateway namespace, with a NOTIFY_SOCKET and a 2 s watchdog. */
export function startDaemonIn(topo: Topology, configFile: string): NsDaemon {
  const d = startDaemon(configFile, topo.dir, {}, ['ip', 'netns', 'exec', topo.ns.gw]);
  d.exited.then(
    () => d.notify.close(),
    () => {},
  );
  return Object.assign(d, { watchdogAt: d.notify.watchdogAt });
}

/** The log lines of the VPN supervisor with this message, after `sinceMs`. */
export function vpnLogs(d: NsDaemon, msg: string, sinceMs = 0): Record<string, unknown>[] {
  return d.logs.filter((l) => l.ns === 'tank:vpn' && l.msg === msg && Date.parse(String(l.time)) >= sinceMs);
}

/** Runs the MQTT/TCP agent in a namespace; returns its last JSON line. */
export async function agent(
  topo: Topology,
  ns: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<Record<string, unknown>> {
  const r = await sh('ip', ['netns', 'exec', ns, process.execPath, AGENT, ...args], {
    allowFail: true,
    timeoutMs: 30_000,
    env: { ...process.env, ...env },
  });
  const last = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return { exitCode: r.code, ...(JSON.parse(last) as Record<string, unknown>) };
  } catch {
    return { exitCode: r.code, error: `agent printed no JSON: ${r.stdout} ${r.stderr}` };
  }
}

/** Reads the retained message of `topic` from the phone, retrying until `timeoutMs` (the tunnel may be recovering). */
export async function phoneReads(
  topo: Topology,
  url: string,
  topic: string,
  phone: { user: string; password: string },
  timeoutMs: number,
  accept: (payload: Record<string, unknown>) => boolean = () => true,
): Promise<Record<string, unknown>> {
  const start = Date.now();
  let last: Record<string, unknown> = {};
  while (Date.now() - start < timeoutMs) {
    last = await agent(topo, topo.ns.phone, ['read', url, topic, '3000'], {
      MQTT_USER: phone.user,
      MQTT_PASSWORD: phone.password,
    });
    if (last.exitCode === 0) {
      const payload = JSON.parse(String(last.payload)) as Record<string, unknown>;
      if (accept(payload)) return payload;
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(
    `the phone could not read ${topic} at ${url} within ${timeoutMs} ms: ${JSON.stringify(last)}`,
  );
}

/** `smart-tank vpn status --json`, run where an operator would (the root namespace). */
export async function vpnStatusCli(
  configFile: string,
): Promise<{ code: number; status: Record<string, unknown> }> {
  const r = await sh(process.execPath, [CLI, 'vpn', 'status', '--config', configFile, '--json'], {
    allowFail: true,
  });
  return { code: r.code, status: JSON.parse(r.stdout) as Record<string, unknown> };
}

/** Waits until `smart-tank vpn status` says up. */
export async function waitVpnUp(configFile: string, timeoutMs: number): Promise<Record<string, unknown>> {
  const start = Date.now();
  for (;;) {
    const { status } = await vpnStatusCli(configFile);
    if (status.state === 'up') return status;
    if (Date.now() - start > timeoutMs)
      throw new Error(`the tunnel is not up within ${timeoutMs} ms: ${JSON.stringify(status)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The longest pause between consecutive times within [from, to], counting the edges. */
export function longestGapMs(times: number[], from: number, to: number): number {
  const inside = [from, ...times.filter((t) => t > from && t < to), to];
  let gap = 0;
  for (let i = 1; i < inside.length; i++) gap = Math.max(gap, inside[i]! - inside[i - 1]!);
  return gap;
}

/** TCP listening sockets in a namespace: "address:port" each. */
export async function listeningTcp(topo: Topology, ns: string): Promise<string[]> {
  const r = await topo.exec(ns, 'ss', ['-Hltn']);
  return r.stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[3])
    .filter((x): x is string => Boolean(x));
}
