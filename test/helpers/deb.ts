// The Debian package for tests: built by the same script as `npm run package` (from this checkout's
// dist/ and node_modules, pruned to production), with zstd instead of xz (3x faster to build; dpkg on
// Debian 12 and Raspberry Pi OS Bookworm reads both), and helpers to read it and run what it installs.

import { spawnSync, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

const BUILDER = new URL('../../os-image/deb/build-deb.mjs', import.meta.url).pathname;
/** Copying ~3,000 files, fetching Node.js from npm (cached after the first time), compressing ~120 MB. */
export const BUILD_TIMEOUT_MS = 240_000;

export interface BuiltDeb {
  deb: string;
  version: string;
  debBytes: number;
  installedKiB: number;
  depends: string;
  nativeAddons: string[];
}

export function buildDeb(out: string, version?: string): BuiltDeb {
  const args = [BUILDER, '--compression', 'zstd', '--out', out, ...(version ? ['--version', version] : [])];
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: BUILD_TIMEOUT_MS });
  if (r.status !== 0)
    throw new Error(`build-deb failed (${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as BuiltDeb;
}

/** Key=value settings of a systemd unit (the last one wins, as for systemd's single-valued keys). */
export function unitSetting(unitText: string, key: string): string | undefined {
  const values = [...unitText.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].map((m) => m[1]!);
  return values.at(-1);
}

/** Resolves with the first JSON log line of the child (stderr) that matches; rejects on exit or timeout. */
export function waitForLog(
  child: ChildProcess,
  match: (line: Record<string, unknown>) => boolean,
  timeoutMs: number,
  what: string,
): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const seen: string[] = [];
    const timer = setTimeout(
      () => reject(new Error(`no ${what} within ${timeoutMs} ms:\n${seen.join('\n')}`)),
      timeoutMs,
    );
    const lines = createInterface({ input: child.stderr! });
    lines.on('line', (line) => {
      seen.push(line);
      try {
        const parsed = JSON.parse(line) as Record<string, unknown>;
        if (match(parsed)) {
          clearTimeout(timer);
          lines.close();
          resolve(parsed);
        }
      } catch {
        // not a log line
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited ${code} before ${what}:\n${seen.join('\n')}`));
    });
  });
}

export function exitOf(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}
