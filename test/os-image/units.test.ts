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
        .replaceAll('/opt/smart-tank/node/bin/node', process.execPath)
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

  it('run the programs the package installs, and wait for a provisioned device', () => {
    for (const f of readdirSync(UNITS).filter((name) => name.endsWith('.service'))) {
      const unit = readFileSync(join(UNITS, f), 'utf8');
      for (const exec of unit.match(/^Exec\w+=\S+/gm) ?? []) {
        // The package's own Node.js (Bookworm's is 18), or a system tool by its absolute path.
        expect(exec, f).toMatch(
          /=(\/opt\/smart-tank\/node\/bin\/node|\/usr\/sbin\/nft|\/bin\/systemctl|\/bin\/sh)$/,
        );
      }
    }
    const daemon = readFileSync(join(UNITS, 'smart-tank.service'), 'utf8');
    expect(daemon).toMatch(/^ConditionPathExists=\/etc\/smart-tank\/config\.yaml$/m);
    expect(daemon).toMatch(/^User=smart-tank$/m);
    expect(daemon).toMatch(/^ProtectSystem=strict$/m);
    expect(daemon).toMatch(/^CapabilityBoundingSet=$/m);
    const vpn = readFileSync(join(UNITS, 'smart-tank-vpn.service'), 'utf8');
    expect(vpn).toMatch(/^ConditionPathExists=\|\/etc\/smart-tank\/vpn\/wg0\.conf$/m);
    expect(vpn).toMatch(/^CapabilityBoundingSet=.*CAP_NET_ADMIN/m);
    const firstBoot = readFileSync(join(UNITS, 'smart-tank-firstboot.service'), 'utf8');
    expect(firstBoot).toMatch(/^ConditionPathExists=\|\/boot\/firmware\/smart-tank\/FIRSTBOOT$/m);
    expect(firstBoot).toMatch(/^Before=.*smart-tank\.service.*mosquitto\.service/m);
  });
});
