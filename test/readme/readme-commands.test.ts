// Every `smart-tank` command in the README's shell blocks runs as written, through bash, in a scratch
// directory that stands in for a checkout and a Pi: a newcomer who copies a line gets what the README
// says, not a usage error. What the scratch directory changes, and only that:
// - paths of a Pi (/etc/smart-tank, /var/lib/smart-tank, /var/log/mosquitto, the SD card) point into it,
//   and a user command without --config gets the scratch Pi's config (as on a Pi, where it is the default);
// - FILE (a placeholder) is the example config, `pw` a password file;
// - a fault campaign runs 2 runs of 2 days instead of hundreds of 60 (the same code path, minutes less);
// - prompts get a password typed twice, and "no" to the relay-click confirmation.

import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SystemClock } from '../../daemon/clock.js';
import { AuditLog } from '../../daemon/security/audit-log.js';
import { newHmacKey, signatureValid } from '../../daemon/security/hmac.js';
import { CLI, tempDir } from '../helpers/daemon.js';

const ROOT = new URL('../..', import.meta.url).pathname;
/** Each command on a shared CI machine; the slowest is a 30-day simulation (~5 s idle). */
const COMMAND_TIMEOUT_MS = 120_000;

/** The README's ```sh blocks that hold `smart-tank` lines: those lines, comments cut, in order. */
function readmeBlocks(readme: string): string[][] {
  const blocks: string[][] = [];
  let block: string[] | undefined;
  for (const line of readme.split('\n')) {
    if (line.startsWith('```')) {
      if (block?.length) blocks.push(block);
      block = line.trim() === '```sh' ? [] : undefined;
      continue;
    }
    if (block && /^(npx )?smart-tank /.test(line)) block.push(line.replace(/\s+#\s.*$/, '').trim());
  }
  return blocks;
}

function forScratch(line: string): string {
  return line
    .replace(/(^|; )npx smart-tank /g, '$1smart-tank ')
    .replace(/\/etc\/smart-tank\//g, 'etc/smart-tank/')
    .replace(/\/var\/lib\/smart-tank\//g, 'var/')
    .replace(/\/var\/log\/mosquitto\//g, 'var/')
    .replace(/\/media\/\$USER\/bootfs/g, 'bootfs')
    .replace(/ FILE\b/g, ' daemon/config/example.yaml')
    .replace(/--campaign \d+/, '--campaign 2 --days 2')
    .replace(/(--campaign 2 --days 2.*) --days \d+/, '$1')
    .split(' ; ')
    .map((c) =>
      /^smart-tank user /.test(c) && !c.includes('--config') ? `${c} --config etc/smart-tank/config.yaml` : c,
    )
    .join(' ; ');
}

async function scratchDirectory(): Promise<string> {
  const dir = tempDir('readme-');
  mkdirSync(join(dir, 'bin'));
  mkdirSync(join(dir, 'daemon/config'), { recursive: true });
  mkdirSync(join(dir, 'etc/smart-tank'), { recursive: true });
  mkdirSync(join(dir, 'var'));
  mkdirSync(join(dir, 'bootfs'));
  copyFileSync(join(ROOT, 'daemon/config/example.yaml'), join(dir, 'daemon/config/example.yaml'));
  copyFileSync(join(ROOT, 'daemon/config/example.yaml'), join(dir, 'etc/smart-tank/config.yaml'));
  writeFileSync(join(dir, 'bin/smart-tank'), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`, {
    mode: 0o755,
  });
  writeFileSync(join(dir, 'pw'), 'viewer-password-1\n');
  // What a day of the daemon leaves for `audit who`: a login and a subscription of vic's.
  const audit = new AuditLog(join(dir, 'var/audit.log'), new SystemClock('assume-synced'));
  await audit.open();
  await audit.append({ kind: 'login', who: 'vic', from: '10.77.0.2', what: 'mqtt login', result: 'ok' });
  await audit.append({
    kind: 'subscribe',
    who: 'vic',
    from: '10.77.0.2',
    what: 'subscribe smart-tank/farm-gw-01/tank/+/state',
    result: 'granted',
  });
  await audit.close();
  writeFileSync(
    join(dir, 'var/mosquitto.log'),
    "2026-12-01T06:00:00: New client connected from 10.77.0.2:51514 as vic-phone (p2, c1, k60, u'vic').\n",
  );
  return dir;
}

function runLine(dir: string, line: string) {
  return spawnSync('bash', ['-c', line], {
    cwd: dir,
    encoding: 'utf8',
    timeout: COMMAND_TIMEOUT_MS,
    input: 'admin-password-1\nadmin-password-1\nno\n',
    env: { ...process.env, PATH: `${join(dir, 'bin')}:${process.env.PATH}`, USER: 'installer' },
  });
}

/** The README's lines that assign a shell variable (CMD=, KEY=, SIG=), in order. */
function shellAssignments(readme: string, names: string[]): string[] {
  return readme.split('\n').filter((l) => names.some((n) => l.startsWith(`${n}=`)));
}

describe('the README’s signing one-liner', () => {
  it('makes a command the daemon’s signature check accepts, and only under its key', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const lines = shellAssignments(readme, ['CMD', 'KEY', 'SIG']);
    expect(lines.map((l) => l.split('=')[0])).toEqual(['CMD', 'KEY', 'SIG', 'CMD']);
    const key = newHmacKey();
    const script = [
      ...lines.map((l) => (l.startsWith('KEY=') ? `KEY='${key.toString('base64')}'` : l)),
      'printf %s "$CMD"',
    ];
    const r = spawnSync('bash', ['-c', script.join('\n')], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const command = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(command).toMatchObject({ action: 'valve', open: true, tank: 'house', sig: expect.any(String) });
    expect(signatureValid(command, key)).toBe(true);
    expect(signatureValid(command, newHmacKey())).toBe(false);
  });
});

describe('the README’s commands, as written', () => {
  it('finds the commands of every section that shows one', () => {
    const lines = readmeBlocks(readFileSync(join(ROOT, 'README.md'), 'utf8')).flat();
    for (const verb of [
      'config check',
      'user add',
      'audit who',
      'hw check',
      'provision bundle',
      'sim --campaign',
      'fleet check',
    ])
      expect(
        lines.some((l) => l.includes(`smart-tank ${verb}`)),
        verb,
      ).toBe(true);
  });

  it(
    'each one runs to exit 0, in order, with no usage error and no stack trace',
    async () => {
      const failures: string[] = [];
      // Each block is a sequence (a site made, then a device added to it): a fresh directory each.
      for (const block of readmeBlocks(readFileSync(join(ROOT, 'README.md'), 'utf8'))) {
        const dir = await scratchDirectory();
        for (const line of block) {
          const r = runLine(dir, forScratch(line));
          const output = `${r.stdout}${r.stderr}`;
          if (r.status !== 0 || /^\s+at .+:\d+:\d+\)?$/m.test(output))
            failures.push(
              `${line}\n  -> exit ${r.status}: ${output.trim().split('\n').slice(-3).join('\n     ')}`,
            );
        }
      }
      expect(failures).toEqual([]);
    },
    COMMAND_TIMEOUT_MS * 6,
  );
});
