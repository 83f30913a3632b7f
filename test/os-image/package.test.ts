// The Debian package as installers get it (npm run package): what dpkg-deb says is in it, then its whole
// life in a throwaway root (an overlay of this machine's root in a private mount and network namespace):
// install, provision with a device bundle, the installed Mosquitto config enforcing its ACL, the
// installed daemon running as its unit would, upgrade to a newer build (config, state, history and
// credentials survive, an installer's edit of a conffile too), remove (config kept), purge (gone).
// One build of each version serves every test here (building is the slow part: ~20 s each).

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  appendFileSync,
  existsSync,
  lstatSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  statSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/daemon.js';
import { buildDeb, exitOf, unitSetting, waitForLog, type BuiltDeb } from '../helpers/deb.js';
import { writeDeviceBundle, type DeviceBundle } from '../helpers/device-bundle.js';
import { ThrowawayRoot } from '../helpers/throwaway-root.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const PROBE = new URL('../helpers/mqtt-acl-probe.mjs', import.meta.url).pathname;
const LOGIN = new URL('../helpers/mqtt-login.mjs', import.meta.url).pathname;
/** Start to READY on a simulated tank is ~0.4 s here; a slow CI machine under load gets far more. */
const DAEMON_READY_TIMEOUT_MS = 30_000;
const BROKER_READY_TIMEOUT_MS = 10_000;
const TEST_TIMEOUT_MS = 240_000;

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  version: string;
  devDependencies: Record<string, string>;
};
const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { dev?: boolean }>;
};

interface ContentLine {
  mode: string;
  owner: string;
  path: string;
  target?: string;
}

/** `dpkg-deb --contents`: mode, owner/group, size, date, time, ./path [-> target]. */
function contents(deb: string): ContentLine[] {
  const out = spawnSync('dpkg-deb', ['--contents', deb], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  expect(out.status, out.stderr).toBe(0);
  return out.stdout
    .trim()
    .split('\n')
    .map((line) => {
      const m = /^(\S+) (\S+)\s+\d+ \S+ \S+ \.(\/.*?)(?: -> (.*))?$/.exec(line);
      if (!m) throw new Error(`unexpected dpkg-deb --contents line: ${line}`);
      return {
        mode: m[1]!,
        owner: m[2]!,
        path: m[3]!.replace(/\/$/, '') || '/',
        ...(m[4] ? { target: m[4] } : {}),
      };
    });
}

function field(deb: string, name: string): string {
  return spawnSync('dpkg-deb', ['--field', deb, name], { encoding: 'utf8' }).stdout.trim();
}

function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** Owner, group, mode and hash of every file below dir (as this process sees the throwaway root). */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const full = join(d, name);
      const st = lstatSync(full);
      const id = `${st.uid}:${st.gid} ${(st.mode & 0o7777).toString(8)}`;
      if (st.isDirectory()) {
        out[full.slice(dir.length)] = `${id} dir`;
        walk(full);
      } else out[full.slice(dir.length)] = `${id} ${sha256(full)}`;
    }
  };
  walk(dir);
  return out;
}

describe('the Debian package', () => {
  const out = tempDir('deb-');
  const newer = `${pkg.version}+upgrade1`;
  let v1: BuiltDeb;
  let v2: BuiltDeb;

  beforeAll(() => {
    v1 = buildDeb(join(out, 'v1'));
    v2 = buildDeb(join(out, 'v2'), newer);
  }, 2 * TEST_TIMEOUT_MS);
  // Two packages and an extracted one are ~200 MB: not left behind in /tmp run after run.
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('says what it is and what it needs (dpkg-deb --info)', () => {
    expect(field(v1.deb, 'Package')).toBe('smart-tank');
    expect(field(v1.deb, 'Version')).toBe(pkg.version);
    expect(field(v1.deb, 'Architecture')).toBe('amd64');
    const depends = field(v1.deb, 'Depends').split(/,\s*/);
    for (const d of ['mosquitto', 'wireguard-tools', 'nftables', 'tzdata', 'adduser', 'libc6', 'libstdc++6'])
      expect(depends.some((x) => x.split(' ')[0] === d)).toBe(true);
    expect(field(v1.deb, 'Recommends').split(/,\s*/)).toEqual(
      expect.arrayContaining(['openvpn', 'python3', 'gpiod']),
    );
    expect(Number(field(v1.deb, 'Installed-Size'))).toBe(v1.installedKiB);
    // A newer build compares as newer to dpkg.
    expect(spawnSync('dpkg', ['--compare-versions', newer, 'gt', pkg.version]).status).toBe(0);
    const info = spawnSync('dpkg-deb', ['--info', v1.deb], { encoding: 'utf8' }).stdout;
    for (const script of ['postinst', 'prerm', 'postrm', 'conffiles', 'md5sums'])
      expect(info).toContain(` ${script}`);
    // Every native addon loaded with the bundled Node.js when the package was built.
    expect(v1.nativeAddons).toEqual(
      expect.arrayContaining([
        'better-sqlite3',
        'unix-dgram',
        'epoll',
        'i2c-bus',
        '@serialport/bindings-cpp',
      ]),
    );
  });

  it('holds the documented files, all root-owned, with their modes (dpkg-deb --contents)', () => {
    const lines = contents(v1.deb);
    const byPath = new Map(lines.map((l) => [l.path, l]));
    expect(lines.filter((l) => l.owner !== 'root/root')).toEqual([]);
    expect(lines.filter((l) => /^.{8}w|[sS]/.test(l.mode))).toEqual([]); // no world-writable, no set-id
    const expectMode = (path: string, mode: string) => expect(byPath.get(path)?.mode, path).toBe(mode);
    expectMode('/usr/bin/smart-tank', '-rwxr-xr-x');
    expectMode('/opt/smart-tank/node/bin/node', '-rwxr-xr-x');
    expectMode('/opt/smart-tank/dist/daemon/cli/smart-tank.js', '-rw-r--r--');
    expectMode('/opt/smart-tank/hardware/profiles/waveshare-rpi-relay-board.yaml', '-rw-r--r--');
    expectMode('/opt/smart-tank/drivers/gpio/line-server.py', '-rw-r--r--');
    for (const unit of ['smart-tank', 'smart-tank-vpn', 'smart-tank-firstboot', 'smart-tank-firewall'])
      expectMode(`/usr/lib/systemd/system/${unit}.service`, '-rw-r--r--');
    const conffiles = spawnSync('dpkg-deb', ['--info', v1.deb, 'conffiles'], { encoding: 'utf8' })
      .stdout.trim()
      .split('\n');
    expect(conffiles).toEqual([
      '/etc/mosquitto/conf.d/smart-tank.conf',
      '/etc/nftables.d/smart-tank.nft',
      '/etc/nftables.d/smart-tank-ifaces.nft',
      '/etc/sysctl.d/90-smart-tank.conf',
      '/etc/systemd/journald.conf.d/90-smart-tank.conf',
      '/etc/fail2ban/filter.d/mosquitto-auth.conf',
      '/etc/fail2ban/jail.d/smart-tank-mosquitto.conf',
    ]);
    for (const c of conffiles) expectMode(c, '-rw-r--r--');
    // Everything under /etc is a conffile; the device's own files come from its bundle, not the package.
    const etcFiles = lines
      .filter((l) => l.path.startsWith('/etc/') && l.mode.startsWith('-'))
      .map((l) => l.path);
    expect(etcFiles.sort()).toEqual([...conffiles].sort());
    expect(byPath.has('/etc/smart-tank/config.yaml')).toBe(false);
    expect(byPath.has('/var/lib/smart-tank')).toBe(false); // made by postinst, owned by smart-tank
  });

  it('carries production node_modules only, for its own architecture', () => {
    const lines = contents(v1.deb);
    const modules = new Set(
      lines
        .map((l) => /^\/opt\/smart-tank\/node_modules\/((?:@[^/]+\/)?[^/]+)$/.exec(l.path)?.[1])
        .filter((m): m is string => m !== undefined),
    );
    for (const dep of [
      'mqtt',
      'better-sqlite3',
      'yaml',
      'zod',
      'aedes',
      'onoff',
      'i2c-bus',
      'unix-dgram',
      'serialport',
    ])
      expect(modules.has(dep), dep).toBe(true);
    // Nothing development-only, at any depth (package-lock.json marks them "dev").
    const devOnly = Object.entries(lock.packages)
      .filter(([path, e]) => e.dev && path.startsWith('node_modules/'))
      .map(([path]) => `/opt/smart-tank/${path}`);
    const paths = new Set(lines.map((l) => l.path));
    expect(devOnly.filter((p) => paths.has(p))).toEqual([]);
    for (const heavy of Object.keys(pkg.devDependencies)) expect(modules.has(heavy), heavy).toBe(false);
    // No compiler leftovers or other platforms' prebuilt binaries.
    expect(
      lines.filter((l) =>
        /\/(obj\.target|\.deps)\/|\.(o|a|cc|gyp)$|prebuilds\/(darwin|win32|android|linux-arm)/.test(l.path),
      ),
    ).toEqual([]);
    // Every ELF file is x86-64 (e_machine 62).
    const x = join(out, 'extracted');
    expect(spawnSync('dpkg-deb', ['-x', v1.deb, x]).status).toBe(0);
    const foreign: string[] = [];
    const walk = (d: string) => {
      for (const name of readdirSync(d)) {
        const full = join(d, name);
        const st = lstatSync(full);
        if (st.isDirectory()) walk(full);
        else if (st.isFile() && st.size > 20) {
          const head = readFileSync(full).subarray(0, 20);
          if (head.readUInt32BE(0) === 0x7f454c46 && head.readUInt16LE(18) !== 62) foreign.push(full);
        }
      }
    };
    walk(x);
    expect(foreign).toEqual([]);
    // The bundled runtime is the pinned Node.js >= 20.19 (Bookworm's own is 18).
    const version = spawnSync(join(x, 'opt/smart-tank/node/bin/node'), ['--version'], {
      encoding: 'utf8',
    }).stdout;
    expect(version.trim()).toMatch(/^v(20\.(19|[2-9]\d)|2[1-9])\./);
  });

  describe('installed, provisioned, upgraded, removed and purged in a throwaway root', () => {
    let root: ThrowawayRoot;
    let bundle: DeviceBundle;
    const ids = () => ({
      user: readFileSync(root.path('/etc/passwd'), 'utf8').match(/^smart-tank:x:(\d+):(\d+):/m),
      mosquitto: readFileSync(root.path('/etc/group'), 'utf8').match(/^mosquitto:x:(\d+):/m),
    });

    beforeAll(async () => {
      root = await ThrowawayRoot.create(tempDir('deb-root-'));
      bundle = await writeDeviceBundle(tempDir('deb-bundle-'));
    });
    afterAll(async () => {
      await root?.destroy();
    });

    async function startMosquitto() {
      // What Debian's mosquitto.service does before it starts the broker with its main config.
      root.ok(['install', '-d', '-o', 'mosquitto', '-m', '0740', '/run/mosquitto']);
      const broker = root.start(['mosquitto', '-c', '/etc/mosquitto/mosquitto.conf']);
      const started = Date.now();
      while (
        root
          .runInNetwork([process.execPath, LOGIN, '127.0.0.1', '1883', 'x', 'y', '127.0.0.1'])
          .stdout.includes('unreachable')
      ) {
        if (broker.exitCode !== null || Date.now() - started > BROKER_READY_TIMEOUT_MS)
          throw new Error(
            `mosquitto did not start: ${readFileSync(root.path('/var/log/mosquitto/mosquitto.log'), 'utf8')}`,
          );
      }
      return broker;
    }

    /** The daemon as smart-tank.service runs it: its ExecStart, as its User= with its SupplementaryGroups=. */
    async function startDaemon() {
      const unit = readFileSync(root.path('/usr/lib/systemd/system/smart-tank.service'), 'utf8');
      const user = unitSetting(unit, 'User')!;
      const groups = unitSetting(unit, 'SupplementaryGroups')!.split(/\s+/);
      const daemon = root.start(unitSetting(unit, 'ExecStart')!.split(/\s+/), { user: { user, groups } });
      await waitForLog(daemon, (l) => l.msg === 'gateway ready', DAEMON_READY_TIMEOUT_MS, 'gateway ready');
      return daemon;
    }

    async function stop(child: ReturnType<ThrowawayRoot['start']>) {
      child.kill('SIGTERM');
      return exitOf(child);
    }

    /** Trend points in the installed daemon's history, read with the package's own Node.js and SQLite. */
    function historyRows(): string {
      const script = `const D = require('/opt/smart-tank/node_modules/better-sqlite3');
        const db = new D('/var/lib/smart-tank/telemetry.db', { readonly: true });
        console.log(db.prepare('SELECT COUNT(*) AS n FROM history_fine').get().n);`;
      return root.ok(['/opt/smart-tank/node/bin/node', '-e', script]).trim();
    }

    function probe(user: string, password: string, read: string, write: string) {
      const r = root.runInNetwork([
        process.execPath,
        PROBE,
        '127.0.0.1',
        '1883',
        user,
        password,
        read,
        write,
      ]);
      return JSON.parse(r.stdout.trim()) as { login: string; received: string[]; publish: string };
    }

    it('installs: the smart-tank user, its directories, enabled units, a program that runs', () => {
      root.ok(['dpkg', '-i', v1.deb]);
      expect(root.ok(['dpkg-query', '-W', '-f', '${Status} ${Version}', 'smart-tank'])).toBe(
        `install ok installed ${pkg.version}`,
      );
      const { user, mosquitto } = ids();
      expect(user, 'smart-tank in /etc/passwd').not.toBeNull();
      const [uid, gid] = [Number(user![1]), Number(user![2])];
      expect(readFileSync(root.path('/etc/passwd'), 'utf8')).toMatch(
        /^smart-tank:x:\d+:\d+:[^:]*:\/var\/lib\/smart-tank:\/usr\/sbin\/nologin$/m,
      );
      const state = statSync(root.path('/var/lib/smart-tank'));
      expect([state.uid, state.gid, state.mode & 0o7777]).toEqual([uid, gid, 0o750]);
      const etc = statSync(root.path('/etc/smart-tank'));
      expect([etc.uid, etc.mode & 0o7777]).toEqual([0, 0o755]);
      // Nobody can log in to Mosquitto until a bundle brings users (no anonymous access either).
      const passwd = statSync(root.path('/etc/smart-tank/mqtt.passwd'));
      expect([passwd.size, passwd.uid, passwd.gid, passwd.mode & 0o7777]).toEqual([
        0,
        uid,
        Number(mosquitto![1]),
        0o640,
      ]);
      // Enabled: symlinks to the package's units (read as links: their targets are paths of that root).
      const wants = (target: string, unit: string) =>
        readlinkSync(root.path(`/etc/systemd/system/${target}.wants/${unit}`)).replace(/^\/usr/, '');
      for (const unit of [
        'smart-tank.service',
        'smart-tank-vpn.service',
        'smart-tank-firstboot.service',
        'smart-tank-mqtt-reload.path',
      ])
        expect(wants('multi-user.target', unit)).toBe(`/lib/systemd/system/${unit}`);
      expect(wants('sysinit.target', 'smart-tank-firewall.service')).toBe(
        '/lib/systemd/system/smart-tank-firewall.service',
      );
      expect(root.ok(['smart-tank', 'config', 'check', '/opt/smart-tank/examples/config.yaml'])).toMatch(
        /ok|valid/i,
      );
      // Not provisioned: the daemon's unit would not start.
      const unit = readFileSync(root.path('/usr/lib/systemd/system/smart-tank.service'), 'utf8');
      expect(
        root.run([
          'systemd-analyze',
          'condition',
          unitSetting(unit, 'ConditionPathExists')!.replace(/^/, 'ConditionPathExists='),
        ]).status,
      ).toBe(1);
    });

    it(
      'applies a device bundle; the installed Mosquitto config enforces its users and ACL; the daemon runs as its unit',
      async () => {
        expect(root.ok(['smart-tank', 'bundle', 'apply', bundle.dir])).toContain(
          `installed bundle ${bundle.bundleId}`,
        );
        // Ids as the installed system's own tools tell them.
        const uid = (name: string) => Number(root.ok(['id', '-u', name]));
        const gid = (name: string) => Number(root.ok(['getent', 'group', name]).split(':')[2]);
        for (const f of bundle.files) {
          const st = statSync(root.path(f.destination));
          expect([f.destination, st.uid, st.gid, st.mode & 0o7777]).toEqual([
            f.destination,
            uid(f.owner),
            gid(f.group),
            f.mode,
          ]);
        }
        // The installed firewall with the bundle's interface names: loaded as smart-tank-firewall.service
        // does it, at boot and on every reload (loading it twice leaves one table, not two).
        const firewall = readFileSync(
          root.path('/usr/lib/systemd/system/smart-tank-firewall.service'),
          'utf8',
        );
        for (const key of ['ExecStart', 'ExecReload']) root.ok(unitSetting(firewall, key)!.split(/\s+/));
        const tables = root.ok(['nft', 'list', 'tables']);
        expect(
          tables
            .trim()
            .split('\n')
            .filter((t) => t === 'table inet smart_tank'),
        ).toHaveLength(1);
        expect(root.ok(['nft', 'list', 'chain', 'inet', 'smart_tank', 'input'])).toContain('iifname "wg0"');
        // An admin adds a user on the Pi (as root): the files keep the owners the daemon and Mosquitto need.
        const add = 'echo viewer-password-1 | smart-tank user add vic --role viewer --password-stdin';
        expect(root.run(['sh', '-c', add]).status).toBe(0);
        for (const file of ['/etc/smart-tank/mqtt.passwd', '/etc/smart-tank/mqtt.acl']) {
          const st = statSync(root.path(file));
          expect([file, st.uid, st.gid, st.mode & 0o7777]).toEqual([
            file,
            uid('smart-tank'),
            gid('mosquitto'),
            0o640,
          ]);
        }
        // The listener on the tunnel address binds before the tunnel exists: the package's sysctl.
        root.ok(['sysctl', '--quiet', '--load=/etc/sysctl.d/90-smart-tank.conf']);
        const broker = await startMosquitto();
        try {
          // The tunnel comes up after the broker started (its address appears on an interface).
          expect(root.runInNetwork(['ip', 'addr', 'add', '192.168.0.9/32', 'dev', 'lo']).status).toBe(0);
          expect(
            root
              .runInNetwork([
                process.execPath,
                LOGIN,
                '127.0.0.1',
                '1883',
                'admin',
                'wrong-password',
                '127.0.0.1',
              ])
              .stdout.trim(),
          ).toBe('refused');
          expect(
            root
              .runInNetwork([
                process.execPath,
                LOGIN,
                '192.168.0.9',
                '1883',
                'admin',
                bundle.passwords.admin,
                '127.0.0.1',
              ])
              .stdout.trim(),
          ).toBe('ok');
          const daemon = await startDaemon();
          const prefix = `smart-tank/${bundle.device}`;
          // The admin reads what the daemon (user gateway) published; writing a tank's state is the gateway's only.
          const admin = probe(
            'admin',
            bundle.passwords.admin,
            `${prefix}/tank/+/state`,
            `${prefix}/tank/house/state`,
          );
          expect(admin.login).toBe('ok');
          expect(admin.received[0]).toMatch(new RegExp(`^${prefix}/tank/(house|farm)/state$`));
          expect(admin.publish).toBe('refused 135');
          // The viewer added on the Pi reads the tanks and may not command anybody's way.
          const vic = probe('vic', 'viewer-password-1', `${prefix}/tank/+/state`, `${prefix}/command/admin`);
          expect(vic).toMatchObject({ login: 'ok', publish: 'refused 135' });
          expect(vic.received.length).toBeGreaterThan(0);
          expect(await stop(daemon)).toBe(0);
        } finally {
          await stop(broker);
        }
        const rows = Number(historyRows());
        expect(rows).toBeGreaterThan(0); // trend history written by the installed daemon at its stop
        expect(readFileSync(root.path('/var/lib/smart-tank/audit.log'), 'utf8')).toContain('first start');
      },
      TEST_TIMEOUT_MS,
    );

    it(
      'upgrades to a newer build: config, state, history, credentials and an edited conffile survive',
      async () => {
        const edit = '\n# installer: raised for a site with many phones\nmax_connections 80\n';
        appendFileSync(root.path('/etc/mosquitto/conf.d/smart-tank.conf'), edit);
        const before = {
          etc: snapshot(root.path('/etc/smart-tank')),
          state: snapshot(root.path('/var/lib/smart-tank')),
          listeners: sha256(root.path('/etc/mosquitto/conf.d/smart-tank-listeners.conf')),
          ifaces: sha256(root.path('/etc/nftables.d/smart-tank-ifaces.nft')),
        };
        expect(Object.keys(before.state)).toEqual(
          expect.arrayContaining(['/state.json', '/telemetry.db', '/audit.log', '/provisioning.json']),
        );
        const historyBefore = Number(historyRows());
        root.ok(['dpkg', '-i', v2.deb]);
        expect(root.ok(['dpkg-query', '-W', '-f', '${Version}', 'smart-tank'])).toBe(newer);
        expect(readFileSync(root.path('/opt/smart-tank/package.json'), 'utf8')).toContain(
          `"version": "${newer}"`,
        );
        expect(snapshot(root.path('/etc/smart-tank'))).toEqual(before.etc);
        expect(snapshot(root.path('/var/lib/smart-tank'))).toEqual(before.state);
        expect(sha256(root.path('/etc/mosquitto/conf.d/smart-tank-listeners.conf'))).toBe(before.listeners);
        expect(sha256(root.path('/etc/nftables.d/smart-tank-ifaces.nft'))).toBe(before.ifaces);
        expect(readFileSync(root.path('/etc/mosquitto/conf.d/smart-tank.conf'), 'utf8')).toContain(edit);
        // The new version runs on the old state: it reads the clean stop of the old one, the audit chain holds.
        const broker = await startMosquitto();
        try {
          const daemon = await startDaemon();
          expect(await stop(daemon)).toBe(0);
        } finally {
          await stop(broker);
        }
        const audit = readFileSync(root.path('/var/lib/smart-tank/audit.log'), 'utf8');
        expect(audit).toContain('after a clean stop');
        expect(Number(historyRows())).toBeGreaterThanOrEqual(historyBefore);
        expect(root.ok(['smart-tank', 'audit', 'verify', '/var/lib/smart-tank/audit.log'])).toMatch(/intact/);
      },
      TEST_TIMEOUT_MS,
    );

    it(
      'rolls back to the previous build (dpkg downgrade): the device keeps its files and runs',
      async () => {
        const etc = snapshot(root.path('/etc/smart-tank'));
        root.ok(['dpkg', '-i', v1.deb]);
        expect(root.ok(['dpkg-query', '-W', '-f', '${Version}', 'smart-tank'])).toBe(pkg.version);
        expect(snapshot(root.path('/etc/smart-tank'))).toEqual(etc);
        const broker = await startMosquitto();
        try {
          const daemon = await startDaemon();
          expect(await stop(daemon)).toBe(0);
        } finally {
          await stop(broker);
        }
        expect(root.ok(['smart-tank', 'audit', 'verify', '/var/lib/smart-tank/audit.log'])).toMatch(/intact/);
      },
      TEST_TIMEOUT_MS,
    );

    it('removes: the programs go, the configuration, state and credentials stay', () => {
      root.ok(['dpkg', '-r', 'smart-tank']);
      expect(root.ok(['dpkg-query', '-W', '-f', '${db:Status-Abbrev}', 'smart-tank'])).toBe('rc ');
      expect(existsSync(root.path('/opt/smart-tank'))).toBe(false);
      expect(existsSync(root.path('/usr/bin/smart-tank'))).toBe(false);
      expect(existsSync(root.path('/usr/lib/systemd/system/smart-tank.service'))).toBe(false);
      for (const kept of [
        '/etc/smart-tank/config.yaml',
        '/etc/smart-tank/vpn/wg0.conf',
        '/etc/mosquitto/conf.d/smart-tank.conf',
        '/var/lib/smart-tank/telemetry.db',
      ])
        expect(existsSync(root.path(kept)), kept).toBe(true);
    });

    it('purges: configuration, state, conffiles and the bundle files outside /etc/smart-tank are gone', () => {
      root.ok(['dpkg', '--purge', 'smart-tank']);
      expect(root.run(['dpkg-query', '-W', 'smart-tank']).status).not.toBe(0);
      for (const gone of [
        '/etc/smart-tank',
        '/var/lib/smart-tank',
        '/etc/mosquitto/conf.d/smart-tank.conf',
        '/etc/mosquitto/conf.d/smart-tank-listeners.conf',
        '/etc/nftables.d/smart-tank.nft',
        '/etc/nftables.d/smart-tank-ifaces.nft',
        '/etc/systemd/journald.conf.d/90-smart-tank.conf',
      ])
        expect(existsSync(root.path(gone)), gone).toBe(false);
      const link = root.path('/etc/systemd/system/multi-user.target.wants/smart-tank.service');
      expect(lstatSync(link, { throwIfNoEntry: false })).toBeUndefined();
      // What is not ours is untouched: Mosquitto's own config is there and starts without ours.
      expect(existsSync(root.path('/etc/mosquitto/mosquitto.conf'))).toBe(true);
    });
  });

  describe('os-image/install.sh on a stock system (a throwaway root), with first boot', () => {
    let root: ThrowawayRoot;
    const INSTALL = join(ROOT, 'os-image/install.sh');
    // The throwaway root has the dependencies already (this machine's packages): no network needed.
    const install = (...extra: string[]) =>
      root.ok(['sh', INSTALL, '--deb', v1.deb, '--no-recommends', '--no-apt-update', ...extra]);

    beforeAll(async () => {
      root = await ThrowawayRoot.create(tempDir('install-root-'));
    });
    afterAll(async () => {
      await root?.destroy();
    });

    function condition(unitName: string): number | null {
      const unit = readFileSync(root.path(`/usr/lib/systemd/system/${unitName}`), 'utf8');
      const conditions = unit.split('\n').filter((l) => l.startsWith('ConditionPathExists='));
      return root.run(['systemd-analyze', 'condition', ...conditions]).status;
    }

    it(
      'installs, applies the bundle from the boot partition (then shredded), and a second run changes nothing',
      async () => {
        root.ok(['mkdir', '-p', '/boot/firmware']);
        const bundle = await writeDeviceBundle(root.path('/boot/firmware'));
        const onCard = readdirSync(bundle.dir, { recursive: true }).length;
        expect(onCard).toBeGreaterThan(10);

        const first = install();
        expect(first).toContain(`installed smart-tank ${pkg.version}`);
        expect(first).toContain(`provisioned: `);
        // First boot's work: every file in place with the manifest's owner, group and mode; the card clean.
        const uid = (name: string) => Number(root.ok(['id', '-u', name]));
        const gid = (name: string) => Number(root.ok(['getent', 'group', name]).split(':')[2]);
        for (const f of bundle.files) {
          const st = statSync(root.path(f.destination));
          expect([f.destination, st.uid, st.gid, st.mode & 0o7777]).toEqual([
            f.destination,
            uid(f.owner),
            gid(f.group),
            f.mode,
          ]);
          expect(sha256(root.path(f.destination))).toBe(createHash('sha256').update(f.content).digest('hex'));
        }
        expect(existsSync(root.path('/boot/firmware/smart-tank'))).toBe(false);
        // The units agree: first boot has nothing left to do, the daemon and the tunnel have their files.
        expect(condition('smart-tank-firstboot.service')).toBe(1);
        expect(condition('smart-tank.service')).toBe(0);
        expect(condition('smart-tank-vpn.service')).toBe(0);
        const listing = root.changes();
        expect(listing.some((e) => e.path === 'opt/smart-tank/node/bin/node' && e.mode === 0o755)).toBe(true);

        const second = install();
        expect(second).toContain(`smart-tank ${pkg.version} is installed already`);
        expect(root.changes()).toEqual(listing);
      },
      TEST_TIMEOUT_MS,
    );

    it(
      'first boot never applies a second bundle; install.sh --bundle re-provisions on purpose, once',
      async () => {
        const installed = snapshot(root.path('/etc/smart-tank'));
        // A bundle left on the card of a provisioned Pi: the first-boot unit's own command removes it unapplied.
        const stray = await writeDeviceBundle(root.path('/boot/firmware'), { device: 'farm-gw-66' });
        const unit = readFileSync(root.path('/usr/lib/systemd/system/smart-tank-firstboot.service'), 'utf8');
        const r = root.run(unitSetting(unit, 'ExecStart')!.split(/\s+/));
        expect(r.status).toBe(0);
        expect(r.stderr).toContain('device bundle not applied: this Pi is provisioned already');
        expect(existsSync(stray.dir)).toBe(false);
        expect(snapshot(root.path('/etc/smart-tank'))).toEqual(installed);

        const replacement = await writeDeviceBundle(tempDir('install-bundle-'), { device: 'farm-gw-08' });
        expect(install('--bundle', replacement.dir)).toContain(`installed bundle ${replacement.bundleId}`);
        expect(readFileSync(root.path('/etc/smart-tank/config.yaml'), 'utf8')).toContain('id: farm-gw-08');
        const listing = root.changes();
        expect(install('--bundle', replacement.dir)).toContain('is installed already: nothing to do');
        expect(root.changes()).toEqual(listing);
      },
      TEST_TIMEOUT_MS,
    );
  });
});
