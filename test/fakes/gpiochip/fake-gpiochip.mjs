// The Node side of the fake GPIO character device (fake-gpiochip.c, an LD_PRELOAD library that emulates
// /dev/gpiochipN's uAPI v2 ioctls for a child process). This machine has no GPIO chip, so a test builds
// the library, gives the child the env below, sets input levels here and inspects what the pins did.
//
// The state file is shared with the C side: one 64-byte row per line, row i at byte i*64,
// `${level ? '1' : '0'} ${pid padded to 10} ${flags as 8 hex digits} ${consumer padded to 31}`, spaces to
// 63 bytes, then '\n'. The C side opens the file afresh for every operation and holds flock(LOCK_EX) while
// it reads and writes; Node cannot flock, so it never rewrites the file once a child may be using it: it
// creates it with write-temp-then-rename, then writes in place only an input's level byte (one byte cannot
// tear) or a holder's bytes 1..63. The C side writes an output's level byte and bytes 1..63 of the lines it
// requests or releases, so neither side overwrites the other's update, and a half-written row is re-read.

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** enum gpio_v2_line_flag in <linux/gpio.h> (the bits of a row's flags). */
export const LINE_FLAG = {
  USED: 1,
  ACTIVE_LOW: 2,
  INPUT: 4,
  OUTPUT: 8,
  EDGE_RISING: 16,
  EDGE_FALLING: 32,
  OPEN_DRAIN: 64,
  OPEN_SOURCE: 128,
  BIAS_PULL_UP: 256,
  BIAS_PULL_DOWN: 512,
  BIAS_DISABLED: 1024,
};

const ROW = 64;
const SOURCE = fileURLToPath(new URL('./fake-gpiochip.c', import.meta.url));

/** Compiles fake-gpiochip.c once per source version (shared by test workers) and returns the .so path. */
export function buildFakeGpiochip() {
  const source = readFileSync(SOURCE);
  const hash = createHash('sha256').update(source).digest('hex').slice(0, 16);
  const so = join(tmpdir(), `fake-gpiochip-${hash}.so`);
  if (/[\s:]/.test(so)) throw new Error(`LD_PRELOAD cannot hold a path with spaces or colons: ${so}`);
  if (existsSync(so)) return so;
  const partial = `${so}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  const args = ['-shared', '-fPIC', '-O1', '-Wall', '-Wextra', '-Werror', '-o', partial, SOURCE, '-ldl'];
  try {
    execFileSync('gcc', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    rmSync(partial, { force: true });
    if (e.code === 'ENOENT') {
      throw new Error("gcc not found: install gcc and linux-libc-dev (npm test's setup does)");
    }
    const stderr = e.stderr?.toString() ?? '';
    throw new Error(`gcc could not build ${SOURCE}:\n${stderr}`);
  }
  renameSync(partial, so); // atomic: a concurrent worker sees no .so or a whole one
  return so;
}

/** The bytes 1..63 of a row: everything but the level. */
function rowTail(pid, flags, consumer) {
  const tail = ` ${String(pid).padStart(10)} ${flags.toString(16).padStart(8, '0')} ${consumer.padEnd(31).slice(0, 31)}`;
  return `${tail.padEnd(ROW - 2)}\n`;
}

function parseRow(row) {
  const m = /^([01]) ([ \d]{9}\d) ([\da-f]{8}) (.{31}) {10}\n$/.exec(row);
  if (!m) return undefined;
  const [, level, pid, flags, consumer] = m;
  return {
    high: level === '1',
    holder: Number(pid),
    flags: parseInt(flags, 16),
    consumer: consumer.trimEnd(),
  };
}

function readLines(path) {
  return existsSync(path)
    ? readFileSync(path, 'utf8')
        .split('\n')
        .filter((l) => l !== '')
    : [];
}

/**
 * A fake gpiochip under `root`: `${root}/dev/<name>` (an empty file, so a probe listing /dev/gpiochip* finds
 * it; the library intercepts its open) and the state file `${root}/<name>.state`, all lines free and low.
 */
/** @type {import('./fake-gpiochip.d.mts').fakeGpiochip} */
export function fakeGpiochip(root, opts = {}) {
  const name = opts.name ?? 'gpiochip0';
  const lines = opts.lines ?? 58;
  const label = opts.label ?? 'pinctrl-bcm2711';
  if (!Number.isInteger(lines) || lines < 1 || lines > 64)
    throw new Error(`lines must be 1..64, not ${lines}`);
  if (!/^gpiochip\d+$/.test(name)) throw new Error(`a chip is named gpiochipN, not ${name}`);
  const devDir = join(root, 'dev');
  const stateFile = join(root, `${name}.state`);
  mkdirSync(devDir, { recursive: true });
  writeFileSync(join(devDir, name), '');
  for (const suffix of ['.log', '.starts']) rmSync(stateFile + suffix, { force: true });
  const free = `0${rowTail(0, 0, '')}`.repeat(lines);
  writeFileSync(`${stateFile}.tmp`, free);
  renameSync(`${stateFile}.tmp`, stateFile);

  const checkOffset = (offset) => {
    if (!Number.isInteger(offset) || offset < 0 || offset >= lines) {
      throw new Error(`offset ${offset} is not a line of ${name} (0..${lines - 1})`);
    }
  };
  const writeAt = (position, text) => {
    const fd = openSync(stateFile, 'r+');
    try {
      writeSync(fd, text, position, 'latin1');
    } finally {
      closeSync(fd);
    }
  };
  const line = (offset) => {
    checkOffset(offset);
    for (let attempt = 0; ; attempt++) {
      const row = readFileSync(stateFile, 'latin1').slice(offset * ROW, (offset + 1) * ROW);
      const parsed = parseRow(row);
      if (parsed) return parsed;
      // The C side may be half-way through its pwrite of this row: read again.
      if (attempt === 100)
        throw new Error(`row ${offset} of ${stateFile} does not parse: ${JSON.stringify(row)}`);
    }
  };

  return {
    env: {
      LD_PRELOAD: buildFakeGpiochip(),
      FAKE_GPIOCHIP_DEV: devDir,
      FAKE_GPIOCHIP_NAME: name,
      FAKE_GPIOCHIP_LABEL: label,
      FAKE_GPIOCHIP_LINES: String(lines),
      FAKE_GPIOCHIP_STATE: stateFile,
    },
    devDir,
    stateFile,
    // The level of an input; on a line the child drives (an output) the next SET_VALUES wins.
    setInput(offset, high) {
      checkOffset(offset);
      writeAt(offset * ROW, high ? '1' : '0');
    },
    line,
    log: () => readLines(`${stateFile}.log`),
    starts: (exe) => readLines(`${stateFile}.starts`).filter((l) => exe === undefined || l === exe).length,
    holdByOther(offset, pid, consumer) {
      if (!Number.isInteger(pid) || pid <= 0) throw new Error(`not a pid: ${pid}`);
      if (!/^[\x20-\x7e]{0,31}$/.test(consumer))
        throw new Error(`consumer must be up to 31 ASCII characters`);
      writeAt(offset * ROW + 1, rowTail(pid, line(offset).flags, consumer));
    },
  };
}
