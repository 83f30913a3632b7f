#!/bin/sh
# /usr/bin/smart-tank: the smart tank gateway's command, run by the Node.js runtime the package brings
# (Raspberry Pi OS Bookworm's own Node.js is 18, too old).
exec /opt/smart-tank/node/bin/node /opt/smart-tank/dist/daemon/cli/smart-tank.js "$@"
