#!/usr/bin/env node
// Makes sure the system tools the integration tests drive for real are installed: installs the missing
// Debian packages when running as root with apt (CI, a fresh dev machine), otherwise fails and names the
// packages to install. Tests never skip because a tool is missing.

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** command on PATH (or absolute path) -> Debian package that provides it */
const REQUIRED = [
  ['mosquitto', 'mosquitto', '/usr/sbin/mosquitto'],
  ['mosquitto_passwd', 'mosquitto'],
  ['wg', 'wireguard-tools'],
  ['wireguard-go', 'wireguard-go'],
  ['openvpn', 'openvpn', '/usr/sbin/openvpn'],
  ['chromium', 'chromium'],
  ['nft', 'nftables', '/usr/sbin/nft'],
  ['ip', 'iproute2', '/usr/sbin/ip'],
  ['socat', 'socat'],
  ['unshare', 'util-linux'],
  ['openssl', 'openssl'],
  ['systemd-analyze', 'systemd'],
  ['ping', 'iputils-ping'],
  ['fail2ban-client', 'fail2ban', '/usr/bin/fail2ban-client'],
  // The Debian package and its life in a throwaway root (test/os-image/package.test.ts).
  ['dpkg-deb', 'dpkg'],
  ['dpkg-shlibdeps', 'dpkg-dev'],
  ['nsenter', 'util-linux'],
  ['shred', 'coreutils'],
  // The dashboard's /metrics checked by Prometheus' own tool, and scraped by a real Prometheus.
  ['promtool', 'prometheus', '/usr/bin/promtool'],
  ['prometheus', 'prometheus', '/usr/bin/prometheus'],
  ['rabbitmq-server', 'rabbitmq-server', '/usr/lib/rabbitmq/bin/rabbitmq-server'],
  ['epmd', 'erlang-base', '/usr/bin/epmd'],
  ['prlimit', 'util-linux', '/usr/bin/prlimit'],
  // The GPIO line server runs under Debian's python3 (a Pi's); its fake gpiochip is an LD_PRELOAD library
  // built against the kernel's <linux/gpio.h> (test/fakes/gpiochip/).
  ['/usr/bin/python3', 'python3', '/usr/bin/python3'],
  ['gcc', 'gcc'],
  ['/usr/include/stdio.h', 'libc6-dev', '/usr/include/stdio.h'],
  ['/usr/include/linux/gpio.h', 'linux-libc-dev', '/usr/include/linux/gpio.h'],
  // gateway.timezone is read from the tz database's files (daemon/time-zone.ts): no command, only files.
  ['/usr/share/zoneinfo', 'tzdata', '/usr/share/zoneinfo/Europe/Paris'],
];

function have(command, absolute) {
  if (absolute && existsSync(absolute)) return true;
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

// apt-cache look-ups (the image layer's package names) need package lists: fetch them once.
const hasLists = () =>
  /Total package names: [1-9]/.test(spawnSync('apt-cache', ['stats'], { encoding: 'utf8' }).stdout ?? '');
if (have('apt-get') && !hasLists()) {
  if (process.getuid?.() !== 0) {
    console.error('apt has no package lists: run  sudo apt-get update');
    process.exit(1);
  }
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
}

const missing = [...new Set(REQUIRED.filter(([cmd, , abs]) => !have(cmd, abs)).map(([, pkg]) => pkg))];
if (missing.length === 0) process.exit(0);

const isRoot = process.getuid?.() === 0;
const hasApt = have('apt-get');
if (!isRoot || !hasApt) {
  console.error(
    `The integration tests need these Debian packages: ${missing.join(' ')}\n` +
      `Install them with:  sudo apt-get install -y --no-install-recommends ${missing.join(' ')}`,
  );
  process.exit(1);
}
console.error(`installing system packages for the tests: ${missing.join(' ')}`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
try {
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], {
    stdio: 'inherit',
    env,
  });
} catch (err) {
  console.error(`apt-get failed (${err.message}); install by hand: apt-get install -y ${missing.join(' ')}`);
  process.exit(1);
}
const still = REQUIRED.filter(([cmd, , abs]) => !have(cmd, abs)).map(([cmd]) => cmd);
if (still.length > 0) {
  console.error(`still missing after install: ${still.join(', ')}`);
  process.exit(1);
}
