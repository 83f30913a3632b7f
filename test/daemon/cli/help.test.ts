// Every command and subcommand answers -h/--help with its usage and exit 0 (through the built CLI, as a
// user types it), `--version` prints the version, and wrong input gets the reason and the usage, exit 2.

import { execFile, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CLI } from '../../helpers/daemon.js';

function smartTank(args: string[]) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000 });
}

/** --help calls at once, and how long they may take together on a shared CI machine. */
const HELP_CONCURRENCY = 6;
const HELP_DEADLINE_MS = 180_000;

const COMMANDS = [
  ['run'],
  ['config'],
  ['config', 'check'],
  ['hw'],
  ['hw', 'check'],
  ['sim'],
  ['user'],
  ['user', 'add'],
  ['user', 'passwd'],
  ['user', 'del'],
  ['user', 'list'],
  ['audit'],
  ['audit', 'verify'],
  ['audit', 'who'],
  ['vpn'],
  ['vpn', 'status'],
  ['vpn', 'run'],
  ['provision'],
  ['provision', 'init-site'],
  ['provision', 'add-device'],
  ['provision', 'bundle'],
  ['provision', 'hub-config'],
  ['provision', 'phone'],
  ['provision', 'revoke'],
  ['provision', 'list'],
  ['provision', 'add-server'],
  ['provision', 'central-config'],
  ['provision', 'operator'],
  ['fleet'],
  ['fleet', 'serve'],
  ['fleet', 'check'],
  ['bundle'],
  ['bundle', 'check'],
  ['bundle', 'apply'],
  ['first-boot'],
];

/** Runs the CLI without blocking, so the many --help calls run side by side. */
function smartTankAsync(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ status: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('smart-tank --help, everywhere', () => {
  it(
    'every command and subcommand answers --help and -h with its usage, exit 0',
    async () => {
      const calls = COMMANDS.flatMap((cmd) => ['--help', '-h'].map((flag) => [...cmd, flag]));
      const results: { args: string[]; r: Awaited<ReturnType<typeof smartTankAsync>> }[] = [];
      for (let i = 0; i < calls.length; i += HELP_CONCURRENCY) {
        const batch = calls.slice(i, i + HELP_CONCURRENCY);
        results.push(
          ...(await Promise.all(batch.map(async (args) => ({ args, r: await smartTankAsync(args) })))),
        );
      }
      for (const { args, r } of results) {
        expect(r.status, `smart-tank ${args.join(' ')}: ${r.stderr}`).toBe(0);
        expect(r.stdout, `smart-tank ${args.join(' ')}`).toMatch(
          new RegExp(`^usage: smart-tank ${args[0]}`, 'm'),
        );
      }
    },
    HELP_DEADLINE_MS,
  );

  it('smart-tank --help lists every command', () => {
    const r = smartTank(['--help']);
    expect(r.status).toBe(0);
    for (const c of [
      'run',
      'config check',
      'hw check',
      'sim',
      'user',
      'audit',
      'vpn status',
      'provision',
      'bundle',
      'first-boot',
    ])
      expect(r.stdout).toContain(`  ${c}`);
  });

  it('--version prints the version of package.json', () => {
    const version = (
      JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
        version: string;
      }
    ).version;
    const r = smartTank(['--version']);
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(`smart-tank ${version}`);
  });

  it('a wrong option or command says why, shows the usage, exit 2', () => {
    const bad = smartTank(['audit', 'verify', '--colour']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/Unknown option '--colour'/);
    expect(bad.stderr).toMatch(/^usage: smart-tank audit verify/m);
    const unknown = smartTank(['frobnicate']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command: frobnicate/);
  });

  it('a missing default config says what to do in one line', () => {
    const r = smartTank(['config', 'check']);
    expect(r.status).toBe(1);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(r.stdout).toMatch(
      /no such file: give the config with --config FILE \(in a checkout: --config daemon\/config\/example\.yaml/,
    );
  });
});
