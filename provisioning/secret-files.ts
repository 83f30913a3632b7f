// Writing the installer's files: secrets 0600 in 0700 directories, public files 0644. Each file is
// replaced atomically (daemon/runtime/atomic-file.ts), so an interrupted command leaves old or new.

import { chmod, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { writeFileAtomic } from '../daemon/runtime/atomic-file.js';

export const SECRET_FILE_MODE = 0o600;
export const PRIVATE_DIR_MODE = 0o700;
export const PUBLIC_FILE_MODE = 0o644;
export const PUBLIC_DIR_MODE = 0o755;

export async function ensurePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  await chmod(dir, PRIVATE_DIR_MODE);
}

export async function ensurePublicDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: PUBLIC_DIR_MODE });
}

/** A secret: 0600, in a directory only the owner can enter. */
export async function writeSecretFile(file: string, content: string | Buffer): Promise<void> {
  await ensurePrivateDir(dirname(file));
  await writeFileAtomic(file, content);
  await chmod(file, SECRET_FILE_MODE);
}

export async function writePublicFile(file: string, content: string | Buffer): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: PUBLIC_DIR_MODE });
  await writeFileAtomic(file, content);
  await chmod(file, PUBLIC_FILE_MODE);
}
