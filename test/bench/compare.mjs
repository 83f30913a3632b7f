// `npm run bench compare`: the daemon beside what a user would pick instead, in one run on one machine:
//   - the hand-written floor: ~40 lines of Node + mqtt.js doing the paper's refill rule on MQTT topics;
//   - Node-RED 4 doing the same rule in a flow (mqtt in -> function -> mqtt out), with the source paper's
//     flow (flows/paper-tank.json, Dashboard 2.0) deployed beside it, as an integrator runs it;
//   - the daemon: two simulated tanks, a Mosquitto client (os-image/mosquitto), the dashboard loaded.
// Measured: start time (spawn -> ready), RSS and CPU at rest (after V8's post-start memory reducer),
// and the reaction to a level that crosses a threshold:
//   - floor and Node-RED: a probe publishes a level below 15 % (or above 80 %) on a plain loopback
//     Mosquitto and times the valve message coming back (MQTT both ways, the job's whole path);
//   - the daemon: its control tick, sensor read -> decision -> output write, from its own `controlLoop`
//     figures in the system telemetry (no MQTT in that path: the sensor and the relay are the daemon's).
// Also each with V8's --max-semi-space-size=1 (the same flag for all three), to see what heap tuning buys.

import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;
const require = createRequire(import.meta.url);
const { parse, stringify } = require('yaml');
const mqtt = require('mqtt');
const CLI = join(root, 'dist/daemon/cli/smart-tank.js');
const EXAMPLE = join(root, 'daemon/config/example.yaml');
const NODE_RED = join(root, 'node_modules/node-red/red.js');
export const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** BENCH_QUICK=1: short windows, to check that the bench runs (figures not worth quoting). */
const QUICK = process.env.BENCH_QUICK === '1';
/**
 * V8 gives back the memory of a start (a major GC by its memory reducer) about 25 s after it, and the
 * first half minute also holds lazy compiles and the dashboard's first work: "at rest" (RSS, idle CPU)
 * is measured from this long after the start, in every bench.
 */
export const SETTLE_MS = QUICK ? 2000 : 35_000;
const IDLE_WINDOW_MS = QUICK ? 2000 : 20_000;
const CROSSINGS = QUICK ? 100 : 2000;
const READY_TIMEOUT_MS = 60_000;
const ANSWER_TIMEOUT_MS = 5000;
const SYSTEM_INTERVAL_S = 10;
export const TUNING_FLAG = '--max-semi-space-size=1';

const FLOOR = `
const mqtt = require(${JSON.stringify(join(root, 'node_modules/mqtt'))});
const c = mqtt.connect(process.argv[1]);
let valve = false;
c.on('connect', () => c.subscribe('bench/floor/level', () => console.log('ready')));
c.on('message', (t, p) => {
  const level = Number(p);
  const next = level < 15 ? true : level > 80 ? false : valve;
  if (next !== valve) { valve = next; c.publish('bench/floor/valve', valve ? 'open' : 'closed'); }
});
`;

/** The same rule as a Node-RED flow. */
function ruleFlow(port) {
  const z = 'bench-tab';
  return [
    { id: z, type: 'tab', label: 'refill rule (bench)' },
    {
      id: 'bench-broker',
      type: 'mqtt-broker',
      name: 'bench',
      broker: '127.0.0.1',
      port: String(port),
      clientid: '',
      autoConnect: true,
      usetls: false,
      protocolVersion: '4',
      keepalive: '60',
      cleansession: true,
    },
    {
      id: 'bench-in',
      type: 'mqtt in',
      z,
      topic: 'bench/red/level',
      qos: '0',
      datatype: 'utf8',
      broker: 'bench-broker',
      nl: false,
      rap: true,
      rh: 0,
      inputs: 0,
      wires: [['bench-rule']],
    },
    {
      id: 'bench-rule',
      type: 'function',
      z,
      func:
        "const level = Number(msg.payload); let valve = context.get('valve') || false;\n" +
        'const next = level < 15 ? true : level > 80 ? false : valve;\n' +
        "if (next === valve) return null; context.set('valve', next);\n" +
        "return { payload: next ? 'open' : 'closed' };",
      outputs: 1,
      wires: [['bench-out']],
    },
    {
      id: 'bench-out',
      type: 'mqtt out',
      z,
      topic: 'bench/red/valve',
      qos: '0',
      retain: 'false',
      broker: 'bench-broker',
      wires: [],
    },
  ];
}

export async function compareBench(report) {
  const children = [];
  try {
    const plain = await run(children, []);
    const tuned = await run(children, [TUNING_FLAG]);
    const data = { plain, tuned, crossings: CROSSINGS, tuningFlag: TUNING_FLAG };
    report('compare', data, summary(data));
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  }
}

async function run(children, nodeFlags) {
  const dir = mkdtempSync(join(tmpdir(), 'bench-compare-'));
  const plainPort = await freePort();
  const plainBroker = startMosquitto(dir, 'plain', `listener ${plainPort} 127.0.0.1\nallow_anonymous true\n`);
  children.push(plainBroker);
  const secured = await securedDaemonSetup(dir);
  children.push(secured.broker);
  await waitForPort(plainPort);
  await waitForPort(secured.port);

  const floor = startTimed(
    children,
    process.execPath,
    [...nodeFlags, '-e', FLOOR, `mqtt://127.0.0.1:${plainPort}`],
    (l) => l.includes('ready'),
  );
  const nodeRed = await startNodeRed(children, dir, nodeFlags);
  const daemon = startTimed(
    children,
    process.execPath,
    [...nodeFlags, CLI, 'run', '--config', secured.config],
    (l) => l.includes('"msg":"MQTT connected"'),
  );
  const [floorReadyMs, nodeRedReadyMs, daemonReadyMs] = await Promise.all([
    floor.ready,
    nodeRed.ready,
    daemon.ready,
  ]);
  const deployedAt = nodeRed.log().length;
  await deployNodeRed(nodeRed.port, plainPort);
  await waitForLog(nodeRed, deployedAt, 'Started flows', 'Waiting for missing types');

  await sleep(SETTLE_MS);
  const [d, f, n] = await Promise.all([
    measureIdle(daemon.child),
    measureIdle(floor.child),
    measureIdle(nodeRed.child),
  ]);
  // One at a time, each on its own topics: the measurements do not share the machine.
  const floorReaction = await reaction(plainPort, 'floor');
  const nodeRedReaction = await reaction(plainPort, 'red').catch((err) => {
    throw new Error(`${err.message}; Node-RED's log:\n${nodeRed.log().slice(-3000)}`);
  });
  floor.child.kill('SIGTERM');
  const daemonTick = await daemonControlLoop(secured);
  for (const c of [daemon.child, nodeRed.child, plainBroker, secured.broker]) c.kill('SIGTERM');
  return {
    daemon: { startMs: daemonReadyMs, ...d, tick: daemonTick },
    floor: { startMs: floorReadyMs, ...f, reaction: floorReaction },
    nodeRed: { startMs: nodeRedReadyMs, ...n, reaction: nodeRedReaction },
    rssRatioToFloor: round2(d.rssMb / f.rssMb),
    rssRatioToNodeRed: round2(d.rssMb / n.rssMb),
  };
}

// ---- the three programs ---------------------------------------------------------------------------------

export function startTimed(children, file, args, isReady) {
  const t0 = performance.now();
  const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let log = '';
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${args.join(' ')} not ready:\n${log.slice(-2000)}`)),
      READY_TIMEOUT_MS,
    );
    const onData = (d) => {
      log += d;
      for (const line of String(d).split('\n'))
        if (isReady(line)) {
          clearTimeout(timer);
          resolve(Math.round(performance.now() - t0));
        }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`exited ${code} before ready:\n${log.slice(-2000)}`)));
  });
  return { child, ready, log: () => log };
}

async function startNodeRed(children, dir, nodeFlags) {
  const userDir = join(dir, 'nodered');
  mkdirSync(join(userDir, 'node_modules/@smart-tank'), { recursive: true });
  const pkg = JSON.parse(readFileSync(join(root, 'flows/nodes/package.json'), 'utf8'));
  symlinkSync(join(root, 'flows/nodes'), join(userDir, 'node_modules', pkg.name));
  writeFileSync(
    join(userDir, 'package.json'),
    JSON.stringify({ name: 'bench', private: true, dependencies: { [pkg.name]: 'file:../flows/nodes' } }),
  );
  const port = await freePort();
  const settings = join(userDir, 'settings.js');
  writeFileSync(
    settings,
    `module.exports = ${JSON.stringify({
      uiHost: '127.0.0.1',
      uiPort: port,
      flowFile: 'flows.json',
      credentialSecret: 'bench-only-secret',
      logging: { console: { level: 'info', metrics: false, audit: false } },
      editorTheme: { projects: { enabled: false }, tours: false },
      diagnostics: { enabled: false },
      telemetry: { enabled: false },
    })};\n`,
  );
  const started = startTimed(
    children,
    process.execPath,
    [...nodeFlags, NODE_RED, '-u', userDir, '-s', settings],
    (l) => l.includes('Started flows') || l.includes('Server now running'),
  );
  return { ...started, port };
}

/** The paper's flow (as an integrator deploys it) and the refill rule, through the admin API. */
async function deployNodeRed(port, brokerPort) {
  const paper = JSON.parse(readFileSync(join(root, 'flows/paper-tank.json'), 'utf8')).map((n) =>
    n.type === 'smart-tank-gateway' ? { ...n, url: `mqtt://127.0.0.1:${brokerPort}`, user: 'nodered' } : n,
  );
  const response = await fetch(`http://127.0.0.1:${port}/flows`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      'Node-RED-Deployment-Type': 'full',
      'Node-RED-API-Version': 'v2',
    },
    body: JSON.stringify({ flows: [...paper, ...ruleFlow(brokerPort)] }),
  });
  if (!response.ok) throw new Error(`Node-RED deploy: ${response.status} ${await response.text()}`);
}

/** Mosquitto with the project's config and users, and the daemon's config as its client. */
export async function securedDaemonSetup(dir) {
  const etc = join(dir, 'etc');
  mkdirSync(etc, { recursive: true });
  const port = await freePort();
  const config = parse(readFileSync(EXAMPLE, 'utf8'));
  config.gateway.stateDir = join(dir, 'state');
  config.mqtt = {
    ...config.mqtt,
    broker: 'external',
    url: `mqtt://127.0.0.1:${port}`,
    username: 'gateway',
    passwordFile: join(etc, 'gateway.password'),
    users: {
      passwordFile: join(etc, 'mqtt.passwd'),
      aclFile: join(etc, 'mqtt.acl'),
      hmacKeysFile: join(etc, 'hmac.keys'),
    },
    systemIntervalS: SYSTEM_INTERVAL_S,
  };
  delete config.mqtt.listen;
  config.web = { listen: { host: '127.0.0.1', port: 0 } };
  const file = join(dir, 'config.yaml');
  writeFileSync(file, stringify(config));
  const user = (args, input) => {
    const r = spawnSync(process.execPath, [CLI, 'user', ...args, '--config', file], {
      encoding: 'utf8',
      input,
    });
    if (r.status !== 0) throw new Error(`smart-tank user ${args.join(' ')}: ${r.stderr}`);
  };
  user(['add', 'gateway', '--role', 'gateway']);
  user(['add', 'vic', '--role', 'viewer', '--password-stdin'], 'bench-password-1\n');
  const conf = readFileSync(join(root, 'os-image/mosquitto/smart-tank.conf'), 'utf8')
    .replaceAll('/etc/smart-tank/', `${etc}/`)
    .replace(/^listener 1883 127\.0\.0\.1$/m, `listener ${port} 127.0.0.1`);
  const broker = startMosquitto(dir, 'secured', conf);
  return { broker, port, config: file };
}

export function startMosquitto(dir, name, conf) {
  const file = join(dir, `${name}.conf`);
  writeFileSync(file, `${conf}\nuser root\n`);
  return spawn('mosquitto', ['-c', file], { stdio: 'ignore' });
}

/** Waits for `line` in a program's log after `from`; a `failure` line there fails at once. */
async function waitForLog(program, from, line, failure) {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    const log = program.log().slice(from);
    if (log.includes(failure)) throw new Error(`${failure}:\n${log.slice(-2000)}`);
    if (log.includes(line)) return;
    if (Date.now() > deadline)
      throw new Error(`no "${line}" within ${READY_TIMEOUT_MS} ms:\n${log.slice(-2000)}`);
    await sleep(50);
  }
}

// ---- measurements ---------------------------------------------------------------------------------------

/** CPU time and resident memory of a process, from /proc. */
export function procStat(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
  return { cpuMs: (ticks * 1000) / CLK_TCK, rssMb: rssKb / 1024 };
}

/**
 * CPU over the window, and RSS sampled every second through it: the median (one sample is at the mercy of
 * V8's next scavenge or memory reducer), with the lowest and highest.
 */
export async function measureIdle(child, windowMs = IDLE_WINDOW_MS) {
  const a = procStat(child.pid);
  const t0 = performance.now();
  const rss = [];
  while (performance.now() - t0 < windowMs) {
    await sleep(Math.min(1000, windowMs));
    rss.push(procStat(child.pid).rssMb);
  }
  const b = procStat(child.pid);
  rss.sort((x, y) => x - y);
  return {
    rssMb: round1(rss[rss.length >> 1]),
    rssRangeMb: [round1(rss[0]), round1(rss[rss.length - 1])],
    idleCpuPct: round2(((b.cpuMs - a.cpuMs) / (performance.now() - t0)) * 100),
  };
}

/** A level across a threshold, and the valve message back: CROSSINGS times, alternating. */
async function reaction(port, who) {
  const probe = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: `bench-probe-${who}` });
  probe.stream.setNoDelay?.(true);
  let answer;
  probe.on('message', (_t, p) => answer?.(p.toString()));
  await probe.subscribeAsync(`bench/${who}/valve`, { qos: 0 });
  const times = [];
  for (let i = 0; i < CROSSINGS; i++) {
    const open = i % 2 === 0;
    const got = new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${who}: no valve message within ${ANSWER_TIMEOUT_MS} ms`)),
        ANSWER_TIMEOUT_MS,
      );
      answer = (v) => {
        if (v === (open ? 'open' : 'closed')) {
          clearTimeout(timer);
          resolve();
        }
      };
    });
    const t0 = performance.now();
    probe.publish(`bench/${who}/level`, open ? '10' : '90');
    await got;
    times.push(performance.now() - t0);
  }
  await probe.endAsync();
  return percentiles(times);
}

/** The daemon's own control-tick figures (read -> decide -> write), from its system telemetry. */
export async function daemonControlLoop(secured) {
  const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${secured.port}`, {
    username: 'vic',
    password: 'bench-password-1',
    clientId: 'vic',
  });
  const system = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no system telemetry')), (SYSTEM_INTERVAL_S + 10) * 1000);
    c.on('message', (_t, p) => {
      const s = JSON.parse(p.toString());
      if (s.controlLoop?.ticks > 0) {
        clearTimeout(timer);
        resolve(s);
      }
    });
    void c.subscribeAsync('smart-tank/farm-gw-01/system', { qos: 1 });
  });
  await c.endAsync();
  const l = system.controlLoop;
  return {
    ticks: l.ticks,
    p50Ms: l.tickP50Ms,
    p99Ms: l.tickP99Ms,
    maxMs: l.tickMaxMs,
    lateP99Ms: l.lateP99Ms,
  };
}

function percentiles(times) {
  const s = [...times].sort((a, b) => a - b);
  const at = (q) => round2(s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]);
  return { p50Ms: at(0.5), p99Ms: at(0.99), maxMs: round2(s[s.length - 1]) };
}

function summary(data) {
  const row = (label, r) =>
    [
      `  ${label}`,
      `    start          daemon ${r.daemon.startMs} ms, floor ${r.floor.startMs} ms, Node-RED ${r.nodeRed.startMs} ms`,
      `    RSS at rest    daemon ${r.daemon.rssMb} MB, floor ${r.floor.rssMb} MB, Node-RED (paper flow + rule) ${r.nodeRed.rssMb} MB`,
      `                   ratio to the floor ${r.rssRatioToFloor} (goal <= 1.2), to Node-RED ${r.rssRatioToNodeRed} (goal <= 0.6)`,
      `    CPU at rest    daemon ${r.daemon.idleCpuPct} %, floor ${r.floor.idleCpuPct} %, Node-RED ${r.nodeRed.idleCpuPct} %`,
      `    reaction       daemon tick p50 ${r.daemon.tick.p50Ms} ms, p99 ${r.daemon.tick.p99Ms} ms (goal <= 5); ` +
        `floor p50 ${r.floor.reaction.p50Ms} / p99 ${r.floor.reaction.p99Ms} ms; Node-RED p50 ${r.nodeRed.reaction.p50Ms} / p99 ${r.nodeRed.reaction.p99Ms} ms (MQTT both ways)`,
    ].join('\n');
  return [row('node defaults', data.plain), row(`all three with ${data.tuningFlag}`, data.tuned)].join('\n');
}

// ---- small things ---------------------------------------------------------------------------------------

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

export async function waitForPort(port) {
  const { connect } = await import('node:net');
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    const ok = await new Promise((resolve) => {
      const s = connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${port}`);
    await sleep(50);
  }
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}
function round1(x) {
  return Math.round(x * 10) / 10;
}
function round2(x) {
  return Math.round(x * 100) / 100;
}
