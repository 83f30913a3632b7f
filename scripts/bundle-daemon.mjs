// `npm run build`, after tsc: the smart-tank command as one bundle (dist/daemon/cli/smart-tank.js, over
// tsc's file of that name), its sub-commands as chunks loaded when used (dist/daemon/cli/chunks/).
// Why: node keeps the source of every module it loads, and a package's files hold much the daemon never
// calls (zod's full build had 64 translations, 850 KB of mostly two-byte text). Bundled, tree-shaken,
// comments and blanks gone, written as ASCII: ~3 MB less resident memory at rest on the Pi. mqtt.js and
// aedes are in the bundle too: mqtt.js and its dependencies as ~130 CommonJS files cost ~5 MB more at rest
// (each file's wrapper, source and resolution) and ~0.25 s more at start. The packages with native
// addons, and the ones only a rare path needs (nodemailer, qrcode), stay in node_modules.

import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const outdir = join(root, 'dist/daemon/cli');
const EXTERNAL = ['better-sqlite3', 'i2c-bus', 'onoff', 'serialport', 'unix-dgram', 'nodemailer', 'qrcode'];

/**
 * Parts of mqtt.js the daemon never uses, left out of the bundle: its WebSocket and SOCKS transports (the
 * config accepts mqtt:// and mqtts:// URLs only) and the browser's worker timers. mqtt.js requires them
 * when it loads or first connects whatever the URL; in the bundle each is a stub that throws if called.
 */
const LEFT_OUT = { ws: 'MQTT over WebSocket', socks: 'a SOCKS proxy', 'worker-timers': 'worker timers' };
const leaveOutOfMqtt = {
  name: 'leave-out-of-mqtt',
  setup(b) {
    b.onResolve({ filter: /^(ws|socks|worker-timers)$/ }, (args) =>
      args.importer.includes('/node_modules/mqtt/') ? { path: args.path, namespace: 'left-out' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'left-out' }, (args) => ({
      loader: 'js',
      contents: `const fail = () => { throw new Error(${JSON.stringify(`${LEFT_OUT[args.path]} is not in the smart-tank bundle`)}); };
module.exports = Object.assign(function () { fail(); }, {
  createWebSocketStream: fail, SocksClient: function () { fail(); },
  setInterval: fail, clearInterval: fail, setTimeout: fail, clearTimeout: fail,
});`,
    }));
  },
};

rmSync(join(outdir, 'chunks'), { recursive: true, force: true });
rmSync(join(outdir, 'smart-tank.js.map'), { force: true }); // tsc's, for the file the bundle replaces
const result = await build({
  entryPoints: [join(root, 'daemon/cli/smart-tank.ts')],
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: 'chunks/[name]-[hash]',
  external: EXTERNAL,
  minifyWhitespace: true,
  minifySyntax: true,
  // Identifiers are not minified: a stack trace in the journal reads as the source (and no keepNames,
  // whose __name() call on every closure made the simulator 14 % slower).
  charset: 'ascii',
  legalComments: 'none',
  // Bundled CommonJS (yaml) calls require() for node's own modules.
  banner: {
    js: "import { createRequire as __bundleRequire } from 'node:module'; const require = __bundleRequire(import.meta.url);",
  },
  plugins: [leaveOutOfMqtt],
  logLevel: 'warning',
  metafile: true,
});
const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
console.log(
  `daemon bundle: ${Object.keys(result.metafile.outputs).length} files, ${Math.round(bytes / 1024)} KB in ${outdir}`,
);
