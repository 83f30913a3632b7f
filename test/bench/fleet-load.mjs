#!/usr/bin/env node
// The fleet at full size on loopback: 2,500 simulated gateways (MQTT sessions, each with its own client
// id and login, as each gateway's Mosquitto bridge is to its hub: clean session false, QoS 1, the bridge's
// will and notification) publishing one tank's state at the normal rate, then a 10x burst, into 10 hub
// Mosquittos of 250 (Table 1's layout: a hub per VPN server), bridged to a 3-node RabbitMQ cluster
// (quorum queues), subscribed by the fleet service and by a latency probe. Then the normal rate again
// with one central node killed mid-phase. Every config is the one provisioning generates (hub broker,
// central bridge, ACL, rabbitmq.conf, definitions), with loopback ports and this run's paths.
//
// Measured per phase: messages/s received at the central tier, end-to-end latency p50/p99 (publish by
// the gateway session -> delivery to the probe, one process, one monotonic clock), messages lost
// (acknowledged by a hub, never delivered: the goal is 0 at QoS 1) and duplicates, CPU and RSS of the
// hubs, the central nodes, the fleet service and this generator. Then the fleet page: /api/fleet and
// /metrics over HTTP, and the page in Chromium until the tanks are drawn. And one hub's open-file cap:
// 1,100 sessions under the default limit (1,024) and under the drop-in's LimitNOFILE.
//
// The load generator is light on purpose (two cores are shared): one process, raw MQTT over sockets
// (mqtt-packet, no client library per session), one scheduler tick for all sessions.
//
//   node test/bench/fleet-load.mjs    FLEET_BENCH_GATEWAYS=2500 FLEET_BENCH_HUBS=10
//                                     FLEET_BENCH_NORMAL_S=60 FLEET_BENCH_BURST_S=30 FLEET_BENCH_KILL_S=60
// One JSON line on stdout; progress and a summary on stderr.

import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  freePort,
  planRabbitCluster,
  procStat,
  startMosquitto,
  startRabbitCluster,
  waitUntil,
} from '../integration/fleet/cluster.mjs';

const root = new URL('../..', import.meta.url).pathname;
const require = createRequire(import.meta.url);
const mqttPacket = require('mqtt-packet');
const mqtt = require('mqtt');
const { stringify } = require('yaml');
const dist = (p) => import(join(root, 'dist', p));
const { centralDefinitions, rabbitConf } = await dist('provisioning/central-files.js');
const { centralBridgeConf, hubBrokerConf, HUB_LIMIT_NOFILE } = await dist('provisioning/fleet-hub-files.js');
const { hubAcl } = await dist('provisioning/mosquitto-files.js');
const { formatInventory } = await dist('provisioning/inventory.js');
const { hashPassword } = await dist('daemon/security/password-file.js');
const { generateAcl } = await dist('daemon/security/roles.js');

const GATEWAYS = Number(process.env.FLEET_BENCH_GATEWAYS ?? 2500);
const HUBS = Number(process.env.FLEET_BENCH_HUBS ?? 10);
const NORMAL_S = Number(process.env.FLEET_BENCH_NORMAL_S ?? 60);
const BURST_S = Number(process.env.FLEET_BENCH_BURST_S ?? 30);
const KILL_S = Number(process.env.FLEET_BENCH_KILL_S ?? 60);
/**
 * The normal rate: a tank state every 10 s per gateway (a filling tank moves the daemon's 0.5 % publish
 * step about every 30 s: three times that) and the gateway's health every 60 s (systemIntervalS).
 */
const STATE_INTERVAL_S = 10;
const SYSTEM_INTERVAL_S = 60;
const BURST_FACTOR = 10;
const TICK_MS = 20;
const CONNECTS_PER_TICK = 25;
/** mosquitto_passwd's own default: the bench measures the brokers' message path, not PBKDF2 at login. */
const BENCH_HASH_ITERATIONS = 101;
const DRAIN_TIMEOUT_MS = 120_000;
const PREFIX = 'smart-tank';
const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
const log = (s) => process.stderr.write(`${s}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const work = mkdtempSync(join(tmpdir(), 'st-fleet-bench-'));
const children = [];
let cluster;

// ---- the fleet's configuration, as provisioning generates it --------------------------------------------

function gatewayId(server, k) {
  return `s${String(server).padStart(2, '0')}-gw-${String(k).padStart(3, '0')}`;
}

async function plan() {
  const perHub = Math.ceil(GATEWAYS / HUBS);
  const hubs = [];
  let n = 0;
  for (let s = 1; s <= HUBS; s++) {
    const devices = [];
    for (let k = 1; k <= perHub && n < GATEWAYS; k++, n++) devices.push(gatewayId(s, k));
    hubs.push({
      server: s,
      devices,
      port: await freePort(),
      password: `hub-${s}-central-pass`,
      dir: join(work, `hub-${s}`),
    });
  }
  return hubs;
}

async function writeHub(hub, nodes) {
  mkdirSync(join(hub.dir, 'data'), { recursive: true });
  const lines = [];
  for (const d of hub.devices)
    lines.push(`${d}:${await hashPassword(`${d}-bridge-pass`, BENCH_HASH_ITERATIONS)}`);
  writeFileSync(join(hub.dir, 'passwd'), lines.join('\n') + '\n');
  writeFileSync(
    join(hub.dir, 'acl'),
    hubAcl(
      'bench',
      hub.server,
      PREFIX,
      hub.devices.map((d) => ({ device: d, username: d })),
    ),
  );
  const conf = hubBrokerConf({
    site: 'bench',
    server: hub.server,
    address: '127.0.0.1',
    port: hub.port,
    paths: { passwordFile: join(hub.dir, 'passwd'), aclFile: join(hub.dir, 'acl') },
  })
    // One listener: the tunnel address and loopback are the same here.
    .replace(/^listener \d+ 127\.0\.0\.1\n(?=listener)/m, '');
  const bridge = centralBridgeConf({
    site: 'bench',
    server: hub.server,
    prefix: PREFIX,
    nodes: nodes.map((n) => ({ host: '127.0.0.1', port: n.mqttPort })),
    devices: hub.devices,
    password: hub.password,
  }).replace(/^restart_timeout .*$/m, 'restart_timeout 1 2');
  writeFileSync(
    join(hub.dir, 'hub.conf'),
    `${conf}\nuser root\npersistence true\npersistence_location ${hub.dir}/data/\n${bridge}`,
  );
}

async function startCentral(hubs) {
  const p = await planRabbitCluster(['b1', 'b2', 'b3']);
  const definitions = JSON.stringify(
    centralDefinitions({
      prefix: PREFIX,
      hubs: hubs.map((h) => ({ user: `hub-server-${h.server}`, server: h.server, password: h.password })),
      fleet: { user: 'fleet', password: 'fleet-central-pass' },
    }),
  );
  const nodes = p.nodes.map((n) => ({ host: 'localhost', port: 1883, node: n.node }));
  return {
    plan: p,
    start: () =>
      startRabbitCluster({
        plan: p,
        definitions,
        tag: 'bench',
        conf: (n) =>
          rabbitConf({
            site: 'bench',
            nodes,
            mqttListener: `127.0.0.1:${n.mqttPort}`,
            definitionsPath: n.definitionsPath,
          }),
      }),
  };
}

async function startFleetService(hubs, nodes) {
  const dir = join(work, 'fleet');
  mkdirSync(dir, { recursive: true });
  const rows = hubs.flatMap((h) =>
    h.devices.map((d, i) => ({
      site: 'bench',
      server: h.server,
      address: `10.77.${h.server - 1}.${i + 3}`,
      role: 'gateway',
      device: d,
      status: 'active',
      publicKey: '',
      certSerial: '',
    })),
  );
  writeFileSync(join(dir, 'inventory.csv'), formatInventory(rows));
  writeFileSync(join(dir, 'central-password'), 'fleet-central-pass\n');
  writeFileSync(join(dir, 'users.passwd'), `olga:${await hashPassword('operator-pass-1')}\n`);
  writeFileSync(
    join(dir, 'users.acl'),
    generateAcl([{ user: 'olga', role: 'viewer', canCommand: false }], {
      prefix: PREFIX,
      discoveryPrefix: 'homeassistant',
    }),
  );
  writeFileSync(join(dir, 'hmac.keys'), '');
  writeFileSync(join(dir, 'metrics-token'), 'bench-metrics-token-0123456789\n');
  const port = await freePort();
  writeFileSync(
    join(dir, 'fleet.yaml'),
    stringify({
      site: 'bench',
      central: {
        urls: nodes.map((n) => `mqtt://127.0.0.1:${n.mqttPort}`),
        username: 'fleet',
        passwordFile: 'central-password',
      },
      inventoryFiles: ['inventory.csv'],
      users: { passwordFile: 'users.passwd', aclFile: 'users.acl', hmacKeysFile: 'hmac.keys' },
      web: { listen: [{ host: '127.0.0.1', port }], metrics: { tokenFile: 'metrics-token' } },
      stateDir: join(dir, 'state'),
    }),
  );
  const child = spawn(
    process.execPath,
    [
      join(root, 'dist/daemon/cli/smart-tank.js'),
      'fleet',
      'serve',
      '--config',
      join(dir, 'fleet.yaml'),
      '--log-level',
      'warn',
    ],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  children.push(child);
  let stderr = '';
  child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-20_000)));
  const url = `http://127.0.0.1:${port}`;
  await waitUntil(
    async () =>
      (await fetch(`${url}/api/session`)
        .then((r) => r.ok)
        .catch(() => false)) || child.exitCode !== null,
    60_000,
    'the fleet service',
  );
  if (child.exitCode !== null) throw new Error(`the fleet service exited: ${stderr}`);
  return { child, url, stderr: () => stderr };
}

// ---- the simulated gateways: raw MQTT sessions -----------------------------------------------------------

const sent = new Map(); // key gateway#seq -> { phase, atMs, acked }
const received = new Map(); // key -> first arrival ms
let duplicates = 0;
const duplicatesByPhase = {};
const latencies = new Map(); // phase -> ms[]
let phase = 'connect';

function statePayload(g, seq) {
  const level = 20 + ((seq * 7 + g.index) % 60);
  return JSON.stringify({
    time: new Date().toISOString(),
    timeSynced: true,
    tank: 'main',
    name: 'Main tank',
    levelPct: level,
    litres: level * 20,
    capacityLitres: 2000,
    displayPct: level,
    quality: 'ok',
    valve: level < 25 ? 'open' : 'closed',
    pump: 'off',
    mode: 'auto',
    status: level < 25 ? 'Water is refilling' : 'Water is ready to use',
    faults: [],
    alarms: [],
    acknowledged: [],
    probes: { top: 'dry', bottom: 'wet' },
    thresholds: { lowPct: 15, highPct: 80, source: 'config' },
    netFlowLitresPerMin: 0.4,
    minutesToFull: null,
    bench: { gateway: g.id, seq, sentAt: performance.now() },
  });
}

function systemPayload(g) {
  return JSON.stringify({
    time: new Date().toISOString(),
    timeSynced: true,
    gateway: g.id,
    uptimeS: 1000,
    daemonUptimeS: 900,
    load1: 0.1,
    cpuPct: 3,
    memUsedPct: 40,
    memAvailableMb: 200,
    daemonRssMb: 80,
    cpuTemperatureC: 48,
    stateBytesWritten: 1000,
    outboxMessages: 0,
  });
}

function session(g) {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host: '127.0.0.1', port: g.hubPort });
    socket.setNoDelay(true);
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    g.socket = socket;
    g.nextId = 1;
    g.inflight = new Map();
    g.acked = 0;
    socket.on('data', (d) => parser.parse(d));
    socket.on('error', (err) => reject(err));
    socket.on('close', () => (g.closed = true));
    parser.on('packet', (p) => {
      if (p.cmd === 'connack') {
        if (p.returnCode !== 0) return reject(new Error(`${g.id}: CONNACK ${p.returnCode}`));
        socket.write(
          mqttPacket.generate({
            cmd: 'subscribe',
            messageId: g.nextId++,
            subscriptions: [{ topic: `${PREFIX}/${g.id}/command/#`, qos: 1 }],
          }),
        );
        publish(g, `${PREFIX}/${g.id}/bridge`, '1', true);
        resolve(g);
      } else if (p.cmd === 'puback') {
        const key = g.inflight.get(p.messageId);
        g.inflight.delete(p.messageId);
        if (key) {
          const s = sent.get(key);
          if (s) s.acked = true;
        }
        g.acked++;
      }
    });
    socket.write(
      mqttPacket.generate({
        cmd: 'connect',
        protocolId: 'MQTT',
        protocolVersion: 4,
        clean: false,
        clientId: `bridge-${g.id}`,
        keepalive: 120,
        username: g.id,
        password: Buffer.from(`${g.id}-bridge-pass`),
        will: { topic: `${PREFIX}/${g.id}/bridge`, payload: Buffer.from('0'), qos: 1, retain: true },
      }),
    );
  });
}

function publish(g, topic, payload, retain = false, key) {
  const messageId = g.nextId;
  g.nextId = g.nextId >= 65535 ? 1 : g.nextId + 1;
  if (key) g.inflight.set(messageId, key);
  g.socket.write(
    mqttPacket.generate({ cmd: 'publish', topic, payload, qos: 1, retain, dup: false, messageId }),
  );
}

/** One tick for every session: the states and health due now. */
function scheduler(gateways) {
  let stateEveryMs = STATE_INTERVAL_S * 1000;
  const start = performance.now();
  for (const g of gateways) {
    g.nextState = start + Math.random() * stateEveryMs;
    g.nextSystem = start + Math.random() * SYSTEM_INTERVAL_S * 1000;
    g.seq = 0;
  }
  const timer = setInterval(() => {
    const now = performance.now();
    for (const g of gateways) {
      if (g.closed) continue;
      if (now >= g.nextState) {
        const seq = ++g.seq;
        const key = `${g.id}#${seq}`;
        sent.set(key, { phase, atMs: now, acked: false });
        publish(g, `${PREFIX}/${g.id}/tank/main/state`, statePayload(g, seq), true, key);
        g.nextState += stateEveryMs;
        if (g.nextState < now) g.nextState = now + stateEveryMs;
      }
      if (now >= g.nextSystem) {
        publish(g, `${PREFIX}/${g.id}/system`, systemPayload(g), true);
        g.nextSystem += SYSTEM_INTERVAL_S * 1000;
      }
    }
  }, TICK_MS);
  return {
    setRate(factor) {
      const old = stateEveryMs;
      stateEveryMs = (STATE_INTERVAL_S * 1000) / factor;
      const now = performance.now();
      // Keep each session's place in the cycle, at the new spacing.
      for (const g of gateways) g.nextState = now + ((g.nextState - now) * stateEveryMs) / old;
    },
    stop: () => clearInterval(timer),
  };
}

async function probe(nodes) {
  const client = await mqtt.connectAsync({
    servers: nodes
      .slice(1)
      .concat(nodes.slice(0, 1))
      .map((n) => ({ host: '127.0.0.1', port: n.mqttPort })),
    clientId: 'smart-tank-fleet-bench-probe',
    username: 'fleet',
    password: 'fleet-central-pass',
    clean: false,
    protocolVersion: 4,
    reconnectPeriod: 500,
  });
  client.on('error', () => {});
  client.on('message', (topic, payload) => {
    if (!topic.endsWith('/tank/main/state')) return;
    const now = performance.now();
    let b;
    try {
      b = JSON.parse(payload.toString()).bench;
    } catch {
      return;
    }
    if (!b) return;
    const key = `${b.gateway}#${b.seq}`;
    if (received.has(key)) {
      duplicates++;
      const ph = sent.get(key)?.phase ?? 'unknown';
      duplicatesByPhase[ph] = (duplicatesByPhase[ph] ?? 0) + 1;
      return;
    }
    received.set(key, now);
    const s = sent.get(key);
    if (!s) return;
    const list = latencies.get(s.phase) ?? [];
    list.push(now - b.sentAt);
    latencies.set(s.phase, list);
  });
  await client.subscribeAsync(`${PREFIX}/+/tank/+/state`, { qos: 1 });
  return client;
}

// ---- measuring -------------------------------------------------------------------------------------------

function cpuOf(pids) {
  const out = {};
  for (const [name, pid] of Object.entries(pids)) {
    try {
      out[name] = procStat(pid, CLK_TCK);
    } catch {
      out[name] = undefined;
    }
  }
  return out;
}

function pct(list, p) {
  if (!list || list.length === 0) return null;
  const s = [...list].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] * 100) / 100;
}

const round1 = (x) => (x === undefined || x === null ? null : Math.round(x * 10) / 10);

async function measurePhase(name, seconds, pids, during) {
  phase = name;
  const receivedBefore = received.size;
  const a = cpuOf(pids());
  const t0 = performance.now();
  const sentBefore = sent.size;
  if (during) void during();
  await sleep(seconds * 1000);
  const elapsedS = (performance.now() - t0) / 1000;
  const b = cpuOf(pids());
  const usage = {};
  for (const k of Object.keys(b)) {
    if (!a[k] || !b[k]) {
      usage[k] = { cpuPct: null, rssMb: b[k] ? round1(b[k].rssMb) : null };
      continue;
    }
    usage[k] = {
      cpuPct: round1(((b[k].cpuMs - a[k].cpuMs) / (elapsedS * 1000)) * 100),
      rssMb: round1(b[k].rssMb),
    };
  }
  return {
    phase: name,
    seconds: Math.round(elapsedS),
    statesSent: sent.size - sentBefore,
    receivedPerS: Math.round((received.size - receivedBefore) / elapsedS),
    usage,
  };
}

function summarizeUsage(usage) {
  const group = (prefix) =>
    Object.entries(usage)
      .filter(([k]) => k.startsWith(prefix))
      .map(([, v]) => v);
  const stats = (xs, field) => {
    const v = xs.map((x) => x[field]).filter((x) => x !== null && x !== undefined);
    return v.length
      ? {
          max: round1(Math.max(...v)),
          mean: round1(v.reduce((s, x) => s + x, 0) / v.length),
          sum: round1(v.reduce((s, x) => s + x, 0)),
        }
      : null;
  };
  return {
    hubCpuPct: stats(group('hub'), 'cpuPct'),
    hubRssMb: stats(group('hub'), 'rssMb'),
    centralCpuPct: stats(group('central'), 'cpuPct'),
    centralRssMb: stats(group('central'), 'rssMb'),
    fleet: usage.fleet,
    generator: usage.generator,
  };
}

function lossByPhase() {
  const out = {};
  for (const [key, s] of sent) {
    const o = (out[s.phase] ??= { sent: 0, acked: 0, lost: 0, unacked: 0 });
    o.sent++;
    if (s.acked) o.acked++;
    else o.unacked++;
    if (s.acked && !received.has(key)) o.lost++;
  }
  return out;
}

// ---- the fleet page ---------------------------------------------------------------------------------------

async function pageFigures(fleetUrl) {
  const timed = async (path, headers = {}) => {
    const t0 = performance.now();
    const r = await fetch(`${fleetUrl}${path}`, { headers });
    const body = await r.text();
    return { status: r.status, ms: Math.round(performance.now() - t0), bytes: body.length, body };
  };
  const login = await fetch(`${fleetUrl}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user: 'olga', password: 'operator-pass-1' }),
  });
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0];
  const api = await timed('/api/fleet', { cookie });
  const metrics = await timed('/metrics', { authorization: 'Bearer bench-metrics-token-0123456789' });
  const counters = Object.fromEntries(
    metrics.body
      .split('\n')
      .filter((l) => /^smart_tank_fleet_(messages_total|gateways|gateways_online|tanks)\b/.test(l))
      .map((l) => {
        const [k, v] = l.split(' ');
        return [k, Number(v)];
      }),
  );
  let browserFigures = null;
  try {
    const { chromium } = require('playwright-core');
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
    });
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    await page.goto(`${fleetUrl}/`);
    await page.fill('#user', 'olga');
    await page.fill('#password', 'operator-pass-1');
    await page.click('button[type=submit]');
    await page.locator('[data-testid=gateways-online]').waitFor({ timeout: 60_000 });
    const t0 = performance.now();
    await page.goto(`${fleetUrl}/#/all/server`);
    await page.reload();
    await page.locator('[data-testid=tank-table] tr.tank-row').first().waitFor({ timeout: 60_000 });
    const loadMs = Math.round(performance.now() - t0);
    const t1 = performance.now();
    await page.click('[data-testid=sort-level]');
    await page.waitForTimeout(50);
    const sortMs = Math.round(performance.now() - t1);
    const rows = await page.locator('[data-testid=tank-table] tr.tank-row').count();
    await browser.close();
    browserFigures = { loadToTableMs: loadMs, sortByLevelMs: sortMs, rowsDrawn: rows };
  } catch (err) {
    browserFigures = { error: err.message };
  }
  return {
    api: { ms: api.ms, bytes: api.bytes, tanks: JSON.parse(api.body).tanks?.length },
    metrics: { ms: metrics.ms, bytes: metrics.bytes, status: metrics.status },
    counters,
    browser: browserFigures,
  };
}

// ---- one hub's open-file cap ------------------------------------------------------------------------------

async function nofileCap(limit, sessions) {
  const dir = join(work, `nofile-${limit}`);
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  writeFileSync(join(dir, 'passwd'), `cap:${await hashPassword('cap-password-1', BENCH_HASH_ITERATIONS)}\n`);
  writeFileSync(join(dir, 'acl'), 'user cap\ntopic read nothing/#\n');
  const conf = hubBrokerConf({
    site: 'bench',
    server: 1,
    address: '127.0.0.1',
    port,
    paths: { passwordFile: join(dir, 'passwd'), aclFile: join(dir, 'acl') },
  })
    .replace(/^listener \d+ 127\.0\.0\.1\n(?=listener)/m, '')
    // A hub for several servers' gateways (one big VPN server): the connection cap lifted, the fd limit left.
    .replace(/^max_connections .*$/m, 'max_connections -1');
  writeFileSync(join(dir, 'hub.conf'), `${conf}\nuser root\n`);
  const broker = await startMosquitto(join(dir, 'hub.conf'), port, {
    prefix: ['prlimit', `--nofile=${limit}:${limit}`],
  });
  children.push(broker.child);
  const sockets = [];
  let accepted = 0;
  let refused = 0;
  await Promise.all(
    Array.from(
      { length: sessions },
      (_, i) =>
        new Promise((resolve) => {
          const s = netConnect({ host: '127.0.0.1', port });
          sockets.push(s);
          const parser = mqttPacket.parser({ protocolVersion: 4 });
          const done = (ok) => {
            if (ok) accepted++;
            else refused++;
            resolve();
            done.called = true;
          };
          const timer = setTimeout(() => !done.called && done(false), 15_000);
          s.on('data', (d) => parser.parse(d));
          parser.on('packet', (p) => {
            if (p.cmd === 'connack') {
              clearTimeout(timer);
              if (!done.called) done(p.returnCode === 0);
            }
          });
          s.on('error', () => {
            clearTimeout(timer);
            if (!done.called) done(false);
          });
          s.on('close', () => {
            clearTimeout(timer);
            if (!done.called) done(false);
          });
          s.write(
            mqttPacket.generate({
              cmd: 'connect',
              protocolId: 'MQTT',
              protocolVersion: 4,
              clean: true,
              clientId: `cap-${i}`,
              keepalive: 120,
              username: 'cap',
              password: Buffer.from('cap-password-1'),
            }),
          );
        }),
    ),
  );
  for (const s of sockets) s.destroy();
  await broker.kill();
  return { limitNofile: limit, sessions, accepted, refused };
}

// ---- main ---------------------------------------------------------------------------------------------------

/** Until every message a hub acknowledged has reached the probe (bounded: a loss shows as a loss). */
async function drained() {
  await waitUntil(
    () => [...sent.entries()].every(([k, s]) => !s.acked || received.has(k)),
    DRAIN_TIMEOUT_MS,
    'every acknowledged message delivered',
  ).catch(() => {});
}

async function main() {
  const t0 = Date.now();
  const hubs = await plan();
  const central = await startCentral(hubs);
  for (const h of hubs) await writeHub(h, central.plan.nodes);
  log(`fleet bench: ${GATEWAYS} gateways on ${HUBS} hubs; starting a 3-node RabbitMQ cluster…`);
  cluster = await central.start();
  const nodes = cluster.nodes;
  log(`  cluster up in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  for (const h of hubs) {
    h.broker = await startMosquitto(join(h.dir, 'hub.conf'), h.port, {
      prefix: ['prlimit', `--nofile=${HUB_LIMIT_NOFILE}:${HUB_LIMIT_NOFILE}`],
    });
    children.push(h.broker.child);
  }
  const fleetService = await startFleetService(hubs, nodes);
  const probeClient = await probe(nodes);
  // Every hub's bridge has connected to the central tier (its session, its command subscriptions).
  await waitUntil(
    async () => {
      const r = await cluster.ctl(1, ['list_mqtt_connections', 'client_id', '--quiet', '--no-table-headers']);
      return hubs.every((h) => r.stdout.includes(`fleet-hub-server-${h.server}`));
    },
    120_000,
    "every hub's bridge at the central tier",
  );
  const gateways = hubs.flatMap((h) => h.devices.map((id) => ({ id, hubPort: h.port })));
  gateways.forEach((g, i) => (g.index = i));
  const c0 = performance.now();
  for (let i = 0; i < gateways.length; i += CONNECTS_PER_TICK) {
    await Promise.all(gateways.slice(i, i + CONNECTS_PER_TICK).map(session));
    await sleep(TICK_MS);
  }
  const connectS = (performance.now() - c0) / 1000;
  log(`  ${gateways.length} sessions connected in ${connectS.toFixed(1)} s`);

  const pids = () => ({
    ...Object.fromEntries(hubs.map((h) => [`hub${h.server}`, h.broker.pid])),
    ...Object.fromEntries(nodes.map((n, i) => [`central${i + 1}`, cluster.pid(i)]).filter(([, p]) => p)),
    fleet: fleetService.child.pid,
    generator: process.pid,
  });
  const sched = scheduler(gateways);
  phase = 'warmup';
  await sleep(STATE_INTERVAL_S * 1000);

  log(`  normal rate (${STATE_INTERVAL_S} s per tank state) for ${NORMAL_S} s…`);
  const normal = await measurePhase('normal', NORMAL_S, pids);
  log(`  ${BURST_FACTOR}x burst for ${BURST_S} s…`);
  sched.setRate(BURST_FACTOR);
  const burst = await measurePhase('burst', BURST_S, pids);
  sched.setRate(1);
  phase = 'after-burst';
  // The next phase starts on an empty pipeline: what the burst queued is delivered first (and timed).
  const d0 = performance.now();
  await drained();
  const burstDrainS = round1((performance.now() - d0) / 1000);
  log(`  burst backlog delivered ${burstDrainS} s after the burst`);
  await sleep(STATE_INTERVAL_S * 1000);
  log(`  normal rate for ${KILL_S} s with central node 1 killed after ${Math.round(KILL_S / 4)} s…`);
  let killedAtS;
  const kill = await measurePhase('node-killed', KILL_S, pids, async () => {
    await sleep((KILL_S / 4) * 1000);
    killedAtS = Math.round(KILL_S / 4);
    await cluster.kill(0);
  });
  sched.stop();
  phase = 'drain';
  const acked = () => [...sent.values()].filter((s) => s.acked).length;
  await drained();
  const loss = lossByPhase();
  const figures = (m) => ({
    ...m,
    /** CPU of the whole central tier per message delivered to one of its two persistent sessions. */
    centralCpuMsPerMessage: m.receivedPerS
      ? round1((summarizeUsage(m.usage).centralCpuPct?.sum * 10) / m.receivedPerS / 2)
      : null,
    latencyMs: {
      p50: pct(latencies.get(m.phase), 50),
      p99: pct(latencies.get(m.phase), 99),
      max: pct(latencies.get(m.phase), 100),
    },
    loss: loss[m.phase],
    ...summarizeUsage(m.usage),
    usage: undefined,
  });
  await sleep(3000);
  log('  the fleet page…');
  const page = await pageFigures(fleetService.url);
  log("  one hub's open-file cap…");
  const caps = [await nofileCap(1024, 1100), await nofileCap(HUB_LIMIT_NOFILE, 1100)];
  await probeClient.endAsync(true).catch(() => {});
  for (const g of gateways) g.socket?.destroy();
  const result = {
    bench: 'fleet',
    gateways: GATEWAYS,
    hubs: HUBS,
    stateIntervalS: STATE_INTERVAL_S,
    burstFactor: BURST_FACTOR,
    connectS: round1(connectS),
    statesSent: sent.size,
    statesAcked: acked(),
    statesDelivered: received.size,
    duplicatesAtProbe: duplicates,
    duplicatesByPhase,
    phases: [
      figures(normal),
      { ...figures(burst), backlogDeliveredAfterS: burstDrainS },
      { ...figures(kill), killedNode: nodes[0].node, killedAtS },
    ],
    page,
    nofile: caps,
    machine: {
      cpus: (await import('node:os')).cpus().length,
      loadavg: (await import('node:os')).loadavg().map((x) => round1(x)),
    },
    wallS: Math.round((Date.now() - t0) / 1000),
  };
  return result;
}

async function cleanup() {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await cluster?.stop().catch(() => {});
  rmSync(work, { recursive: true, force: true });
}

try {
  const r = await main();
  process.stdout.write(JSON.stringify(r) + '\n');
  const line = (p) =>
    `  ${p.phase.padEnd(12)} ${String(p.receivedPerS).padStart(5)} msg/s  p50 ${p.latencyMs.p50} ms  p99 ${p.latencyMs.p99} ms  lost ${p.loss?.lost ?? '?'} of ${p.loss?.acked ?? '?'} acked  ` +
    `hub CPU max ${p.hubCpuPct?.max}% (mean ${p.hubCpuPct?.mean}%) RSS max ${p.hubRssMb?.max} MB  central CPU ${p.centralCpuPct?.sum}% RSS max ${p.centralRssMb?.max} MB  fleet CPU ${p.fleet?.cpuPct}% RSS ${p.fleet?.rssMb} MB  generator CPU ${p.generator?.cpuPct}%`;
  log(`\n== fleet: ${r.gateways} gateways, ${r.hubs} hubs, ${r.wallS} s\n${r.phases.map(line).join('\n')}`);
  log(
    `  duplicates at the probe ${r.duplicatesAtProbe}; page ${JSON.stringify(r.page.browser)}; /api/fleet ${r.page.api.ms} ms ${r.page.api.bytes} B; /metrics ${r.page.metrics.ms} ms ${r.page.metrics.bytes} B`,
  );
  log(
    `  open files: ${r.nofile.map((c) => `LimitNOFILE ${c.limitNofile}: ${c.accepted} of ${c.sessions} sessions`).join('; ')}`,
  );
} catch (err) {
  log(`fleet bench failed: ${err.stack ?? err}`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
