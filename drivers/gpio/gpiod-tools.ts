// The only file that runs the gpiod command-line tools (Debian package `gpiod`), the chardev backend's
// binding. libgpiod 1.6 (Bookworm) and 2.x (Trixie) take different arguments; the version is read once
// from `gpioset --version` and every call is built for it. Each call is bounded by a named timeout;
// argument arrays only, never a shell. An output is held by one long-running gpioset per line: the
// kernel keeps a requested line's level only while the requesting process lives.

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { errorCode, GpioError, type Bias } from './types.js';

/** A gpioget or gpiodetect answers in milliseconds; more means a hung tool or a stuck system. */
const TOOL_TIMEOUT_MS = 3000;
/** Time for gpioset to request its line (v2 confirms with a banner; v1 prints nothing on success). */
const HOLD_START_TIMEOUT_MS = 3000;
/** libgpiod 1.x gives no sign of success: a gpioset still running after this has its line. */
const V1_HOLD_SETTLE_MS = 300;
/** gpioset releases on SIGTERM at once; after this it is killed. */
const RELEASE_TIMEOUT_MS = 2000;
const CONSUMER = 'smart-tank';

export interface ChipEntry {
  name: string;
  label: string;
  lines: number;
}

export interface HeldLine {
  /** False once the gpioset process has gone (then the line is no longer held). */
  readonly alive: boolean;
  release(): Promise<void>;
}

export interface GpiodTools {
  readonly major: 1 | 2;
  readonly version: string;
  detect(): Promise<ChipEntry[]>;
  get(chip: string, offsets: readonly number[], bias: Bias): Promise<boolean[]>;
  hold(chip: string, offset: number, high: boolean): Promise<HeldLine>;
}

/** `binDir`: where the tools live (tests point it at fakes); default: found on PATH. */
export async function openGpiodTools(binDir?: string): Promise<GpiodTools> {
  const tool = (name: string) => (binDir ? join(binDir, name) : name);
  const versionText = await run(tool('gpioset'), ['--version']);
  const m = /v(\d+)\.(\d+)(?:\.(\d+))?/.exec(versionText);
  if (!m) throw new GpioError(`gpioset --version: unrecognized output "${versionText.split('\n')[0]}"`);
  const major = Number(m[1]);
  if (major !== 1 && major !== 2)
    throw new GpioError(`libgpiod v${m[1]} tools are not supported (1.x or 2.x)`);
  const version = m[0];

  const biasArgs = (bias: Bias): string[] => {
    if (bias === 'as-is') return [];
    if (major === 1) return ['-B', bias === 'disabled' ? 'disable' : bias];
    return ['-b', bias];
  };

  return {
    major,
    version,
    async detect() {
      const out = await run(tool('gpiodetect'), []);
      // Same in both versions: "gpiochip0 [pinctrl-bcm2711] (58 lines)"
      return out
        .split('\n')
        .map((l) => /^(\S+) \[(.*)\] \((\d+) lines\)/.exec(l.trim()))
        .filter((x): x is RegExpExecArray => x !== null)
        .map((x) => ({ name: x[1]!, label: x[2]!, lines: Number(x[3]) }));
    },
    async get(chip, offsets, bias) {
      const args =
        major === 1
          ? [...biasArgs(bias), chip, ...offsets.map(String)]
          : ['-C', CONSUMER, ...biasArgs(bias), '-c', chip, ...offsets.map(String)];
      const out = await run(tool('gpioget'), args);
      return parseValues(out, offsets.length);
    },
    hold(chip, offset, high) {
      const assignment = `${offset}=${high ? 1 : 0}`;
      const args =
        major === 1
          ? ['--mode=signal', chip, assignment]
          : ['--banner', '-C', CONSUMER, '-c', chip, assignment];
      return holdLine(tool('gpioset'), args, major);
    },
  };
}

/** v1: "1 0 1"; v2: `"17"=active "27"=inactive` (or "1 0 1" with --numeric). */
export function parseValues(out: string, count: number): boolean[] {
  const tokens = out.trim().split(/\s+/).filter(Boolean);
  const values = tokens.map((t) => {
    const v = t.includes('=') ? t.slice(t.lastIndexOf('=') + 1) : t;
    if (v === '1' || v === 'active') return true;
    if (v === '0' || v === 'inactive') return false;
    throw new GpioError(`gpioget: unexpected output "${out.trim()}"`);
  });
  if (values.length !== count) throw new GpioError(`gpioget: expected ${count} values, got "${out.trim()}"`);
  return values;
}

function run(file: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      { signal: AbortSignal.timeout(TOOL_TIMEOUT_MS), encoding: 'utf8' },
      (err, stdout, stderr) => {
        if (!err) return resolve(stdout);
        reject(toolError(file, args, err, stderr));
      },
    );
  });
}

function toolError(file: string, args: string[], err: Error, stderr: string): GpioError {
  const code = errorCode(err);
  if (code === 'ENOENT')
    return new GpioError(`${file} not found: install the gpiod tools (sudo apt install gpiod)`, {
      cause: err,
    });
  if (code === 'ABORT_ERR')
    return new GpioError(`${file} ${args.join(' ')}: no answer within ${TOOL_TIMEOUT_MS} ms`, { cause: err });
  return new GpioError(`${file} ${args.join(' ')}: ${gpiodHint(stderr.trim() || err.message)}`, {
    cause: err,
  });
}

/** Adds the fix to the tools' own error messages. */
export function gpiodHint(message: string): string {
  if (/permission denied/i.test(message))
    return `${message}: run the daemon as a user in the gpio group (sudo adduser USER gpio)`;
  if (/busy/i.test(message))
    return `${message}: the line is held by another program or a kernel driver (see gpioinfo)`;
  return message;
}

function holdLine(file: string, args: string[], major: 1 | 2): Promise<HeldLine> {
  return new Promise((resolve, reject) => {
    let child: ChildProcess;
    try {
      child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      reject(toolError(file, args, err as Error, ''));
      return;
    }
    let alive = true;
    let started = false;
    let stderr = '';
    let stdout = '';
    const closed = new Promise<void>((done) => child.on('close', () => done()));
    const held: HeldLine = {
      get alive() {
        return alive;
      },
      async release() {
        if (!alive) return;
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), RELEASE_TIMEOUT_MS);
        await closed;
        clearTimeout(timer);
      },
    };
    const ready = () => {
      if (started || !alive) return;
      started = true;
      clearTimeout(startTimer);
      resolve(held);
    };
    const startTimer = setTimeout(() => {
      if (started) return;
      child.kill('SIGKILL');
      reject(
        new GpioError(`${file} ${args.join(' ')}: did not hold the line within ${HOLD_START_TIMEOUT_MS} ms`),
      );
    }, HOLD_START_TIMEOUT_MS);
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      if (major === 2 && /Setting line/.test(stdout)) ready();
    });
    child.on('error', (err) => {
      alive = false;
      clearTimeout(startTimer);
      if (!started) reject(toolError(file, args, err, stderr));
    });
    child.on('close', (code, signal) => {
      alive = false;
      clearTimeout(startTimer);
      if (!started) {
        started = true;
        reject(toolError(file, args, new Error(`exited (${signal ?? code})`), stderr));
      }
    });
    if (major === 1) setTimeout(ready, V1_HOLD_SETTLE_MS);
  });
}
