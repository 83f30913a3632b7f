#!/usr/bin/env node
// @ts-check
// `npm run package`: builds smart-tank_<version>_<arch>.deb with Debian's own dpkg-deb (--root-owner-group:
// every file root's; the maintainer scripts create the smart-tank user and its directories).
//
//   node os-image/deb/build-deb.mjs [--arch amd64|arm64] [--version V] [--out DIR]
//        [--node-modules DIR] [--compression xz|zstd|gzip|none] [--level N] [--shlibs-depends DEPS]
//
// The compiled daemon (dist/, `npm run build` first), the production node_modules (copied from a built
// tree whose native addons are of the target architecture: this checkout's when it matches, otherwise
// --node-modules, e.g. one built in an arm64 root, see os-image/arm64/), a Node.js runtime from npm's
// per-architecture packages, units, conffiles and maintainer scripts (layout.mjs says what goes where).

import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import {
  CONFFILES,
  DEPENDS,
  DESCRIPTION,
  MAINTAINER_SCRIPTS,
  NODE_PACKAGE,
  NODE_VERSION,
  PREFIX,
  PROGRAM,
  RECOMMENDS,
  SHLIBS_DEPENDS_BOOKWORM,
  UNITS,
} from './layout.mjs';
import { copyProductionModules, foreignBinaries, trimModules, walk } from './node-modules.mjs';

const ROOT = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');
const USAGE = `usage: node os-image/deb/build-deb.mjs [--arch amd64|arm64] [--version V] [--out DIR]
       [--node-modules DIR] [--compression xz|zstd|gzip|none] [--level N] [--shlibs-depends DEPS]`;
/** Bounds on the tools this script runs (npm pack fetches ~40 MB; xz on ~170 MB takes a while). */
const NPM_PACK_TIMEOUT_MS = 300_000;
const DPKG_DEB_TIMEOUT_MS = 600_000;

/** @param {string} message */
function fail(message) {
  console.error(`build-deb: ${message}`);
  process.exit(1);
}

function hostArch() {
  return execFileSync('dpkg', ['--print-architecture'], { encoding: 'utf8' }).trim();
}

/**
 * @param {string[]} argv
 */
function options(argv) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        arch: { type: 'string' },
        version: { type: 'string' },
        out: { type: 'string' },
        'node-modules': { type: 'string' },
        compression: { type: 'string', default: 'xz' },
        level: { type: 'string' },
        'shlibs-depends': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    });
  } catch (err) {
    console.error(`${/** @type {Error} */ (err).message}\n${USAGE}`);
    process.exit(2);
  }
  const v = parsed.values;
  if (v.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const host = hostArch();
  const arch = v.arch ?? host;
  if (arch !== 'amd64' && arch !== 'arm64') fail(`--arch ${arch}: only amd64 and arm64 are packaged`);
  if (!['xz', 'zstd', 'gzip', 'none'].includes(v.compression ?? '')) fail(`--compression ${v.compression}?`);
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  const version = v.version ?? pkg.version;
  if (!/^[0-9][A-Za-z0-9.+~-]*$/.test(version)) fail(`version "${version}" is not a Debian version`);
  const nodeModules = v['node-modules'] ?? (arch === host ? join(ROOT, 'node_modules') : undefined);
  if (!nodeModules) fail(`--arch ${arch} on a ${host} machine needs --node-modules DIR built for ${arch}`);
  return {
    arch: /** @type {'amd64' | 'arm64'} */ (arch),
    host,
    version,
    pkg,
    out: v.out ?? join(ROOT, 'build'),
    nodeModules: /** @type {string} */ (nodeModules),
    compression: /** @type {string} */ (v.compression),
    level: v.level,
    shlibsDepends: v['shlibs-depends'],
  };
}

/**
 * @param {string} from
 * @param {string} to
 * @param {number} [mode]
 */
function put(from, to, mode) {
  const src = join(ROOT, from);
  if (!existsSync(src)) fail(`${from} is missing (run npm run build first for dist/)`);
  mkdirSync(dirname(to), { recursive: true });
  if (statSync(src).isDirectory()) cpSync(src, to, { recursive: true });
  else copyFileSync(src, to);
  if (mode !== undefined) chmodSync(to, mode);
}

/**
 * The Node.js runtime for the architecture, from npm's package of the official binary (cached by npm).
 * @param {'amd64' | 'arm64'} arch
 * @param {string} work
 * @param {string} dest
 */
function addNodeRuntime(arch, work, dest) {
  const spec = `${NODE_PACKAGE[arch]}@${NODE_VERSION}`;
  const packDir = join(work, 'node-pack');
  mkdirSync(packDir, { recursive: true });
  const r = spawnSync('npm', ['pack', spec, '--pack-destination', packDir, '--silent'], {
    encoding: 'utf8',
    timeout: NPM_PACK_TIMEOUT_MS,
  });
  if (r.status !== 0) fail(`npm pack ${spec} failed: ${r.stderr || r.error?.message}`);
  const tarball = join(packDir, r.stdout.trim().split('\n').pop() ?? '');
  mkdirSync(dest, { recursive: true });
  execFileSync('tar', [
    '-xzf',
    tarball,
    '-C',
    dest,
    '--strip-components=1',
    'package/bin/node',
    'package/LICENSE',
  ]);
  rmSync(packDir, { recursive: true, force: true });
}

/**
 * Every directory 0755; every file 0644, or 0755 where it was executable.
 * @param {string} dir
 */
function normalizeModes(dir) {
  for (const path of walk(dir)) {
    const st = lstatSync(path);
    if (st.isSymbolicLink()) continue;
    if (st.isDirectory()) chmodSync(path, 0o755);
    else chmodSync(path, st.mode & 0o111 ? 0o755 : 0o644);
  }
}

/**
 * Loads every native addon of the staged tree with the staged Node.js (only when it can run here).
 * @param {string} staging
 */
function smokeTest(staging) {
  const prefix = join(staging, PREFIX);
  const node = join(prefix, 'node/bin/node');
  const modules = join(prefix, 'node_modules');
  // A native addon is a package with a compiled .node file (its own build, or a prebuild).
  const natives = [];
  for (const path of walk(modules)) {
    if (!path.endsWith('.node')) continue;
    let pkgDir = dirname(path);
    while (!existsSync(join(pkgDir, 'package.json')) && pkgDir.length > modules.length)
      pkgDir = dirname(pkgDir);
    natives.push(JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')).name);
  }
  const script = `const r = require('module').createRequire(${JSON.stringify(join(prefix, 'package.json'))});
    for (const m of ${JSON.stringify([...new Set(natives)])}) r(m);
    new (r('better-sqlite3'))(':memory:').prepare('select 1').get();
    console.log(process.version);`;
  const r = spawnSync(node, ['-e', script], { encoding: 'utf8' });
  if (r.status !== 0) fail(`the staged native addons do not load:\n${r.stderr}`);
  const cli = spawnSync(node, [join(prefix, 'dist/daemon/cli/smart-tank.js'), '--help'], {
    encoding: 'utf8',
  });
  if (cli.status !== 0) fail(`the staged smart-tank --help failed:\n${cli.stderr}`);
  return { node: r.stdout.trim(), natives: [...new Set(natives)] };
}

/**
 * Shared-library dependencies of every ELF file, as dpkg-shlibdeps computes them.
 * @param {string} staging
 */
function shlibsDepends(staging) {
  const elves = [];
  for (const path of walk(staging)) {
    const st = lstatSync(path);
    if (!st.isFile() || st.size < 4) continue;
    const head = readFileSync(path).subarray(0, 4);
    if (head.equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]))) elves.push(path);
  }
  const work = join(staging, '..', 'shlibdeps');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(join(work, 'debian'), { recursive: true });
  writeFileSync(
    join(work, 'debian/control'),
    'Source: smart-tank\n\nPackage: smart-tank\nArchitecture: any\n',
  );
  const r = spawnSync('dpkg-shlibdeps', ['-O', ...elves.map((e) => `-e${e}`)], {
    cwd: work,
    encoding: 'utf8',
  });
  rmSync(work, { recursive: true, force: true });
  if (r.status !== 0) fail(`dpkg-shlibdeps failed:\n${r.stderr}`);
  const m = /^shlibs:Depends=(.*)$/m.exec(r.stdout);
  if (!m?.[1]) fail(`dpkg-shlibdeps printed no shlibs:Depends:\n${r.stdout}`);
  return /** @type {string} */ (m?.[1]);
}

/**
 * @param {string} dir
 * @returns {{ kib: number, files: number }}
 */
function installedSize(dir) {
  let kib = 0;
  let files = 0;
  for (const path of walk(dir)) {
    const st = lstatSync(path);
    kib += st.isDirectory() ? 1 : Math.ceil(st.size / 1024) || 1;
    if (st.isFile()) files++;
  }
  return { kib, files };
}

/**
 * md5sums of every file but the conffiles (dpkg keeps their hashes itself), for dpkg --verify.
 * @param {string} staging
 * @param {Set<string>} conffiles
 */
function md5sums(staging, conffiles) {
  const lines = [];
  for (const path of walk(staging)) {
    const rel = relative(staging, path);
    if (rel.startsWith('DEBIAN') || !lstatSync(path).isFile() || conffiles.has(`/${rel}`)) continue;
    lines.push(`${createHash('md5').update(readFileSync(path)).digest('hex')}  ${rel}`);
  }
  return lines.sort((a, b) => a.slice(34).localeCompare(b.slice(34))).join('\n') + '\n';
}

/**
 * @param {ReturnType<typeof options>} o
 * @param {string} staging
 * @param {string} shlibs
 */
function writeControl(o, staging, shlibs) {
  const debian = join(staging, 'DEBIAN');
  mkdirSync(debian, { recursive: true });
  const conffiles = CONFFILES.map((c) => `/${c.to}`);
  writeFileSync(join(debian, 'conffiles'), conffiles.join('\n') + '\n');
  writeFileSync(join(debian, 'md5sums'), md5sums(staging, new Set(conffiles)));
  for (const script of MAINTAINER_SCRIPTS)
    put(`os-image/deb/maintainer/${script}`, join(debian, script), 0o755);
  const size = installedSize(staging);
  const control = [
    `Package: smart-tank`,
    `Version: ${o.version}`,
    `Architecture: ${o.arch}`,
    `Maintainer: Smart tank gateway maintainers <maintainers@smart-tank.invalid>`,
    `Installed-Size: ${size.kib}`,
    `Depends: ${[...DEPENDS, shlibs].join(', ')}`,
    `Recommends: ${RECOMMENDS.join(', ')}`,
    `Section: misc`,
    `Priority: optional`,
    `Description: ${DESCRIPTION}`,
  ];
  writeFileSync(join(debian, 'control'), control.join('\n') + '\n');
  chmodSync(debian, 0o755);
  return size;
}

function sourceDateEpoch() {
  const r = spawnSync('git', ['log', '-1', '--format=%ct'], { cwd: ROOT, encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() ? r.stdout.trim() : String(Math.floor(Date.now() / 1000));
}

function main() {
  const started = Date.now();
  const o = options(process.argv.slice(2));
  const staging = join(o.out, `staging-${o.arch}`);
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  const prefix = join(staging, PREFIX);

  for (const item of [...PROGRAM, ...UNITS, ...CONFFILES]) put(item.from, join(staging, item.to), item.mode);
  const { name, version, description, license, type, engines, dependencies } = o.pkg;
  const runtimePkg = { name, version: o.version, description, license, type, engines, dependencies };
  writeFileSync(join(prefix, 'package.json'), JSON.stringify(runtimePkg, null, 2) + '\n');
  copyProductionModules(join(ROOT, 'package-lock.json'), o.nodeModules, join(prefix, 'node_modules'));
  const trimmed = trimModules(join(prefix, 'node_modules'), o.arch);
  addNodeRuntime(o.arch, o.out, join(prefix, 'node'));
  normalizeModes(staging);

  const foreign = foreignBinaries(staging, o.arch);
  if (foreign.length > 0) fail(`binaries of another architecture than ${o.arch}:\n  ${foreign.join('\n  ')}`);
  const smoke = o.arch === o.host ? smokeTest(staging) : undefined;
  const shlibs =
    o.shlibsDepends ?? (o.arch === o.host ? shlibsDepends(staging) : SHLIBS_DEPENDS_BOOKWORM[o.arch]);
  const size = writeControl(o, staging, shlibs);

  const deb = join(o.out, `smart-tank_${o.version}_${o.arch}.deb`);
  const compress = [`-Z${o.compression}`, ...(o.level ? [`-z${o.level}`] : [])];
  const beforeDeb = Date.now();
  const r = spawnSync('dpkg-deb', ['--root-owner-group', ...compress, '--build', staging, deb], {
    encoding: 'utf8',
    timeout: DPKG_DEB_TIMEOUT_MS,
    env: { ...process.env, SOURCE_DATE_EPOCH: sourceDateEpoch() },
  });
  if (r.status !== 0) fail(`dpkg-deb failed:\n${r.stderr || r.error?.message}`);
  rmSync(staging, { recursive: true, force: true });
  const summary = {
    deb,
    arch: o.arch,
    version: o.version,
    debBytes: statSync(deb).size,
    installedKiB: size.kib,
    files: size.files,
    trimmedBytes: trimmed,
    node: smoke?.node ?? `v${NODE_VERSION} (not run: ${o.arch} on ${o.host})`,
    nativeAddons: smoke?.natives ?? [],
    depends: shlibs,
    seconds: Math.round((Date.now() - started) / 100) / 10,
    dpkgDebSeconds: Math.round((Date.now() - beforeDeb) / 100) / 10,
  };
  console.log(
    `${deb}: ${(summary.debBytes / 1e6).toFixed(1)} MB, installed ${(summary.installedKiB / 1024).toFixed(1)} MiB, ` +
      `${summary.files} files, ${summary.seconds} s`,
  );
  console.log(JSON.stringify(summary));
}

main();
