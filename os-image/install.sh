#!/bin/sh
# Installs the smart tank gateway on a stock Raspberry Pi OS Lite (Bookworm or later, 64-bit), or on
# any Debian 12+ machine: the .deb and its dependencies, a device bundle, the services enabled.
# Idempotent: run it again and nothing changes (the same package and bundle are left as they are).
#
#   sudo ./install.sh [--deb FILE] [--bundle DIR] [--no-recommends] [--no-apt-update]
#
#   --deb FILE       the package (default: the newest smart-tank_*_<arch>.deb beside this script)
#   --bundle DIR     the device bundle from `smart-tank provision bundle` (default: the one on the boot
#                    partition, /boot/firmware/smart-tank, which is then removed as first boot would)
#   --no-recommends  without openvpn, python3, gpiod and fail2ban
#   --no-apt-update  use the package lists as they are (an offline machine with the dependencies present)
set -eu

say() { printf 'install.sh: %s\n' "$*"; }
die() {
    printf 'install.sh: %s\n' "$*" >&2
    exit 1
}

usage() { sed -n '2,13s/^# \{0,1\}//p' "$0"; }

DEB=""
BUNDLE=""
RECOMMENDS="--install-recommends"
APT_UPDATE=1
while [ $# -gt 0 ]; do
    case "$1" in
        --deb) [ $# -ge 2 ] || die "--deb needs a file"; DEB=$2; shift 2 ;;
        --bundle) [ $# -ge 2 ] || die "--bundle needs a folder"; BUNDLE=$2; shift 2 ;;
        --no-recommends) RECOMMENDS="--no-install-recommends"; shift ;;
        --no-apt-update) APT_UPDATE=0; shift ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; printf 'install.sh: unknown option: %s\n' "$1" >&2; exit 2 ;;
    esac
done

[ "$(id -u)" -eq 0 ] || die "run as root (sudo $0 ...)"
command -v apt-get >/dev/null && command -v dpkg >/dev/null || die "needs a Debian system (apt-get, dpkg)"
ARCH=$(dpkg --print-architecture)
HERE=$(cd "$(dirname "$0")" && pwd)

# The package: the one given, or the newest of this architecture beside the script.
if [ -z "$DEB" ]; then
    DEB=$(find "$HERE" -maxdepth 1 -name "smart-tank_*_${ARCH}.deb" | sort -V | tail -n 1)
    [ -n "$DEB" ] || die "no smart-tank_*_${ARCH}.deb beside $0: give one with --deb FILE"
fi
[ -f "$DEB" ] || die "$DEB: no such file"
case "$DEB" in /*) ;; *) DEB="$PWD/$DEB" ;; esac
DEB_VERSION=$(dpkg-deb --field "$DEB" Version)
DEB_ARCH=$(dpkg-deb --field "$DEB" Architecture)
[ "$DEB_ARCH" = "$ARCH" ] || die "$DEB is for $DEB_ARCH, this machine is $ARCH"

# 1. The package and its dependencies (Mosquitto, WireGuard tools, nftables; by default also the
#    recommended openvpn, python3, gpiod and fail2ban). The same version installed already: left as it is.
INSTALLED=$(dpkg-query --show --showformat='${Version} ${db:Status-Abbrev}' smart-tank 2>/dev/null || true)
if [ "$INSTALLED" = "$DEB_VERSION ii " ]; then
    say "smart-tank $DEB_VERSION is installed already"
else
    export DEBIAN_FRONTEND=noninteractive
    if [ "$APT_UPDATE" -eq 1 ]; then apt-get update -qq; fi
    # An upgrade keeps every conffile the installer edited (--force-confold), and takes the package's
    # new version of those nobody touched (--force-confdef).
    apt-get install -y -qq "$RECOMMENDS" \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$DEB"
    say "installed smart-tank $DEB_VERSION"
fi

# 2. The device bundle: an explicit folder (re-provisions this Pi when it is another bundle), or the one
#    on the boot partition, installed and removed exactly as first boot does.
if [ -n "$BUNDLE" ]; then
    [ -f "$BUNDLE/MANIFEST" ] || die "$BUNDLE: not a device bundle (no MANIFEST)"
    smart-tank bundle apply "$BUNDLE"
    say "$BUNDLE holds this Pi's secrets: remove it once the Pi is up (shred -u, then rm -r)"
else
    smart-tank first-boot
fi

# 3. The services, enabled (they start once the device is provisioned: each waits for its files).
systemctl enable --quiet smart-tank.service smart-tank-vpn.service smart-tank-firstboot.service \
    smart-tank-firewall.service smart-tank-led.service smart-tank-mqtt-reload.path mosquitto.service
if [ -d /run/systemd/system ]; then
    systemctl start smart-tank-firewall.service smart-tank-mqtt-reload.path mosquitto.service
    systemctl start smart-tank-vpn.service smart-tank.service
    say "services: $(systemctl is-active smart-tank.service) (daemon), $(systemctl is-active smart-tank-vpn.service) (VPN)"
else
    say "systemd is not running here (an image or a chroot): the services start at boot"
fi
if [ -f /var/lib/smart-tank/provisioning.json ]; then
    say "provisioned: $(cat /var/lib/smart-tank/provisioning.json)"
    say "check: smart-tank vpn status; systemctl status smart-tank; journalctl -u smart-tank"
else
    say "not provisioned yet: copy a device bundle to /boot/firmware/smart-tank and reboot, or run $0 --bundle DIR"
fi
