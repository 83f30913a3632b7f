// Small files written so that a power cut leaves either the old or the new content, never a torn one:
// write a temp file, fsync it, rename over the target, fsync the directory.

import { open, readFile, rename, mkdir } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';

/** Owner, group and mode the new file has before it replaces the old one (default: ours, 0600). */
export interface FileOwnership {
  uid?: number;
  gid?: number;
  mode?: number;
}

export async function writeFileAtomic(
  file: string,
  content: string | Uint8Array,
  own: FileOwnership = {},
): Promise<number> {
  const dir = dirname(file);
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${basename(file)}.${process.pid}.tmp`);
  const handle = await open(tmp, 'w', 0o600);
  try {
    if (own.uid !== undefined && own.gid !== undefined) await handle.chown(own.uid, own.gid);
    if (own.mode !== undefined) await handle.chmod(own.mode);
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, file);
  const dirHandle = await open(dir, 'r');
  try {
    await dirHandle.sync();
  } finally {
    await dirHandle.close();
  }
  return Buffer.byteLength(content);
}

/** Reads a file, or undefined when it does not exist. */
export async function readFileIfExists(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
