// First boot of a provisioned SD card (smart-tank-firstboot.service): find the bundle the installer
// copied to the boot partition, install it once, then remove it from the card: secret files overwritten
// (shred) before the folder is removed. A Pi that is provisioned already never applies a bundle again:
// one found later is removed unapplied (re-provisioning is `smart-tank bundle apply`, on purpose).

import { execFile } from 'node:child_process';
import { open, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../log.js';
import { readAccounts } from './accounts.js';
import { installBundle, loadBundle, onTarget, type InstallResult, type LoadedBundle } from './install.js';
import { DONE_MARKER, FIRSTBOOT_NAME } from './manifest.js';

/** Where the boot partition is mounted: Bookworm and later first, then Bullseye and older. */
export const BOOT_BUNDLE_DIRS = ['/boot/firmware/smart-tank', '/boot/smart-tank'];
/** shred on a small file takes milliseconds; a stuck card must not hold the boot forever. */
export const SHRED_TIMEOUT_MS = 30_000;

export type FirstBootOutcome =
  | { outcome: 'no-bundle' }
  | { outcome: 'installed'; bundle: string; bundleId: string; result: InstallResult }
  | { outcome: 'already-provisioned'; bundle: string };

export interface FirstBootOptions {
  /** The target system's root ("/" on the Pi). */
  root: string;
  bootDirs?: string[];
  log: Logger;
  /** Overwrites and removes one file (shred -u by default). */
  shred?: (file: string) => Promise<void>;
}

export async function findBootBundle(root: string, bootDirs = BOOT_BUNDLE_DIRS): Promise<string | undefined> {
  for (const dir of bootDirs) {
    const path = onTarget(root, dir);
    if (await stat(join(path, FIRSTBOOT_NAME)).catch(() => undefined)) return path;
  }
  return undefined;
}

export async function firstBoot(options: FirstBootOptions): Promise<FirstBootOutcome> {
  const { root, log } = options;
  const shred = options.shred ?? shredFile;
  const dir = await findBootBundle(root, options.bootDirs);
  if (!dir) return { outcome: 'no-bundle' };
  if (await stat(onTarget(root, DONE_MARKER)).catch(() => undefined)) {
    log.warn(
      'device bundle not applied: this Pi is provisioned already; removing it from the boot partition',
      {
        bundle: dir,
        provisioned: DONE_MARKER,
      },
    );
    await removeBundle(dir, shred);
    return { outcome: 'already-provisioned', bundle: dir };
  }
  const accounts = await readAccounts(root);
  // A refused bundle throws (BundleError, every problem listed) and stays on the card for the installer.
  const bundle: LoadedBundle = await loadBundle(dir, accounts);
  const result = await installBundle(bundle, root, accounts);
  log.info('device bundle installed', {
    bundle: dir,
    bundleId: bundle.firstBoot.bundleId,
    device: bundle.firstBoot.device,
    site: bundle.firstBoot.site,
    files: result.files,
  });
  await removeBundle(dir, shred);
  log.info('device bundle removed from the boot partition', { bundle: dir });
  return { outcome: 'installed', bundle: dir, bundleId: bundle.firstBoot.bundleId, result };
}

/**
 * Removes a bundle folder: every file in it is overwritten first (the manifest's secrets and, as they
 * may be secrets of a format this version does not know, all the others), then the folder. Best effort
 * on FAT over flash: the card's wear levelling may keep old blocks. Works on a bundle that does not
 * verify too (a leftover must go whatever state it is in).
 */
export async function removeBundle(dir: string, shred: (file: string) => Promise<void>): Promise<void> {
  for (const file of await listFiles(dir)) await shred(file);
  await rm(dir, { recursive: true, force: true });
  await syncDirectory(join(dir, '..'));
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r').catch(() => undefined);
  if (!handle) return;
  try {
    await handle.sync();
  } catch {
    // Some file systems refuse fsync on a directory; the data was synced file by file.
  } finally {
    await handle.close();
  }
}

/** coreutils shred: overwrite, then a pass of zeros, then unlink. */
export function shredFile(file: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      'shred',
      ['--remove', '--zero', '--iterations=1', file],
      { signal: AbortSignal.timeout(SHRED_TIMEOUT_MS) },
      (err, _stdout, stderr) => {
        if (err) reject(new Error(`shred ${file}: ${stderr.trim() || err.message}`));
        else resolve();
      },
    );
  });
}
