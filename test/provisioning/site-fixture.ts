// A provisioning site made through the real `smart-tank provision` command (in process, through the
// CLI's own entry point main()), and the helpers the provisioning tests share.

import { mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../daemon/cli/main.js';
import type { CliIo } from '../../daemon/cli/io.js';

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
