// `smart-tank bundle check|apply DIR` and `smart-tank first-boot`: a device bundle (provisioning/BUNDLE.md)
// verified, installed with its owners and modes, and, at first boot, removed from the boot partition.

import { createLogger } from '../log.js';
import { readAccounts } from '../bundle/accounts.js';
import { firstBoot } from '../bundle/first-boot.js';
import { alreadyInstalled, installBundle, loadBundle } from '../bundle/install.js';
import { BundleError } from '../bundle/manifest.js';
import { restartServices, systemctl, systemdRunning, type Systemctl } from '../bundle/services.js';
import { parseCommand } from './args.js';
import type { CliIo } from './io.js';

export const BUNDLE_USAGE = `usage: smart-tank bundle check DIR
       smart-tank bundle apply DIR [--no-restart]
  check   verify a device bundle (MANIFEST, every sha256, owners, the config) without installing it
  apply   install it: every file with the manifest's owner, group and mode, provisioning.json last,
          then restart the firewall, Mosquitto, the VPN tunnel and the daemon. A bundle installed
          already is left as it is; another one re-provisions this Pi.
options:
  --no-restart   install only (services pick the files up at their next start)
  --root DIR     install into another root (an image being built); implies --no-restart`;

export const FIRST_BOOT_USAGE = `usage: smart-tank first-boot [--boot DIR]... [--root DIR]
  Run by smart-tank-firstboot.service: installs the device bundle found on the boot partition
  (/boot/firmware/smart-tank, then /boot/smart-tank) and removes it from there, overwriting every file.
  Never installs a bundle twice: on a Pi provisioned already, a bundle found there is removed unapplied.
options:
  --boot DIR   where to look for the bundle instead (repeatable)
  --root DIR   the target system's root (default /)`;

export interface BundleDeps {
  systemctl?: Systemctl;
}

export async function bundleCommand(argv: string[], io: CliIo, deps: BundleDeps = {}): Promise<number> {
  const [action, ...rest] = argv;
  if (action === undefined || action === '--help' || action === '-h') {
    io.out(BUNDLE_USAGE);
    return action === undefined ? 2 : 0;
  }
  const parsed = parseCommand(rest, {
    usage: BUNDLE_USAGE,
    options: { 'no-restart': { type: 'boolean' }, root: { type: 'string' } },
    positionals: { min: 1, max: 1, names: 'DIR (the bundle folder)' },
  });
  if (parsed.help) {
    io.out(BUNDLE_USAGE);
    return 0;
  }
  if (action !== 'check' && action !== 'apply') {
    io.err(`unknown bundle command: ${action}\n${BUNDLE_USAGE}`);
    return 2;
  }
  const dir = parsed.positionals[0]!;
  const root = parsed.values.root ?? '/';
  const accounts = await readAccounts(root);
  let bundle;
  try {
    bundle = await loadBundle(dir, accounts);
  } catch (err) {
    if (!(err instanceof BundleError)) throw err;
    io.err(err.message);
    return 1;
  }
  const { device, site, bundleId } = bundle.firstBoot;
  const files = bundle.entries.filter((e) => e.kind === 'file').length;
  if (action === 'check') {
    io.out(`${dir}: bundle ${bundleId} for ${device} (site ${site}): ${files} files, all verified`);
    return 0;
  }
  if (await alreadyInstalled(bundle, root)) {
    io.out(`bundle ${bundleId} (${device}) is installed already: nothing to do`);
    return 0;
  }
  const result = await installBundle(bundle, root, accounts);
  io.out(`installed bundle ${bundleId} for ${device} (site ${site}): ${result.files} files`);
  if (parsed.values['no-restart'] || parsed.values.root !== undefined) return 0;
  if (!(await systemdRunning(root))) {
    io.out('systemd is not running here: the services pick the files up when they start');
    return 0;
  }
  const failures = await restartServices(deps.systemctl ?? systemctl);
  for (const f of failures) io.err(f);
  return failures.length === 0 ? 0 : 1;
}

export async function firstBootCommand(argv: string[], io: CliIo): Promise<number> {
  const parsed = parseCommand(argv, {
    usage: FIRST_BOOT_USAGE,
    options: { boot: { type: 'string', multiple: true }, root: { type: 'string' } },
  });
  if (parsed.help) {
    io.out(FIRST_BOOT_USAGE);
    return 0;
  }
  const log = createLogger({ level: 'info', write: (line) => io.err(line) }, 'tank:first-boot');
  try {
    const outcome = await firstBoot({
      root: parsed.values.root ?? '/',
      log,
      ...(parsed.values.boot ? { bootDirs: parsed.values.boot } : {}),
    });
    if (outcome.outcome === 'no-bundle') log.info('no device bundle on the boot partition');
    return 0;
  } catch (err) {
    if (!(err instanceof BundleError)) throw err;
    log.error('device bundle refused: nothing installed, the bundle stays on the boot partition', {
      bundle: err.bundle,
      problems: err.problems,
    });
    return 1;
  }
}
