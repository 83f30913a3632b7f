// `npm run bench gpio`: what one conduction-probe sample costs on the GPIO character device (Trixie, Pi 5):
// processes started per sample and per minute, and CPU per sample, for the GPIO line server (one python3
// holding the lines, against the fake gpiochip of test/fakes/gpiochip/, emulated at the ioctl level) and
// for the gpiod tools on libgpiod 1.6, 2 without gpioset's interactive mode and 2 with it, side by side in
// one run. The tools are the fake ones of test/fakes/gpiod/ (node scripts that keep the line state in a
// file): real processes, so the counts are what a Pi would start, but each costs a node start (~40 ms of
// CPU) where a real gpioget costs ~1 ms: read their CPU column as proportional to the process count, not
// as a Pi's figure. The line server's CPU is its own and this process's, per sample.

import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLK_TCK, procStat } from './compare.mjs';

const root = new URL('../..', import.meta.url).pathname;
const FAKE_TOOLS = join(root, 'test/fakes/gpiod/');
const SAMPLES = process.env.BENCH_QUICK === '1' ? 3 : 10;
/** One probe sample per control tick: every 2 s with the example's sampleIntervalMs. */
const SAMPLES_PER_MINUTE = 30;
/** The example's probe wiring: three electrodes, an excitation pin and a reversal pin. */
const PROBES = {
  electrodes: [
    { id: 'dry', heightMm: 150, pin: 5, role: 'dry-run' },
    { id: 'mid', heightMm: 900, pin: 6, role: 'level' },
    { id: 'top', heightMm: 1800, pin: 13, role: 'high-high' },
  ],
  wetWhenHigh: true,
  excitationPin: 19,
  reversePin: 20,
};

const VARIANTS = [
  { label: 'line server (python3)', lineServer: true },
  { label: 'libgpiod 1.6', version: '1.6.3', interactive: false },
  { label: 'libgpiod 2, gpioset without -i', version: '2.1.3', interactive: false },
  { label: 'libgpiod 2, gpioset -i', version: '2.1.3', interactive: true },
];

export async function gpioBench() {
  const { selectGpioBackend } = await import(join(root, 'dist/drivers/gpio/select.js'));
  const { openGpiodTools } = await import(join(root, 'dist/drivers/gpio/gpiod-tools.js'));
  const { ConductionProbeArray } = await import(join(root, 'dist/drivers/probes/conduction.js'));
  const { LineServer } = await import(join(root, 'dist/drivers/gpio/line-server.js'));
  const { fakeGpiochip } = await import(join(root, 'test/fakes/gpiochip/fake-gpiochip.mjs'));
  const runs = [];
  for (const v of VARIANTS) {
    const pi = v.lineServer ? chipPi(fakeGpiochip, LineServer) : toolsPi(v, openGpiodTools);
    const { backend } = await selectGpioBackend(
      { backend: 'chardev', chardevVia: v.lineServer ? 'line-server' : 'gpiod-tools' },
      pi.env,
    );
    const probes = new ConductionProbeArray(backend, { name: 'bench probes', ...PROBES });
    await probes.open();
    const opened = pi.starts();
    const cpu0 = cpuMs() + pi.serverCpuMs();
    const mem = pi.serverMemKb();
    const t0 = performance.now();
    for (let i = 0; i < SAMPLES; i++) await probes.sample();
    const wallMs = performance.now() - t0;
    const cpu = cpuMs() + pi.serverCpuMs() - cpu0;
    const perSample = (pi.starts() - opened) / SAMPLES;
    await probes.close();
    await backend.close?.();
    runs.push({
      label: v.label,
      samples: SAMPLES,
      processesPerSample: round1(perSample),
      processesPerMinute: Math.round(perSample * SAMPLES_PER_MINUTE),
      cpuMsPerSample: round1(cpu / SAMPLES),
      wallMsPerSample: round1(wallMs / SAMPLES),
      ...(mem ? { serverRssMb: round1(mem.rss / 1024), serverPssMb: round1(mem.pss / 1024) } : {}),
    });
  }
  return { samplesPerMinute: SAMPLES_PER_MINUTE, runs };
}

/** A Pi without sysfs GPIO (/dev/gpiochip0 only), its tools the fake ones at `version`. */
function toolsPi({ version, interactive }, openGpiodTools) {
  const dir = mkdtempSync(join(tmpdir(), 'bench-gpio-'));
  const state = join(dir, 'gpiod-state.json');
  process.env.FAKE_GPIOD_VERSION = version;
  process.env.FAKE_GPIOD_STATE = state;
  process.env.FAKE_GPIOD_INTERACTIVE = interactive ? '1' : '0';
  mkdirSync(join(dir, 'dev'));
  writeFileSync(join(dir, 'dev', 'gpiochip0'), '');
  const starts = () => {
    try {
      return readFileSync(`${state}.starts`, 'utf8').split('\n').filter(Boolean).length;
    } catch {
      return 0;
    }
  };
  const env = { root: dir, openTools: () => openGpiodTools(FAKE_TOOLS) };
  return { env, starts, serverCpuMs: () => 0, serverMemKb: () => undefined };
}

/** The same Pi whose /dev/gpiochip0 is the fake gpiochip, the line server run by Debian's python3. */
function chipPi(fakeGpiochip, LineServer) {
  const dir = mkdtempSync(join(tmpdir(), 'bench-gpio-'));
  const chip = fakeGpiochip(dir);
  let pid;
  const startLineServer = async (devDir) => {
    const server = await LineServer.start({
      devDir,
      python: '/usr/bin/python3',
      env: { ...process.env, ...chip.env },
    });
    pid = server.pid;
    return server;
  };
  return {
    env: { root: dir, startLineServer },
    starts: () => chip.starts(),
    serverCpuMs: () => procStat(pid).cpuMs,
    // RSS, and the proportional set size (shared pages counted by their share).
    serverMemKb: () => {
      const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
      return { rss: Number(/^Rss:\s+(\d+)/m.exec(rollup)[1]), pss: Number(/^Pss:\s+(\d+)/m.exec(rollup)[1]) };
    },
  };
}

/** CPU of this process and of its children that have exited (the tools), in ms. */
function cpuMs() {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime, stime, cutime, cstime: fields 14-17 of stat (11-14 after the command name)
  return ([11, 12, 13, 14].reduce((n, i) => n + Number(f[i]), 0) * 1000) / CLK_TCK;
}

function round1(x) {
  return Math.round(x * 10) / 10;
}
