// The daemon's side of the GPIO line server (line-server.py, beside this file): starts the one python3
// process that holds every line, sends it requests as JSON lines and matches the answers by id. Each
// answer is awaited for a bounded time; a server that does not answer is killed (its state is unknown: an
// unanswered `set` could still be applied), and the backend starts a new one on its next call.

import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { packageRoot } from '../../daemon/package-root.js';
import { gpiodHint, GpioError, type Bias, type ChipEntry } from './types.js';

/** python3 starts in ~50 ms on a Pi 4; generous for a Pi Zero at boot, next to the daemon's own start. */
const START_TIMEOUT_MS = 10_000;
/** One ioctl: microseconds. Seconds mean a stuck process or system. */
const ANSWER_TIMEOUT_MS = 3000;
const PROTOCOL = 1;

export interface LineServerOptions {
  /** Where the gpiochips are: /dev on a Pi (tests: a fake tree's dev/). */
  devDir: string;
  /** The interpreter; default python3 on PATH. */
  python?: string;
  /** The server's environment; default the daemon's (tests add the fake chip's preload). */
  env?: NodeJS.ProcessEnv;
  consumer?: string;
}

interface Answer {
  id: number;
  ok: boolean;
  code?: string;
  error?: string;
  handle?: number;
  values?: boolean[];
}

interface Pending {
  what: string;
  resolve: (a: Answer) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export const LINE_SERVER_SCRIPT = join(packageRoot(), 'drivers/gpio/line-server.py');

export class LineServer {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private exited: string | undefined;
  private stderr = '';

  private constructor(
    private readonly child: ChildProcess,
    readonly chips: ChipEntry[],
    /** Chips the server found but cannot use, with why (for the error when none is usable). */
    readonly problems: string[],
  ) {}

  static start(options: LineServerOptions): Promise<LineServer> {
    const python = options.python ?? 'python3';
    // -I -S: no user site, no environment variables, no site module; -B: never writes bytecode.
    const args = ['-I', '-S', '-B', LINE_SERVER_SCRIPT, '--dev', options.devDir];
    args.push('--consumer', options.consumer ?? 'smart-tank');
    const child = spawn(python, args, { stdio: ['pipe', 'pipe', 'pipe'], env: options.env ?? process.env });
    return new Promise((resolve, reject) => {
      let server: LineServer | undefined;
      let stderr = '';
      const fail = (why: string) => {
        clearTimeout(timer);
        child.kill('SIGKILL');
        reject(new GpioError(`GPIO line server (${python} ${LINE_SERVER_SCRIPT}): ${why}`));
      };
      const timer = setTimeout(() => fail(`not ready within ${START_TIMEOUT_MS} ms`), START_TIMEOUT_MS);
      child.on('error', (err) =>
        fail((err as NodeJS.ErrnoException).code === 'ENOENT' ? `${python} not found` : err.message),
      );
      child.stderr!.setEncoding('utf8').on('data', (d: string) => {
        if (server) server.noteStderr(d);
        else stderr = (stderr + d).slice(-2000);
      });
      child.on('close', (code, signal) => {
        if (server) server.gone(`exited (${signal ?? code})`);
        else fail(`exited (${signal ?? code}) before it was ready${stderr ? `: ${stderr.trim()}` : ''}`);
      });
      child.stdin!.on('error', () => undefined); // a write to a server that just died: 'close' says so
      createInterface({ input: child.stdout! }).on('line', (line) => {
        if (server) return server.onAnswer(line);
        const ready = parseReady(line);
        if (typeof ready === 'string') return fail(ready);
        clearTimeout(timer);
        server = new LineServer(child, ready.chips, ready.problems);
        // The server never keeps the daemon's event loop alive by itself: a pending answer's timer does.
        child.unref();
        for (const s of [child.stdin, child.stdout, child.stderr]) (s as { unref?: () => void }).unref?.();
        resolve(server);
      });
    });
  }

  get alive(): boolean {
    return this.exited === undefined;
  }

  /** How the server ended ("exited (SIGKILL)", with its last stderr), undefined while it runs. */
  get exitReason(): string | undefined {
    return this.exited;
  }

  /** The server's process (the bench reads its CPU; a test kills it). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Requests lines (one request: read together, set together); resolves with the request's handle. */
  async request(
    chip: string,
    offsets: readonly number[],
    direction: 'input' | 'output',
    values: readonly boolean[],
    bias: Bias,
  ): Promise<number> {
    const a = await this.ask({ op: 'request', chip, offsets, direction, values, bias });
    if (typeof a.handle !== 'number')
      throw new GpioError(`GPIO line server: request answered without a handle`);
    return a.handle;
  }

  async get(handle: number, count: number): Promise<boolean[]> {
    return valuesOf(await this.ask({ op: 'get', handle }), count);
  }

  /** Sets the lines; resolves with the levels the kernel reads back after the change. */
  async set(handle: number, values: readonly boolean[]): Promise<boolean[]> {
    return valuesOf(await this.ask({ op: 'set', handle, values }), values.length);
  }

  async release(handle: number): Promise<void> {
    await this.ask({ op: 'release', handle });
  }

  /** Ends the server: it exits at the end of its input, and the kernel frees its lines. */
  async close(): Promise<void> {
    if (!this.alive) return;
    const closed = new Promise<void>((done) => this.child.once('close', () => done()));
    this.child.stdin!.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), ANSWER_TIMEOUT_MS);
    await closed;
    clearTimeout(timer);
  }

  private ask(request: Record<string, unknown>): Promise<Answer> {
    const what = `${String(request.op)} ${JSON.stringify(request.offsets ?? request.handle)}`;
    if (this.exited) return Promise.reject(new GpioError(`GPIO line server ${this.exited}: ${what}`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new GpioError(`GPIO line server: no answer to ${what} within ${ANSWER_TIMEOUT_MS} ms`));
        this.child.kill('SIGKILL');
      }, ANSWER_TIMEOUT_MS);
      this.pending.set(id, { what, resolve, reject, timer });
      this.child.stdin!.write(JSON.stringify({ id, ...request }) + '\n');
    });
  }

  private onAnswer(line: string): void {
    let answer: Answer;
    try {
      answer = JSON.parse(line) as Answer;
    } catch {
      this.noteStderr(`unparsable answer: ${line}\n`);
      return;
    }
    const p = this.pending.get(answer.id);
    if (!p) return;
    this.pending.delete(answer.id);
    clearTimeout(p.timer);
    if (answer.ok) p.resolve(answer);
    else p.reject(new GpioError(gpiodHint(answer.error ?? `refused (${answer.code})`)));
  }

  private noteStderr(d: string): void {
    this.stderr = (this.stderr + d).slice(-2000);
  }

  private gone(how: string): void {
    this.exited = this.stderr.trim() ? `${how}: ${this.stderr.trim()}` : how;
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new GpioError(`GPIO line server ${this.exited} before answering ${p.what}`));
      this.pending.delete(id);
    }
  }
}

/** The server's first line: its chips, or why it cannot serve. */
function parseReady(line: string): { chips: ChipEntry[]; problems: string[] } | string {
  let ready: { ready?: boolean; protocol?: number; chips?: unknown };
  try {
    ready = JSON.parse(line) as typeof ready;
  } catch {
    return `unexpected first line "${line.slice(0, 200)}"`;
  }
  if (ready.ready !== true || ready.protocol !== PROTOCOL || !Array.isArray(ready.chips))
    return `speaks another protocol (${line.slice(0, 200)}); want ${PROTOCOL}`;
  const chips: ChipEntry[] = [];
  const problems: string[] = [];
  for (const c of ready.chips as Array<Partial<ChipEntry> & { error?: string }>) {
    if (typeof c.error === 'string') problems.push(`${c.name}: ${c.error}`);
    else if (typeof c.name === 'string' && typeof c.label === 'string' && typeof c.lines === 'number')
      chips.push({ name: c.name, label: c.label, lines: c.lines });
  }
  return { chips, problems };
}

function valuesOf(a: Answer, count: number): boolean[] {
  const v = a.values;
  if (!Array.isArray(v) || v.length !== count || v.some((x) => typeof x !== 'boolean'))
    throw new GpioError(`GPIO line server: expected ${count} values, got ${JSON.stringify(v)}`);
  return v;
}
