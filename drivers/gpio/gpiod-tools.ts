// The only file that runs the gpiod command-line tools (Debian package `gpiod`), the chardev backend's
// binding. libgpiod 1.6 (Bookworm) and 2.x (Trixie) take different arguments; the version is read once
// from `gpioset --version` and every call is built for it. Each call is bounded by a named timeout;
// argument arrays only, never a shell. An output is held by one long-running gpioset per line: the
// kernel keeps a requested line's level only while the requesting process lives. libgpiod 2's gpioset
// confirms its request (--banner); 1.6's prints nothing on success, so there `gpioinfo` is asked: the line
// must be free before, and in use while our gpioset lives, after. Where libgpiod 2's gpioset was built
// with its interactive mode (`-i`, listed by `gpioset --help`), the holder stays for the output's life and
// takes each new level as a `set` command, confirmed by `get`: no process per relay switch.

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { errorCode, gpiodHint, GpioError, type Bias, type ChipEntry } from './types.js';

/** A gpioget or gpiodetect answers in milliseconds; more means a hung tool or a stuck system. */
const TOOL_TIMEOUT_MS = 3000;
/**
 * Time for gpioset to request its line. Milliseconds on a Pi; generous because a loaded machine can take
 * seconds to start a process, and an output that is not held yet is off (the safe side) meanwhile.
 */
const HOLD_START_TIMEOUT_MS = 10_000;
/** libgpiod 1.x: how often gpioinfo is asked whether our gpioset has its line yet. */
const V1_HOLD_POLL_MS = 50;
/** gpioset releases on SIGTERM at once; after this it is killed. */
const RELEASE_TIMEOUT_MS = 2000;
const CONSUMER = 'smart-tank';

export interface HeldLine {
  /** False once the gpioset process has gone (then the line is no longer held). */
  readonly alive: boolean;
  /** Changes the held line's level in place (interactive gpioset only); resolves once it is confirmed. */
  set?(high: boolean): Promise<void>;
  release(): Promise<void>;
}

export interface GpiodTools {
  readonly major: 1 | 2;
  readonly version: string;
  /** gpioset has its interactive mode (libgpiod 2 built with it): held lines change level in place. */
  readonly interactive: boolean;
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
  const interactive =
    major === 2 && /--interactive/.test(await run(tool('gpioset'), ['--help']).catch(() => ''));

  const biasArgs = (bias: Bias): string[] => {
    if (bias === 'as-is') return [];
    if (major === 1) return ['-B', bias === 'disabled' ? 'disable' : bias];
    return ['-b', bias];
  };

  return {
    major,
    version,
    interactive,
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
    async hold(chip, offset, high) {
      const assignment = `${offset}=${high ? 1 : 0}`;
      if (interactive)
        return holdInteractive(
          tool('gpioset'),
          ['--banner', '-i', '-C', CONSUMER, '-c', chip, assignment],
          offset,
        );
      if (major === 2)
        return holdLine(tool('gpioset'), ['--banner', '-C', CONSUMER, '-c', chip, assignment], {
          banner: /Setting line/,
        });
      const args = ['--mode=signal', chip, assignment];
      const consumer = () => lineConsumerV1(tool('gpioinfo'), chip, offset);
      const holder = await consumer();
      if (holder !== undefined)
        throw new GpioError(
          `gpioset ${args.join(' ')}: ${gpiodHint(`line ${offset} of ${chip}: Device or resource busy (used by "${holder}")`)}`,
        );
      return holdLine(tool('gpioset'), args, { inUse: async () => (await consumer()) !== undefined });
    },
  };
}

/**
 * libgpiod 1.6's `gpioinfo CHIP`: who uses line `offset`, undefined when nobody does. Its lines read
 * `line  17:   "GPIO17"   "gpioset"  output  active-high [used]` (`unused` in place of a free line's
 * consumer, `unnamed` of a nameless line's name).
 */
async function lineConsumerV1(gpioinfo: string, chip: string, offset: number): Promise<string | undefined> {
  const out = await run(gpioinfo, [chip]);
  for (const l of out.split('\n')) {
    const m = /^\s*line\s+(\d+):\s+(?:"[^"]*"|unnamed)\s+(?:"([^"]*)"|unused)/.exec(l);
    if (m && Number(m[1]) === offset) return m[2];
  }
  throw new GpioError(`gpioinfo ${chip}: no line ${offset} in its output`);
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

/** How gpioset shows it holds its line: a banner on stdout (v2), or the line in use while it lives (v1). */
type HoldSign = { banner: RegExp } | { inUse: () => Promise<boolean> };

function holdLine(file: string, args: string[], sign: HoldSign): Promise<HeldLine> {
  return startHolder(file, args, sign, 'ignore').then((holder) => holder.held);
}

/** A started gpioset that holds its line, with its stdin (interactive mode) and what it printed. */
interface Holder {
  held: HeldLine;
  child: ChildProcess;
  stdout(): string;
}

function startHolder(
  file: string,
  args: string[],
  sign: HoldSign,
  stdin: 'ignore' | 'pipe',
): Promise<Holder> {
  return new Promise((resolve, reject) => {
    let child: ChildProcess;
    try {
      child = spawn(file, args, { stdio: [stdin, 'pipe', 'pipe'] });
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
      resolve({ held, child, stdout: () => stdout });
    };
    const startTimer = setTimeout(() => {
      if (started) return;
      child.kill('SIGKILL');
      reject(
        new GpioError(`${file} ${args.join(' ')}: did not hold the line within ${HOLD_START_TIMEOUT_MS} ms`),
      );
    }, HOLD_START_TIMEOUT_MS);
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    // A write to a gpioset that just died: its close event says so.
    child.stdin?.on('error', () => undefined);
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      if ('banner' in sign && sign.banner.test(stdout)) ready();
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
    if ('inUse' in sign) void pollUntilInUse(sign.inUse, () => started || !alive, ready);
  });
}

/** Asks until the line is in use (then `ready`), or until `done` (started, or the gpioset has gone). */
async function pollUntilInUse(inUse: () => Promise<boolean>, done: () => boolean, ready: () => void) {
  while (!done()) {
    // A failing gpioinfo is asked again: the start timeout bounds the wait.
    if (await inUse().catch(() => false)) return ready();
    await new Promise((r) => setTimeout(r, V1_HOLD_POLL_MS));
  }
}

/** gpioset's prompt: printed by itself when stdout is not a terminal, once ready and after each command. */
const PROMPT = 'gpioset> ';

/**
 * libgpiod 2 built with its interactive mode: one gpioset for the output's life. A level change is a
 * `set`, then a `get` that must read the new level back. Released by SIGTERM (never by closing stdin:
 * gpioset's prompt loop spins on end of input).
 */
async function holdInteractive(file: string, args: string[], offset: number): Promise<HeldLine> {
  const holder = await startHolder(file, args, { banner: /Setting line[^]*gpioset> / }, 'pipe');
  let queue: Promise<unknown> = Promise.resolve();
  const ask = (commands: string[]): Promise<string> => {
    const answer = queue.then(() => exchange(holder, commands));
    queue = answer.catch(() => undefined);
    return answer;
  };
  return {
    get alive() {
      return holder.held.alive;
    },
    async set(high) {
      const value = high ? 1 : 0;
      const answer = await ask([`set ${offset}=${value}`, `get ${offset}`]);
      const m = new RegExp(`"?${offset}"?=(active|inactive)`).exec(answer);
      if (!m || (m[1] === 'active') !== high)
        throw new GpioError(
          `${file} (interactive): set ${offset}=${value} not confirmed: "${answer.replaceAll(PROMPT, '').trim()}"`,
        );
    },
    release: () => holder.held.release(),
  };
}

/** Writes commands to an interactive gpioset; resolves with what it printed once it prompts after each. */
function exchange(holder: Holder, commands: string[]): Promise<string> {
  const { child } = holder;
  const from = holder.stdout().length;
  const what = commands.join('; ');
  return new Promise((resolve, reject) => {
    const done = (err?: Error) => {
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      child.off('close', onClose);
      if (err) reject(err);
      else resolve(holder.stdout().slice(from));
    };
    const onData = () => {
      if (holder.stdout().slice(from).split(PROMPT).length > commands.length) done();
    };
    const onClose = () => done(new GpioError(`gpioset (interactive) exited before answering "${what}"`));
    const timer = setTimeout(
      () => done(new GpioError(`gpioset (interactive): no answer to "${what}" within ${TOOL_TIMEOUT_MS} ms`)),
      TOOL_TIMEOUT_MS,
    );
    if (!holder.held.alive) return onClose();
    child.stdout!.on('data', onData);
    child.once('close', onClose);
    child.stdin!.write(commands.map((c) => `${c}\n`).join(''));
  });
}
