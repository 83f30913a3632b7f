// Installing a device bundle: load and verify everything first (every source present, every sha256
// right, every owner known), then write; a refused bundle installs nothing. Each file is written to a
// temporary name in its destination directory, given its owner, group and mode, synced and renamed
// over the destination; the done marker (provisioning.json) last.

import { createHash } from 'node:crypto';
import { chmod, chown, lstat, mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import {
  BundleError,
  DONE_MARKER,
  FIRSTBOOT_NAME,
  MANIFEST_NAME,
  parseFirstBoot,
  parseManifest,
  type FileEntry,
  type FirstBoot,
  type ManifestEntry,
} from './manifest.js';
import { readAccounts, type Accounts } from './accounts.js';
import { ConfigError, formatProblem, parseConfig } from '../config/load.js';

/** A bundle is keys and configs: anything larger is not one (and would be held in memory). */
export const MAX_FILE_BYTES = 1024 * 1024;
/** The daemon's config: checked against this version's schema before anything is installed. */
export const CONFIG_FILE = '/etc/smart-tank/config.yaml';
/** Bundle files outside the two directories purge removes wholesale, for the package's postrm. */
export const BUNDLE_FILES_LIST = '/var/lib/smart-tank/bundle-files.list';
const PURGED_WHOLE = ['/etc/smart-tank/', '/var/lib/smart-tank/'];

export interface LoadedBundle {
  dir: string;
  firstBoot: FirstBoot;
  entries: ManifestEntry[];
  /** File contents by destination, verified against the manifest's sha256. */
  contents: Map<string, Buffer>;
}

/** A path on the target system, under `root` ("/" on the Pi, a scratch tree in tests). */
export function onTarget(root: string, path: string): string {
  return root === '/' ? path : join(root, path);
}

/** Reads and checks a bundle folder; throws a BundleError listing every problem found. */
export async function loadBundle(dir: string, accounts: Accounts): Promise<LoadedBundle> {
  const problems: string[] = [];
  const text = async (name: string) => {
    try {
      return await readFile(join(dir, name), 'utf8');
    } catch (err) {
      problems.push(`${name}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
      return undefined;
    }
  };
  const firstBootText = await text(FIRSTBOOT_NAME);
  const manifestText = await text(MANIFEST_NAME);
  if (firstBootText === undefined || manifestText === undefined) throw new BundleError(dir, problems);
  const firstBoot = parseFirstBoot(firstBootText);
  const manifest = parseManifest(manifestText);
  problems.push(...firstBoot.problems, ...manifest.problems);
  const contents = new Map<string, Buffer>();
  for (const entry of manifest.value) {
    const at = `${MANIFEST_NAME}:${entry.line}`;
    if (accounts.uid(entry.owner) === undefined)
      problems.push(`${at}: no user "${entry.owner}" on this system`);
    if (accounts.gid(entry.group) === undefined)
      problems.push(`${at}: no group "${entry.group}" on this system`);
    if (entry.kind !== 'file') continue;
    const content = await readSource(dir, entry, problems);
    if (content) contents.set(entry.destination, content);
  }
  const config = contents.get(CONFIG_FILE);
  if (config) problems.push(...configProblems(config));
  if (problems.length > 0) throw new BundleError(dir, problems);
  return { dir, firstBoot: firstBoot.value, entries: manifest.value, contents };
}

async function readSource(dir: string, entry: FileEntry, problems: string[]): Promise<Buffer | undefined> {
  const at = `${MANIFEST_NAME}:${entry.line}: ${entry.source}`;
  const path = join(dir, entry.source);
  const st = await lstat(path).catch(() => undefined);
  if (!st) return void problems.push(`${at}: missing from the bundle`);
  if (!st.isFile()) return void problems.push(`${at}: not a regular file`);
  if (st.size > MAX_FILE_BYTES)
    return void problems.push(`${at}: ${st.size} bytes, more than a bundle file may be`);
  const content = await readFile(path);
  const sha256 = createHash('sha256').update(content).digest('hex');
  if (sha256 !== entry.sha256)
    return void problems.push(`${at}: sha256 ${sha256} differs from the manifest's`);
  return content;
}

/** A config the daemon would refuse must not be installed (it would never start). */
function configProblems(content: Buffer): string[] {
  try {
    parseConfig(content.toString('utf8'), CONFIG_FILE);
    return [];
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return err.problems.map((p) => `${CONFIG_FILE}: ${formatProblem(p)}`);
  }
}

/** Whether the Pi already holds exactly this bundle (its done marker has the bundle's bytes). */
export async function alreadyInstalled(bundle: LoadedBundle, root: string): Promise<boolean> {
  const installed = await readFile(onTarget(root, DONE_MARKER)).catch(() => undefined);
  return installed !== undefined && installed.equals(bundle.contents.get(DONE_MARKER) ?? Buffer.alloc(0));
}

export interface InstallResult {
  dirs: number;
  files: number;
  /** Destinations written, in order. */
  written: string[];
}

/** Writes a loaded bundle onto the target. The done marker is written last, after everything else. */
export async function installBundle(
  bundle: LoadedBundle,
  root: string,
  accounts: Accounts,
): Promise<InstallResult> {
  const written: string[] = [];
  let dirs = 0;
  const ids = (e: ManifestEntry) => ({ uid: accounts.uid(e.owner)!, gid: accounts.gid(e.group)! });
  for (const entry of bundle.entries) {
    const target = onTarget(root, entry.destination);
    const { uid, gid } = ids(entry);
    if (entry.kind === 'dir') {
      await mkdir(target, { recursive: true });
      await chown(target, uid, gid);
      await chmod(target, entry.mode);
      dirs++;
      continue;
    }
    if (entry.destination === DONE_MARKER) {
      await recordBundleFiles(bundle, root);
    }
    await writeFileInPlace(target, bundle.contents.get(entry.destination)!, uid, gid, entry.mode);
    written.push(entry.destination);
  }
  return { dirs, files: written.length, written };
}

/** Temp name in the same directory, owner, group and mode set before the content is visible, fsync, rename. */
async function writeFileInPlace(target: string, content: Buffer, uid: number, gid: number, mode: number) {
  const dir = dirname(target);
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${basename(target)}.bundle-${process.pid}.tmp`);
  const handle = await open(tmp, 'w', 0o600);
  try {
    await handle.chown(uid, gid);
    await handle.chmod(mode);
    await handle.writeFile(content);
    await handle.sync();
  } catch (err) {
    await handle.close();
    await rm(tmp, { force: true });
    throw new Error(`${target}: ${(err as Error).message}`);
  }
  await handle.close();
  await rename(tmp, target);
  const dirHandle = await open(dir, 'r');
  try {
    await dirHandle.sync();
  } finally {
    await dirHandle.close();
  }
}

/** The package's postrm purge removes these (the rest of the bundle lives in directories it removes whole). */
async function recordBundleFiles(bundle: LoadedBundle, root: string): Promise<void> {
  const listFile = onTarget(root, BUNDLE_FILES_LIST);
  const previous = (await readFile(listFile, 'utf8').catch(() => '')).split('\n').filter(Boolean);
  const ours = bundle.entries
    .filter((e) => e.kind === 'file' && !PURGED_WHOLE.some((p) => e.destination.startsWith(p)))
    .map((e) => e.destination);
  const all = [...new Set([...previous, ...ours])].sort();
  await writeFileInPlace(listFile, Buffer.from(all.map((f) => f + '\n').join('')), 0, 0, 0o644);
}

export { readAccounts, type Accounts };
