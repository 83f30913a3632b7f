// A throwaway copy of this machine's root to install packages into: an overlay (lower: the real /,
// upper: a tmpfs) mounted inside a private mount and network namespace that a sleeping process holds.
// dpkg, apt-get, install.sh and the installed programs run in it through `nsenter ... chroot`; every
// write lands in the tmpfs and disappears with the namespace; the real root never changes. Its own
// loopback means the installed Mosquitto can listen on 1883 without meeting anything else on this host.

import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/** Mounting an overlay and a tmpfs takes milliseconds; generous for a loaded CI machine. */
export const NAMESPACE_READY_TIMEOUT_MS = 20_000;
/** dpkg unpacking ~3,000 files, apt-get resolving dependencies: seconds here, far more on a slow disk. */
export const PACKAGE_TOOL_TIMEOUT_MS = 180_000;

export interface ListingEntry {
  path: string;
  kind: 'file' | 'dir' | 'link' | 'other';
  mode: number;
  uid: number;
  gid: number;
  /** sha256 of a file's bytes, a link's target. */
  content?: string;
}

export class ThrowawayRoot {
  private readonly children: ChildProcess[] = [];

  private constructor(
    private readonly holder: ChildProcess,
    /** Where the overlay is mounted, inside the namespace. */
    readonly merged: string,
    private readonly upper: string,
  ) {}

  static async create(base: string): Promise<ThrowawayRoot> {
    const scratch = join(base, 'ns');
    const merged = join(scratch, 'root');
    const upper = join(scratch, 'upper');
    const script = [
      'set -e',
      `mkdir -p ${scratch}`,
      `mount -t tmpfs -o mode=0755 tmpfs ${scratch}`,
      `mkdir -p ${upper} ${scratch}/work ${merged}`,
      `mount -t overlay overlay -o lowerdir=/,upperdir=${upper},workdir=${scratch}/work ${merged}`,
      `mount -t proc proc ${merged}/proc`,
      `mount --rbind /dev ${merged}/dev`,
      // A fresh /run: no systemd there (so maintainer scripts start nothing), nothing of the host's.
      `mount -t tmpfs -o mode=0755 tmpfs ${merged}/run`,
      'ip link set lo up',
      'echo ready',
      'exec sleep infinity',
    ].join('\n');
    const holder = spawn('unshare', ['--mount', '--net', '--propagation', 'private', 'sh', '-c', script], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    holder.stderr!.on('data', (d) => (stderr += d));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(new Error(`throwaway root not ready within ${NAMESPACE_READY_TIMEOUT_MS} ms: ${stderr}`)),
        NAMESPACE_READY_TIMEOUT_MS,
      );
      createInterface({ input: holder.stdout! }).on('line', (line) => {
        if (line === 'ready') {
          clearTimeout(timer);
          resolve();
        }
      });
      holder.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`throwaway root setup failed (exit ${code}): ${stderr}`));
      });
    });
    return new ThrowawayRoot(holder, merged, upper);
  }

  /** A path of the throwaway root as this process can read and write it (through the holder's /proc). */
  path(p: string): string {
    return join(`/proc/${this.holder.pid}/root`, this.merged, p);
  }

  private nsenter(chroot: boolean, command: string[], user?: { user: string; groups: string[] }): string[] {
    const enter = ['nsenter', '-t', String(this.holder.pid), '-m', '-n', '--'];
    if (!chroot) return [...enter, ...command];
    const as = user ? [`--userspec=${user.user}:${user.user}`, `--groups=${user.groups.join(',')}`] : [];
    return [...enter, 'chroot', ...as, this.merged, ...command];
  }

  /** Runs a command inside the throwaway root (chrooted), to completion. */
  run(command: string[], env: Record<string, string> = {}): SpawnSyncReturns<string> {
    const argv = this.nsenter(true, command);
    return spawnSync(argv[0]!, argv.slice(1), {
      encoding: 'utf8',
      timeout: PACKAGE_TOOL_TIMEOUT_MS,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8', ...env },
    });
  }

  /** run(), failing with the command's output when it exits non-zero. */
  ok(command: string[], env: Record<string, string> = {}): string {
    const r = this.run(command, env);
    if (r.status !== 0) {
      throw new Error(`${command.join(' ')} exited ${r.status ?? r.signal}:\n${r.stdout}\n${r.stderr}`);
    }
    return r.stdout;
  }

  /**
   * Starts a long-running command inside the throwaway root (as `user` with its primary group of the same
   * name and `groups`, as a unit's User=/SupplementaryGroups= would); stopped by destroy() at the latest.
   */
  start(
    command: string[],
    options: { env?: Record<string, string>; user?: { user: string; groups: string[] } } = {},
  ): ChildProcess {
    const argv = this.nsenter(true, command, options.user);
    const child = spawn(argv[0]!, argv.slice(1), {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...options.env },
    });
    this.children.push(child);
    return child;
  }

  /** A command in the namespace's network only, with this machine's files (clients using the checkout). */
  runInNetwork(command: string[]): SpawnSyncReturns<string> {
    const argv = ['nsenter', '-t', String(this.holder.pid), '-n', '--', ...command];
    return spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: PACKAGE_TOOL_TIMEOUT_MS });
  }

  /** Everything written to the throwaway root so far (the overlay's upper layer), with modes and hashes. */
  changes(exclude: RegExp = /^(tmp|run)(\/|$)/): ListingEntry[] {
    const upper = join(`/proc/${this.holder.pid}/root`, this.upper);
    const out: ListingEntry[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir).sort()) {
        const full = join(dir, name);
        const rel = full.slice(upper.length + 1);
        if (exclude.test(rel)) continue;
        const st = lstatSync(full);
        const base = { path: rel, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
        if (st.isDirectory()) {
          out.push({ ...base, kind: 'dir' });
          walk(full);
        } else if (st.isSymbolicLink()) {
          out.push({ ...base, kind: 'link', content: readlinkSync(full) });
        } else if (st.isFile()) {
          out.push({
            ...base,
            kind: 'file',
            content: createHash('sha256').update(readFileSync(full)).digest('hex'),
          });
        } else out.push({ ...base, kind: 'other' });
      }
    };
    walk(upper);
    return out;
  }

  async destroy(): Promise<void> {
    for (const child of this.children) if (child.exitCode === null) child.kill('SIGKILL');
    if (this.holder.exitCode === null) {
      const exited = new Promise((resolve) => this.holder.once('exit', resolve));
      this.holder.kill('SIGKILL');
      await exited;
    }
  }
}
