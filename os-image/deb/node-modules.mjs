// @ts-check
// The production node_modules of the package: the packages package-lock.json does not mark as
// development-only (what `npm ci --omit=dev` would install), copied from an already-built tree whose
// native addons match the target architecture, then trimmed of what only a build or an editor uses.

import {
  closeSync,
  cpSync,
  existsSync,
  lstatSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
} from 'node:fs';
import { join, relative } from 'node:path';

/** ELF e_machine values (offset 18, little-endian) of the architectures we package for. */
export const ELF_MACHINE = { amd64: 0x3e, arm64: 0xb7, armhf: 0x28 };
/** The names prebuilt binaries use for each Debian architecture (prebuildify, node-gyp-build). */
const PREBUILD_DIR = { amd64: 'linux-x64', arm64: 'linux-arm64', armhf: 'linux-arm' };

/**
 * Paths (relative to node_modules) of every package a production install has, from package-lock.json.
 * @param {string} lockFile
 * @returns {string[]}
 */
export function productionPackages(lockFile) {
  /** @type {{ lockfileVersion: number, packages?: Record<string, { dev?: boolean, optional?: boolean, link?: boolean }> }} */
  const lock = JSON.parse(readFileSync(lockFile, 'utf8'));
  if (!lock.packages || lock.lockfileVersion < 2) {
    throw new Error(
      `${lockFile}: lockfileVersion ${lock.lockfileVersion} has no "packages" map (npm >= 7 writes it)`,
    );
  }
  const out = [];
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path === '' || entry.dev) continue;
    if (entry.link) throw new Error(`${lockFile}: ${path} is a link; the package needs real directories`);
    if (!path.startsWith('node_modules/')) continue;
    out.push(path.slice('node_modules/'.length));
  }
  return out.sort();
}

/**
 * Copies the production packages from `fromDir` (a built node_modules) to `toDir`. Optional packages
 * missing from the source (another platform's) are skipped; a missing required package is an error.
 * @param {string} lockFile
 * @param {string} fromDir
 * @param {string} toDir
 */
export function copyProductionModules(lockFile, fromDir, toDir) {
  /** @type {{ packages: Record<string, { optional?: boolean }> }} */
  const lock = JSON.parse(readFileSync(lockFile, 'utf8'));
  const missing = [];
  for (const pkg of productionPackages(lockFile)) {
    const src = join(fromDir, pkg);
    if (!existsSync(src)) {
      if (!lock.packages[`node_modules/${pkg}`]?.optional) missing.push(pkg);
      continue;
    }
    // Nested node_modules are copied as packages of their own (they are in the list if needed).
    cpSync(src, join(toDir, pkg), {
      recursive: true,
      preserveTimestamps: true,
      filter: (s) => !(s !== src && s.startsWith(src + '/node_modules')),
    });
  }
  if (missing.length > 0) {
    throw new Error(`${fromDir}: production packages missing (run npm ci first): ${missing.join(', ')}`);
  }
}

/**
 * Removes what only a build or an editor uses: compiler intermediates, native sources, type
 * declarations, source maps, other platforms' prebuilt binaries, @types packages. Returns the bytes freed.
 * @param {string} dir node_modules in the staging tree
 * @param {keyof typeof PREBUILD_DIR} arch
 */
export function trimModules(dir, arch) {
  let freed = 0;
  const remove = (/** @type {string} */ path) => {
    freed += sizeOf(path);
    rmSync(path, { recursive: true, force: true });
  };
  const typesDir = join(dir, '@types');
  if (existsSync(typesDir)) remove(typesDir);
  for (const path of walk(dir)) {
    const name = path.slice(path.lastIndexOf('/') + 1);
    const parent = path.slice(0, path.lastIndexOf('/'));
    const st = lstatSync(path, { throwIfNoEntry: false });
    if (!st) continue;
    const isDir = st.isDirectory();
    if (isDir && parent.endsWith('/prebuilds') && !name.startsWith(PREBUILD_DIR[arch])) remove(path);
    else if (isDir && parent.endsWith('/build/Release') && ['obj', 'obj.target', '.deps'].includes(name))
      remove(path);
    else if (isDir && parent.endsWith('/build') && ['Debug', 'node_gyp_bins'].includes(name)) remove(path);
    // Native sources of addons that were compiled already (better-sqlite3 ships the SQLite amalgamation).
    else if (isDir && ['deps', 'src'].includes(name) && existsSync(join(parent, 'binding.gyp'))) remove(path);
    else if (!isDir && /\.(d\.[cm]?ts|[cm]?js\.map|o|a|gyp[i]?|mk|cc|cpp|h|c)$/.test(name)) remove(path);
    // Debian is a glibc system: prebuilt binaries for musl (Alpine) are dead weight.
    else if (!isDir && parent.includes('/prebuilds/') && /[.+]musl\./.test(name)) remove(path);
    else if (!isDir && (name === 'test_extension.node' || name === 'Makefile' || name === 'config.gypi'))
      remove(path);
  }
  return freed;
}

/**
 * ELF files under dir whose machine is not the target's, as relative paths.
 * @param {string} dir
 * @param {keyof typeof ELF_MACHINE} arch
 */
export function foreignBinaries(dir, arch) {
  const out = [];
  for (const path of walk(dir)) {
    const machine = elfMachine(path);
    if (machine !== undefined && machine !== ELF_MACHINE[arch]) {
      out.push(`${relative(dir, path)} (ELF machine 0x${machine.toString(16)})`);
    }
  }
  return out;
}

/**
 * The e_machine of an ELF file, or undefined for anything else.
 * @param {string} path
 * @returns {number | undefined}
 */
export function elfMachine(path) {
  const st = lstatSync(path, { throwIfNoEntry: false });
  if (!st || !st.isFile() || st.size < 20) return undefined;
  const head = Buffer.alloc(20);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, head, 0, 20, 0);
  } finally {
    closeSync(fd);
  }
  if (head.readUInt32BE(0) !== 0x7f454c46) return undefined;
  return head.readUInt16LE(18);
}

/**
 * Every path under dir, depth first, parents before children; a directory removed while walking is
 * simply not entered.
 * @param {string} dir
 * @returns {Generator<string>}
 */
export function* walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    yield path;
    if (lstatSync(path, { throwIfNoEntry: false })?.isDirectory()) yield* walk(path);
  }
}

/** @param {string} path */
function sizeOf(path) {
  const st = lstatSync(path, { throwIfNoEntry: false });
  if (!st) return 0;
  if (!st.isDirectory()) return st.size;
  let total = 0;
  for (const name of readdirSync(path)) total += sizeOf(join(path, name));
  return total;
}
