// A provisioning site made through the real `smart-tank provision` command (in process, through the
// CLI's own entry point main()), and the helpers the provisioning tests share.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../daemon/cli/main.js';
import type { CliIo } from '../../daemon/cli/io.js';
import { afterAll } from 'vitest';

/** Site directories of this test file: removed when its tests are done (they hold generated keys). */
const siteDirs: string[] = [];
afterAll(() => {
  for (const dir of siteDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

export interface CliRun {
  code: number;
  out: string;
  err: string;
}

export async function smartTank(args: string[]): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    out: (t) => out.push(t),
    err: (t) => err.push(t),
    progress: () => {},
    isTTY: false,
  };
  const code = await main(args, io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

export interface TestSite {
  dir: string;
  provision(...args: string[]): Promise<CliRun>;
  /** Runs and fails the test with the command's stderr unless it exits 0. */
  ok(...args: string[]): Promise<CliRun>;
  read(rel: string): string;
}

export async function makeSite(options: {
  site?: string;
  endpoint?: string;
  network?: string;
  extra?: string[];
}): Promise<TestSite> {
  const dir = mkdtempSync(join(tmpdir(), 'st-prov-'));
  siteDirs.push(dir);
  const provision = (...args: string[]) => smartTank(['provision', ...args, '--dir', dir]);
  const ok = async (...args: string[]) => {
    const r = await provision(...args);
    if (r.code !== 0) throw new Error(`provision ${args.join(' ')} exited ${r.code}: ${r.err}\n${r.out}`);
    return r;
  };
  await ok(
    'init-site',
    options.site ?? 'testfarm',
    '--endpoint',
    options.endpoint ?? 'vpn1.testfarm.example',
    ...(options.network ? ['--network', options.network] : []),
    ...(options.extra ?? []),
  );
  return { dir, provision, ok, read: (rel) => readFileSync(join(dir, rel), 'utf8') };
}

/** Every file under a directory, relative paths. */
export function filesUnder(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(dir, prefix))) {
    const rel = prefix ? join(prefix, name) : name;
    if (statSync(join(dir, rel)).isDirectory()) out.push(...filesUnder(dir, rel));
    else out.push(rel);
  }
  return out;
}

/** The value of a `Key = value` line of a wg-quick config. */
export function wgValue(conf: string, key: string): string {
  const m = new RegExp(`^${key}\\s*=\\s*(.+)$`, 'm').exec(conf);
  if (!m) throw new Error(`no ${key} in config`);
  return m[1]!.trim();
}

/** Mosquitto opens its listeners in milliseconds; a slow CI machine, later. */
export const BROKER_START_TIMEOUT_MS = 10_000;

export interface Broker {
  child: ChildProcess;
  output: () => string;
  stop(): Promise<void>;
}

/**
 * Starts `mosquitto -c FILE -v` and waits until it has opened `port` and says it is running (printed
 * after the listeners and the persistence file are loaded: before it, a connection may be refused).
 */
export async function startMosquitto(confFile: string, port: number): Promise<Broker> {
  const child = spawn('mosquitto', ['-c', confFile, '-v'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`mosquitto did not start: ${output}`)),
      BROKER_START_TIMEOUT_MS,
    );
    const onData = (d: Buffer) => {
      output += d;
      if (output.includes(`Opening ipv4 listen socket on port ${port}.`) && / running$/m.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`mosquitto exited ${code}: ${output}`));
    });
  });
  return {
    child,
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
