// The only place the VPN supervisors start processes (wg, wg-quick, openvpn): argument arrays, never a
// shell; 'error' and 'close' both handled; every short-lived call bounded by a named timeout. Behind an
// interface so unit tests substitute the tools at their own interface (a fake `wg` printing a dump).

import { spawn } from 'node:child_process';

export interface RunOptions {
  /** The call is killed (SIGKILL) and rejected after this long. */
  timeoutMs: number;
  env?: NodeJS.ProcessEnv;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the process could not be started at all. */
  error?: Error;
}

export interface ChildHandle {
  readonly pid: number | undefined;
  /** Resolves once the process is gone; never rejects (a failed start resolves with `error`). */
  readonly exited: Promise<ChildExit>;
  kill(signal: NodeJS.Signals): void;
  /** Each line the process writes on stdout or stderr. */
  onOutput(listener: (line: string) => void): void;
}

export interface CommandRunner {
  /** Runs a tool to completion. Resolves with its exit status; rejects (ToolError) if it cannot run or hangs. */
  run(file: string, args: readonly string[], options: RunOptions): Promise<RunResult>;
  /** Starts a long-running process (openvpn), owned by the caller. */
  spawn(file: string, args: readonly string[], options?: { env?: NodeJS.ProcessEnv }): ChildHandle;
}

/** The Debian package of each tool, for the message when it is missing. */
const PACKAGE_OF: Record<string, string> = {
  wg: 'wireguard-tools',
  'wg-quick': 'wireguard-tools',
  'wireguard-go': 'wireguard-go',
  openvpn: 'openvpn',
};

export class ToolError extends Error {
  constructor(
    message: string,
    readonly tool: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ToolError';
  }
}

/** Output kept from one call: a `wg show dump` is a few lines; more means something is wrong. */
const MAX_OUTPUT_CHARS = 1_000_000;

export function missingToolMessage(file: string): string {
  const name = file.slice(file.lastIndexOf('/') + 1);
  const pkg = PACKAGE_OF[name];
  return `${name} not found${pkg ? `: install the Debian package ${pkg} (apt-get install ${pkg})` : ''}`;
}

function toolError(file: string, args: readonly string[], err: Error, timeoutMs?: number): ToolError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new ToolError(missingToolMessage(file), file, { cause: err });
  if (err.name === 'AbortError')
    return new ToolError(`${file} ${args.join(' ')}: no answer within ${timeoutMs} ms`, file, { cause: err });
  return new ToolError(`${file} ${args.join(' ')}: ${err.message}`, file, { cause: err });
}

export const nodeRunner: CommandRunner = {
  run(file, args, options) {
    return new Promise((resolve, reject) => {
      let settled = false;
      let stdout = '';
      let stderr = '';
      const child = spawn(file, args, {
        env: options.env ?? process.env,
        stdio: ['ignore', 'pipe', 'pipe'],
        signal: AbortSignal.timeout(options.timeoutMs),
        killSignal: 'SIGKILL',
      });
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        if (stdout.length < MAX_OUTPUT_CHARS) stdout += d;
      });
      child.stderr.setEncoding('utf8').on('data', (d: string) => {
        if (stderr.length < MAX_OUTPUT_CHARS) stderr += d;
      });
      child.on('error', (err) => {
        if (settled) return;
        settled = true;
        reject(toolError(file, args, err, options.timeoutMs));
      });
      child.on('close', (code, signal) => {
        if (settled) return;
        settled = true;
        resolve({ code, signal, stdout, stderr });
      });
    });
  },

  spawn(file, args, options = {}) {
    const listeners: ((line: string) => void)[] = [];
    const child = spawn(file, args, {
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const stream of [child.stdout, child.stderr]) {
      let buffer = '';
      stream.setEncoding('utf8').on('data', (chunk: string) => {
        buffer += chunk;
        let nl: number;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, nl).replace(/\r$/, '');
          buffer = buffer.slice(nl + 1);
          for (const l of listeners) l(line);
        }
        if (buffer.length > MAX_OUTPUT_CHARS) buffer = '';
      });
    }
    const exited = new Promise<ChildExit>((resolve) => {
      let spawnError: Error | undefined;
      child.on('error', (err) => {
        spawnError = toolError(file, args, err);
        // A process that never started emits no 'close' on some Node versions: settle here too.
        if (child.pid === undefined) resolve({ code: null, signal: null, error: spawnError });
      });
      child.on('close', (code, signal) =>
        resolve({ code, signal, ...(spawnError ? { error: spawnError } : {}) }),
      );
    });
    return {
      pid: child.pid,
      exited,
      kill: (signal) => {
        if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      },
      onOutput: (listener) => void listeners.push(listener),
    };
  },
};

/** The environment for the tools: the daemon's, without what would change how they run. */
export function toolEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  // wireguard-go stays in the foreground when this is 1 (wg-quick would then never return) and fork-loops
  // when it is 0; wg-quick must see it unset.
  delete env.WG_PROCESS_FOREGROUND;
  // wireguard-go keeps wg-quick's stdout open (so the call never completes) when LOG_LEVEL is set.
  delete env.LOG_LEVEL;
  // The tools' messages are matched by nobody, but keep them in English for people reading the log.
  env.LC_ALL = 'C';
  return env;
}
