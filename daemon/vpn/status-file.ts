// The supervisor's last report, for `smart-tank vpn status` (another process): a small JSON file in the
// runtime directory (tmpfs), replaced atomically, rewritten on every change of state and otherwise at most
// every STATUS_REFRESH_MS so an SD card would not be worn even if the directory were put on one.

import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { VpnHealth, VpnStatusFile } from './status.js';

export const STATUS_REFRESH_MS = 30_000;

/**
 * `dirMode`: 0700 when the file sits in the private runtime directory; 0755 when it is a separate, public
 * place (runBy: service, where the unprivileged daemon reads it).
 */
export async function writeStatusFile(
  file: string,
  health: VpnHealth,
  wallMs: number,
  dirMode = 0o700,
): Promise<void> {
  const body: VpnStatusFile = { ...health, updatedAt: new Date(wallMs).toISOString(), pid: process.pid };
  await mkdir(dirname(file), { recursive: true, mode: dirMode });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(body, null, 2) + '\n', { mode: 0o644 });
  await rename(tmp, file);
}

const STATES = new Set(['connecting', 'up', 'stale', 'down', 'stopped']);

/** Reads a status file; undefined when there is none; throws when it is not one. */
export async function readStatusFile(file: string): Promise<VpnStatusFile | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const parsed = JSON.parse(text) as Partial<VpnStatusFile>;
  if (typeof parsed !== 'object' || parsed === null || !STATES.has(String(parsed.state)))
    throw new Error(`${file}: not a VPN status file`);
  return parsed as VpnStatusFile;
}
