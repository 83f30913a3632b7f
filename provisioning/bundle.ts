// The device bundle folder (provisioning/BUNDLE.md): FIRSTBOOT (the marker), MANIFEST, README.txt and
// files/<destination>. Written to a temporary folder beside the target and renamed into place, so a
// half-written bundle never looks like a bundle; read back and verified by readBundle, which checks what
// first boot checks (format, every line, every checksum) before anything is used.

import { randomBytes } from 'node:crypto';
import { access, chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { BUNDLE_DIR_NAME, BUNDLE_FORMAT, DEVICE_PATHS } from './device-paths.js';
import {
  formatManifest,
  parseManifest,
  sha256Hex,
  sourceFor,
  type FileClass,
  type ManifestDir,
  type ManifestEntry,
  type ManifestFile,
} from './manifest.js';
import { PRIVATE_DIR_MODE, SECRET_FILE_MODE } from './secret-files.js';

export interface BundleFile {
  destination: string;
  owner: string;
  group: string;
  mode: number;
  class: FileClass;
  content: string | Uint8Array;
}

export interface FirstBoot {
  format: number;
  bundleId: string;
  site: string;
  device: string;
  created: string;
  vpn: 'wireguard' | 'openvpn';
}

/** Directories first boot creates (parents first), with their owners and modes. */
export const BUNDLE_DIRS: readonly ManifestDir[] = [
  { kind: 'dir', destination: DEVICE_PATHS.configDir, owner: 'root', group: 'root', mode: 0o755 },
  { kind: 'dir', destination: DEVICE_PATHS.vpnDir, owner: 'root', group: 'root', mode: 0o700 },
  { kind: 'dir', destination: DEVICE_PATHS.tlsDir, owner: 'root', group: 'root', mode: 0o755 },
  { kind: 'dir', destination: DEVICE_PATHS.nftDir, owner: 'root', group: 'root', mode: 0o755 },
  { kind: 'dir', destination: DEVICE_PATHS.mosquittoConfDir, owner: 'root', group: 'root', mode: 0o755 },
  { kind: 'dir', destination: DEVICE_PATHS.stateDir, owner: 'smart-tank', group: 'smart-tank', mode: 0o750 },
];

export class BundleError extends Error {
  override name = 'BundleError';
}

export function newBundleId(): string {
  return randomBytes(16).toString('hex');
}

export function formatFirstBoot(f: FirstBoot): string {
  return (
    [
      `format=${f.format}`,
      `bundle_id=${f.bundleId}`,
      `site=${f.site}`,
      `device=${f.device}`,
      `created=${f.created}`,
      `vpn=${f.vpn}`,
    ].join('\n') + '\n'
  );
}

export function parseFirstBoot(text: string, source: string): FirstBoot {
  const kv = new Map<string, string>();
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (line.trim() === '' || line.startsWith('#')) continue;
    if (eq <= 0) throw new BundleError(`${source}: expected key=value, got "${line}"`);
    kv.set(line.slice(0, eq), line.slice(eq + 1));
  }
  const need = (k: string) => {
    const v = kv.get(k);
    if (!v) throw new BundleError(`${source}: ${k} is missing`);
    return v;
  };
  const format = Number(need('format'));
  if (format !== BUNDLE_FORMAT) throw new BundleError(`${source}: format ${format} is not ${BUNDLE_FORMAT}`);
  const vpn = need('vpn');
  if (vpn !== 'wireguard' && vpn !== 'openvpn')
    throw new BundleError(`${source}: vpn must be wireguard or openvpn`);
  return {
    format,
    bundleId: need('bundle_id'),
    site: need('site'),
    device: need('device'),
    created: need('created'),
    vpn,
  };
}

function readme(f: FirstBoot): string {
  return `smart-tank device bundle for gateway ${f.device} (site ${f.site}), created ${f.created}.

This folder gives one Raspberry Pi its identity: VPN keys, MQTT passwords, a TLS key, its config.
IT HOLDS SECRETS. Keep the card safe until the Pi has booted once: the first boot installs these
files into /etc/smart-tank and /var/lib/smart-tank (see MANIFEST) and then deletes this folder.
Do not copy it to another Pi: no two Pis may share these keys (make a bundle per Pi).
`;
}

/** Manifest entries of these files, with their checksums; provisioning.json last. */
export function manifestEntries(files: readonly BundleFile[]): ManifestEntry[] {
  const last = DEVICE_PATHS.provisioningRecord;
  const sorted = [
    ...files.filter((f) => f.destination !== last),
    ...files.filter((f) => f.destination === last),
  ];
  if (sorted[sorted.length - 1]?.destination !== last) throw new BundleError(`a bundle needs ${last}`);
  const seen = new Set<string>();
  const entries: ManifestFile[] = sorted.map((f) => {
    if (seen.has(f.destination)) throw new BundleError(`${f.destination} is in the bundle twice`);
    seen.add(f.destination);
    return {
      kind: 'file',
      source: sourceFor(f.destination),
      destination: f.destination,
      owner: f.owner,
      group: f.group,
      mode: f.mode,
      sha256: sha256Hex(f.content),
      class: f.class,
    };
  });
  return [...BUNDLE_DIRS, ...entries];
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Writes `<parent>/smart-tank/`. Every file on this machine is 0600 and every folder 0700 (the bundle is
 * a secret as a whole); the MANIFEST carries the modes for the Pi. Refuses to replace an existing bundle
 * unless `replace`.
 */
export async function writeBundle(
  parent: string,
  firstBoot: FirstBoot,
  files: readonly BundleFile[],
  options: { replace?: boolean } = {},
): Promise<string> {
  const target = join(parent, BUNDLE_DIR_NAME);
  if ((await exists(target)) && !options.replace)
    throw new BundleError(
      `${target} exists already (another bundle?): remove it, or pass --force to replace it`,
    );
  const entries = manifestEntries(files);
  await mkdir(parent, { recursive: true, mode: PRIVATE_DIR_MODE });
  const tmp = join(parent, `.${BUNDLE_DIR_NAME}.${firstBoot.bundleId}.tmp`);
  await rm(tmp, { recursive: true, force: true });
  try {
    const put = async (rel: string, content: string | Uint8Array) => {
      const file = join(tmp, rel);
      await mkdir(dirname(file), { recursive: true, mode: PRIVATE_DIR_MODE });
      await writeFile(file, content, { mode: SECRET_FILE_MODE });
      await chmod(file, SECRET_FILE_MODE);
    };
    await mkdir(tmp, { mode: PRIVATE_DIR_MODE });
    for (const f of files) await put(sourceFor(f.destination), f.content);
    await put('MANIFEST', formatManifest(entries));
    await put('README.txt', readme(firstBoot));
    // The marker last: a folder without FIRSTBOOT is never applied.
    await put('FIRSTBOOT', formatFirstBoot(firstBoot));
    if (options.replace) await rm(target, { recursive: true, force: true });
    await rename(tmp, target);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
  return target;
}

export interface ReadBundle {
  firstBoot: FirstBoot;
  entries: ManifestEntry[];
  /** Contents by destination. */
  files: Map<string, Buffer>;
}

/** Reads and verifies a bundle folder as first boot must: nothing is trusted before everything checks. */
export async function readBundle(dir: string): Promise<ReadBundle> {
  const firstBoot = parseFirstBoot(await readFile(join(dir, 'FIRSTBOOT'), 'utf8'), join(dir, 'FIRSTBOOT'));
  const entries = parseManifest(await readFile(join(dir, 'MANIFEST'), 'utf8'), join(dir, 'MANIFEST'));
  const files = new Map<string, Buffer>();
  for (const e of entries) {
    if (e.kind !== 'file') continue;
    let content: Buffer;
    try {
      content = await readFile(join(dir, e.source));
    } catch {
      throw new BundleError(`${dir}: ${e.source} is missing (a half-copied card?)`);
    }
    if (sha256Hex(content) !== e.sha256)
      throw new BundleError(`${dir}: ${e.source} does not match its sha256`);
    files.set(e.destination, content);
  }
  const last = entries[entries.length - 1];
  if (last?.destination !== DEVICE_PATHS.provisioningRecord)
    throw new BundleError(`${dir}: the MANIFEST must end with ${DEVICE_PATHS.provisioningRecord}`);
  return { firstBoot, entries, files };
}
