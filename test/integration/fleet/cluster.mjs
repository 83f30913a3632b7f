// Real brokers of the fleet on loopback, for the fleet tests and `npm run bench` (plain JavaScript so the
// bench runs with bare node): a RabbitMQ cluster of N nodes from the Debian package (each node its own
// directory owned by user rabbitmq, its own name, ports and Erlang cookie, a private epmd on its own
// port so the test never touches another one), and Mosquitto processes (the hubs, a gateway's broker).
//
// Each node runs /usr/lib/rabbitmq/bin/rabbitmq-server directly as user rabbitmq with
// RUNNING_UNDER_SYSTEMD set, so it execs the Erlang VM: the child's PID is the node, and SIGKILL on it
// is a node lost (what the tests and the bench do to one node).

import { execFile, spawn } from 'node:child_process';
import { chownSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const RABBITMQ_BIN = '/usr/lib/rabbitmq/bin';
/** A node takes ~9 s alone and ~30 s for three forming a cluster on a 2-core machine: 3x margin. */
export const CLUSTER_READY_TIMEOUT_MS = 150_000;
const CTL_TIMEOUT_MS = 60_000;
export const SHARED_CPU_ERL_ARGS = '+sbwt none +sbwtdcpu none +sbwtdio none';
const POLL_MS = 100;

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = s.address().port;
      s.close(() => resolve(port));
    });
  });
}

export function canConnect(port, host = '127.0.0.1') {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function run(file, args, options = {}) {
  return new Promise((resolve) => {
    execFile(file, args, { encoding: 'utf8', timeout: CTL_TIMEOUT_MS, ...options }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

async function rabbitUser() {
  const uid = await run('id', ['-u', 'rabbitmq']);
  const gid = await run('id', ['-g', 'rabbitmq']);
  if (uid.code !== 0)
    throw new Error('no user rabbitmq: apt-get install -y --no-install-recommends rabbitmq-server');
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/** Names and ports of a cluster's nodes, chosen before anything starts (configs name them). */
export async function planRabbitCluster(names) {
  const nodes = [];
  for (const name of names)
    nodes.push({ name, node: `${name}@localhost`, mqttPort: await freePort(), distPort: await freePort() });
  return { nodes };
}

/**
 * Starts a RabbitMQ cluster on loopback and waits until every node runs and sees the others.
 *   plan: from planRabbitCluster
 *   conf(node): the node's rabbitmq.conf text (provisioning's rabbitConf with this node's MQTT listener
 *     and definitions path), given { name, node, mqttPort, definitionsPath }
 *   definitions: the definitions.json text every node imports at boot
 */
export async function startRabbitCluster({ plan, conf, definitions, tag = 'fleet' }) {
  const user = await rabbitUser();
  const base = mkdtempSync(join(tmpdir(), `st-rmq-${tag}-`));
  const cookie = `STFLEET${process.pid}${Date.now()}`.slice(0, 40);
  writeFileSync(join(base, '.erlang.cookie'), cookie, { mode: 0o400 });
  const epmdPort = await freePort();
  const nodes = [];
  for (const p of plan.nodes) {
    const dir = join(base, p.name);
    mkdirSync(dir);
    const node = { ...p, dir, pidFile: join(dir, 'pid'), child: undefined, exited: undefined, log: [] };
    const definitionsPath = join(dir, 'definitions.json');
    writeFileSync(definitionsPath, definitions);
    writeFileSync(join(dir, 'enabled_plugins'), '[rabbitmq_mqtt].\n');
    writeFileSync(join(dir, 'rabbitmq.conf'), conf({ ...node, definitionsPath }));
    nodes.push(node);
  }
  chownTree(base, user);
  const env = (node) => ({
    PATH: process.env.PATH,
    HOME: base,
    LANG: 'C.UTF-8',
    ERL_EPMD_PORT: String(epmdPort),
    RUNNING_UNDER_SYSTEMD: '1',
    RABBITMQ_NODENAME: node.node,
    RABBITMQ_CONFIG_FILE: join(node.dir, 'rabbitmq'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(node.dir, 'enabled_plugins'),
    RABBITMQ_MNESIA_BASE: join(node.dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(node.dir, 'log'),
    RABBITMQ_LOGS: '-',
    RABBITMQ_DIST_PORT: String(node.distPort),
    RABBITMQ_PID_FILE: node.pidFile,
    // No busy-waiting schedulers: three nodes share two cores with everything else here (RabbitMQ's
    // runtime guide recommends it where CPUs are shared; a dedicated node may keep the default).
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: SHARED_CPU_ERL_ARGS,
  });
  // A private epmd: killed by its PID at the end, never one another test or service uses.
  const epmd = spawn('epmd', ['-port', String(epmdPort)], { stdio: 'ignore', uid: user.uid, gid: user.gid });
  await waitUntil(() => canConnect(epmdPort), 10_000, `epmd on port ${epmdPort}`);

  const cluster = {
    base,
    nodes,
    epmdPort,
    env,
    /** rabbitmqctl (or another CLI tool) against one node, as user rabbitmq, with the test's cookie. */
    ctl(i, args, tool = 'rabbitmqctl') {
      const n = nodes[i];
      return run(join(RABBITMQ_BIN, tool), ['-n', n.node, ...args], {
        env: env(n),
        uid: user.uid,
        gid: user.gid,
        cwd: base,
      });
    },
    start(i) {
      const n = nodes[i];
      n.child = spawn(join(RABBITMQ_BIN, 'rabbitmq-server'), [], {
        env: env(n),
        uid: user.uid,
        gid: user.gid,
        cwd: n.dir,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const keep = (d) => {
        n.log.push(String(d));
        if (n.log.length > 400) n.log.splice(0, 100);
      };
      n.child.stdout.on('data', keep);
      n.child.stderr.on('data', keep);
      n.exited = new Promise((r) => n.child.once('exit', (code, signal) => r({ code, signal })));
    },
    async waitNode(i) {
      const n = nodes[i];
      const r = await run(
        join(RABBITMQ_BIN, 'rabbitmqctl'),
        ['-n', n.node, '-t', String(CLUSTER_READY_TIMEOUT_MS / 1000), 'wait', n.pidFile],
        { env: env(n), uid: user.uid, gid: user.gid, cwd: base, timeout: CLUSTER_READY_TIMEOUT_MS },
      );
      if (r.code !== 0)
        throw new Error(`RabbitMQ node ${n.node} not ready: ${r.stderr}\n${n.log.join('').slice(-3000)}`);
      await waitUntil(() => canConnect(n.mqttPort), CLUSTER_READY_TIMEOUT_MS, `MQTT on ${n.node}`);
    },
    /** Nodes the cluster reports running, as seen from node i. */
    async runningNodes(i = 0) {
      const r = await cluster.ctl(i, ['cluster_status', '--formatter', 'json']);
      if (r.code !== 0) return [];
      return JSON.parse(r.stdout).running_nodes ?? [];
    },
    /** A node lost: SIGKILL on the Erlang VM (no clean shutdown, no leaving the cluster). */
    async kill(i) {
      const n = nodes[i];
      if (!n.child || n.child.exitCode !== null) return;
      n.child.kill('SIGKILL');
      await n.exited;
    },
    /** The node's OS process id (for RSS and CPU). */
    pid(i) {
      return nodes[i].child?.pid;
    },
    async stop() {
      await Promise.all(
        nodes.map(async (n) => {
          if (!n.child || n.child.exitCode !== null) return;
          n.child.kill('SIGTERM');
          const t = setTimeout(() => n.child.kill('SIGKILL'), 20_000);
          await n.exited;
          clearTimeout(t);
        }),
      );
      if (epmd.exitCode === null) {
        epmd.kill('SIGTERM');
        await new Promise((r) => epmd.once('exit', r));
      }
      rmSync(base, { recursive: true, force: true });
    },
  };
  const guardian = { child: undefined };
  const guard = () => {
    guardian.child?.kill();
    guardian.child = startGuardian(base, [epmd.pid, ...nodes.map((n) => n.child?.pid)]);
  };
  const stop = cluster.stop;
  cluster.stop = async () => {
    guardian.child?.kill();
    await stop();
  };
  const start = cluster.start;
  cluster.start = (i) => {
    start(i);
    guard();
  };
  try {
    nodes.forEach((_, i) => cluster.start(i));
    await Promise.all(nodes.map((_, i) => cluster.waitNode(i)));
    await waitUntil(
      async () => (await cluster.runningNodes(0)).length === nodes.length,
      CLUSTER_READY_TIMEOUT_MS,
      `a cluster of ${nodes.length} running nodes`,
    );
  } catch (err) {
    await cluster.stop().catch(() => {});
    throw err;
  }
  return cluster;
}

const GUARDIAN = new URL('./guardian.mjs', import.meta.url).pathname;

/** A detached watcher that kills `pids` and removes `dir` once this process is gone (even by SIGKILL). */
export function startGuardian(dir, pids) {
  const child = spawn(
    process.execPath,
    [GUARDIAN, String(process.pid), dir ?? '-', ...pids.filter(Boolean).map(String)],
    {
      detached: true,
      stdio: 'ignore',
    },
  );
  child.unref();
  return child;
}

function chownTree(dir, { uid, gid }) {
  // mkdtemp made it 0700 root: the nodes run as rabbitmq and must own everything they touch.
  chownSync(dir, uid, gid);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) chownTree(path, { uid, gid });
    else chownSync(path, uid, gid);
  }
}

export async function waitUntil(probe, timeoutMs, what) {
  const start = Date.now();
  for (;;) {
    if (await probe()) return;
    if (Date.now() - start > timeoutMs)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/**
 * A Mosquitto process from a config file; `output()` is its stderr (log_dest stderr by default).
 * `extraArgs` lets the bench start it under prlimit (an open-file limit).
 */
export async function startMosquitto(confFile, port, { prefix = [] } = {}) {
  const [cmd, ...args] = [...prefix, 'mosquitto', '-c', confFile];
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let out = '';
  child.stderr.on('data', (d) => {
    out += d;
    if (out.length > 200_000) out = out.slice(-100_000);
  });
  const exited = new Promise((r) => child.once('exit', (code, signal) => r({ code, signal })));
  const guardian = startGuardian(undefined, [child.pid]);
  void exited.then(() => guardian.kill());
  const started = Date.now();
  while (!(await canConnect(port))) {
    if (child.exitCode !== null) throw new Error(`mosquitto ${confFile} exited: ${out}`);
    if (Date.now() - started > 10_000) throw new Error(`mosquitto did not open port ${port}: ${out}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    child,
    pid: child.pid,
    output: () => out,
    /** A clean stop (SIGTERM): Mosquitto writes its persistence file on the way out. */
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await exited;
    },
    async kill() {
      if (child.exitCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** RSS (MB) and CPU time (ms) of a process, from /proc. */
export function procStat(pid, clkTck = 100) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
  return { cpuMs: (ticks * 1000) / clkTck, rssMb: rssKb / 1024 };
}
