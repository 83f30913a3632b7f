// What reads the files a bundle installs, restarted after `smart-tank bundle apply` on a running Pi.
// (At first boot nothing is restarted: the first-boot unit runs before all of them.)

import { execFile } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { onTarget } from './install.js';

/** In this order: the firewall (interface names), the broker (listeners, users), the tunnel, the daemon. */
export const RESTART_AFTER_APPLY = [
  'smart-tank-firewall.service',
  'mosquitto.service',
  'smart-tank-vpn.service',
  'smart-tank.service',
];
/** Starting the daemon waits for READY=1 (first control tick); generous for a Pi Zero on a slow card. */
export const SYSTEMCTL_TIMEOUT_MS = 120_000;

export type Systemctl = (args: string[]) => Promise<void>;

export const systemctl: Systemctl = (args) =>
  new Promise((resolve, reject) => {
    execFile(
      'systemctl',
      args,
      { signal: AbortSignal.timeout(SYSTEMCTL_TIMEOUT_MS) },
      (err, _out, stderr) => {
        if (err) reject(new Error(`systemctl ${args.join(' ')}: ${stderr.trim() || err.message}`));
        else resolve();
      },
    );
  });

/** Whether systemd runs the target system (not an image being built, not a chroot of another root). */
export async function systemdRunning(root: string): Promise<boolean> {
  return (await stat(onTarget(root, '/run/systemd/system')).catch(() => undefined))?.isDirectory() === true;
}

/** Restarts each service in turn; returns the failures (a later service is still tried). */
export async function restartServices(run: Systemctl, units = RESTART_AFTER_APPLY): Promise<string[]> {
  const failures: string[] = [];
  for (const unit of units) {
    try {
      await run(['restart', unit]);
    } catch (err) {
      failures.push((err as Error).message);
    }
  }
  return failures;
}
