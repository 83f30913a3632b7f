// `npm run bench pizero`: the daemon (a Mosquitto client, two simulated tanks, the dashboard) and its
// Mosquitto inside a Pi Zero 2 W's budget: a 256 MB memory limit and a quarter of one core (a Zero 2 W
// core is a 1 GHz Cortex-A53, several times slower than this machine's), by cgroup (v1 or v2, whichever
// this machine mounts). Then the same without limits, for reference. Reported: whether control ticks stay
// on time (the daemon's own `controlLoop` lateness and duration), peak memory of the group, OOM kills,
// and whether the daemon is still running at the end. Where no cgroup can be made, it says so and runs
// under `taskset` with a V8 heap limit instead.

import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { daemonControlLoop, securedDaemonSetup, startTimed } from './compare.mjs';

const root = new URL('../..', import.meta.url).pathname;
const CLI = join(root, 'dist/daemon/cli/smart-tank.js');
const MEMORY_LIMIT = 256 * 1024 * 1024;
/** A quarter of one core: cfs quota 25 ms every 100 ms, on CPU 0. */
const CPU_QUOTA_US = 25_000;
const CPU_PERIOD_US = 100_000;
const RUN_MS = process.env.BENCH_QUICK === '1' ? 15_000 : 120_000;
const V8_HEAP_MB = 128;

export async function pizeroBench(report) {
  const unlimited = await runOnce(undefined);
  const group = makeGroup();
  pinned = group === undefined;
  try {
    const limited = await runOnce(group);
    report(
      'pizero',
      {
        ...limited,
        unlimited,
        how: group ? group.how : `no cgroup here: taskset -c 0, --max-old-space-size=${V8_HEAP_MB}`,
      },
      [
        `  limited (${group ? group.how : 'taskset + V8 heap limit'}):`,
        `    control ticks  late p99 ${limited.daemon.tick.lateP99Ms} ms, duration p50 ${limited.daemon.tick.p50Ms} / p99 ${limited.daemon.tick.p99Ms} / max ${limited.daemon.tick.maxMs} ms over ${limited.daemon.tick.ticks} ticks`,
        `    memory         peak ${limited.peakMb} MB charged to the group (its own pages: node's binary is in the page cache already) (daemon ${limited.daemon.rssMb} MB, Mosquitto ${limited.mosquittoRssMb} MB), OOM kills ${limited.oomKills}`,
        `    daemon         ${limited.daemonAlive ? 'still running' : 'DIED'} after ${RUN_MS / 1000} s`,
        `  unlimited:       late p99 ${unlimited.daemon.tick.lateP99Ms} ms, tick p99 ${unlimited.daemon.tick.p99Ms} ms, daemon ${unlimited.daemon.rssMb} MB`,
      ].join('\n'),
    );
  } finally {
    group?.remove();
  }
}

/** The reference run is plain; without a cgroup the limited run is pinned to CPU 0. */
let pinned = false;
function unlimitedOrPinned(command) {
  return pinned ? ['taskset', '-c', '0', ...command] : command;
}

async function runOnce(group) {
  const children = [];
  try {
    const dir = mkdtempSync(join(tmpdir(), 'bench-pizero-'));
    const secured = await securedDaemonSetup(dir);
    children.push(secured.broker);
    group?.add(secured.broker.pid);
    const heap = !group && pinned ? [`--max-old-space-size=${V8_HEAP_MB}`] : [];
    const command = [process.execPath, ...heap, CLI, 'run', '--config', secured.config];
    // In the group before node starts (its first pages are charged there), or pinned to CPU 0.
    const [file, ...args] = group
      ? [
          'sh',
          '-c',
          `${group.procsFiles.map((f) => `echo $$ > ${f};`).join(' ')} exec "$@"`,
          'sh',
          ...command,
        ]
      : unlimitedOrPinned(command);
    const daemon = startTimed(children, file, args, (l) => l.includes('"msg":"MQTT connected"'));
    await daemon.ready;
    await new Promise((r) => setTimeout(r, RUN_MS));
    const tick = await daemonControlLoop(secured);
    const rss = (pid) =>
      Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
    const result = {
      daemon: { tick, rssMb: round1(rss(daemon.child.pid)) },
      mosquittoRssMb: round1(rss(secured.broker.pid)),
      daemonAlive: daemon.child.exitCode === null,
      peakMb: group ? round1(group.peakBytes() / 1048576) : undefined,
      oomKills: group ? group.oomKills() : 0,
    };
    return result;
  } finally {
    // Gone before the group is removed (a group with a task in it cannot be).
    await Promise.all(
      children
        .filter((c) => c.exitCode === null && c.signalCode === null)
        .map((c) => new Promise((resolve) => c.once('exit', resolve).kill('SIGKILL'))),
    );
  }
}

/** A memory + CPU cgroup (v2 if mounted so, else v1), or undefined when this machine allows none. */
function makeGroup() {
  const name = `smart-tank-pizero-${process.pid}`;
  try {
    if (existsSync('/sys/fs/cgroup/cgroup.controllers')) return v2(name);
    return v1(name);
  } catch (err) {
    process.stderr.write(`  (no cgroup: ${err.message})\n`);
    return undefined;
  }
}

function v1(name) {
  const mem = `/sys/fs/cgroup/memory/${name}`;
  const cpu = `/sys/fs/cgroup/cpu/${name}`;
  const cpuset = `/sys/fs/cgroup/cpuset/${name}`;
  try {
    return v1Setup(mem, cpu, cpuset);
  } catch (err) {
    for (const d of [mem, cpu, cpuset]) if (existsSync(d)) rmdirSync(d);
    throw err;
  }
}

function v1Setup(mem, cpu, cpuset) {
  for (const d of [mem, cpu, cpuset]) mkdirSync(d);
  writeFileSync(join(mem, 'memory.limit_in_bytes'), String(MEMORY_LIMIT));
  // A process added later (Mosquitto) brings the memory it has with it, where the kernel still can.
  try {
    writeFileSync(join(mem, 'memory.move_charge_at_immigrate'), '3');
  } catch {
    // Newer kernels dropped it: Mosquitto's few MB stay charged outside the group.
  }
  if (existsSync(join(mem, 'memory.memsw.limit_in_bytes')))
    writeFileSync(join(mem, 'memory.memsw.limit_in_bytes'), String(MEMORY_LIMIT));
  writeFileSync(join(cpu, 'cpu.cfs_period_us'), String(CPU_PERIOD_US));
  writeFileSync(join(cpu, 'cpu.cfs_quota_us'), String(CPU_QUOTA_US));
  writeFileSync(join(cpuset, 'cpuset.cpus'), '0');
  writeFileSync(
    join(cpuset, 'cpuset.mems'),
    readFileSync('/sys/fs/cgroup/cpuset/cpuset.mems', 'utf8').trim(),
  );
  return {
    how: 'cgroup v1: memory.limit_in_bytes 256 MB (swap included), cpu.cfs_quota_us 25 ms per 100 ms, cpuset 0',
    procsFiles: [mem, cpu, cpuset].map((d) => join(d, 'cgroup.procs')),
    add: (pid) => {
      for (const d of [mem, cpu, cpuset]) writeFileSync(join(d, 'cgroup.procs'), String(pid));
    },
    peakBytes: () => Number(readFileSync(join(mem, 'memory.max_usage_in_bytes'), 'utf8')),
    oomKills: () =>
      Number(/oom_kill (\d+)/.exec(readFileSync(join(mem, 'memory.oom_control'), 'utf8'))?.[1] ?? 0),
    remove: () => {
      for (const d of [mem, cpu, cpuset]) rmdirSync(d);
    },
  };
}

function v2(name) {
  const dir = `/sys/fs/cgroup/${name}`;
  mkdirSync(dir);
  writeFileSync(join(dir, 'memory.max'), String(MEMORY_LIMIT));
  if (existsSync(join(dir, 'memory.swap.max'))) writeFileSync(join(dir, 'memory.swap.max'), '0');
  writeFileSync(join(dir, 'cpu.max'), `${CPU_QUOTA_US} ${CPU_PERIOD_US}`);
  if (existsSync(join(dir, 'cpuset.cpus'))) writeFileSync(join(dir, 'cpuset.cpus'), '0');
  return {
    how: 'cgroup v2: memory.max 256 MB, no swap, cpu.max 25 ms per 100 ms, cpuset 0',
    procsFiles: [join(dir, 'cgroup.procs')],
    add: (pid) => writeFileSync(join(dir, 'cgroup.procs'), String(pid)),
    peakBytes: () =>
      Number(
        readFileSync(
          join(dir, existsSync(join(dir, 'memory.peak')) ? 'memory.peak' : 'memory.current'),
          'utf8',
        ),
      ),
    oomKills: () => Number(/oom_kill (\d+)/.exec(readFileSync(join(dir, 'memory.events'), 'utf8'))?.[1] ?? 0),
    remove: () => rmdirSync(dir),
  };
}

function round1(x) {
  return Math.round(x * 10) / 10;
}
