// The image's systemd units pass `systemd-analyze verify` (which only warns on parse errors: any output
// on stderr fails the test).

import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/daemon.js';

const UNITS = new URL('../../os-image/systemd/', import.meta.url).pathname;
const ROOT = new URL('../..', import.meta.url).pathname;

describe('systemd units', () => {
  it('verify cleanly, with the daemon as Type=notify and a watchdog', () => {
    const dir = tempDir('units-');
    const files = readdirSync(UNITS).filter((f) => /\.(service|path|timer|socket)$/.test(f));
    expect(files).toEqual(expect.arrayContaining(['smart-tank.service']));
    for (const f of files) {
      // ExecStart must exist where the check runs: point it at this checkout's build.
      const text = readFileSync(join(UNITS, f), 'utf8')
        .replaceAll('/usr/bin/node', process.execPath)
        .replaceAll('/opt/smart-tank', ROOT.replace(/\/$/, ''));
      writeFileSync(join(dir, f), text);
    }
    const r = spawnSync('systemd-analyze', ['verify', ...files.map((f) => join(dir, f))], {
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const unit = readFileSync(join(UNITS, 'smart-tank.service'), 'utf8');
    expect(unit).toMatch(/^Type=notify$/m);
    expect(unit).toMatch(/^WatchdogSec=\d+$/m);
    expect(unit).toMatch(/^Restart=always$/m);
  });
});
