// Picks the GPIO backend: the one configured, or (auto) the one the running kernel offers. sysfs is
// preferred where it exists (Bookworm and older: no process per output); the character device where it
// does not (Trixie, Pi 5 on new kernels). When neither works the error names the fix.

import { access, constants, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { GpioConfig } from '../../daemon/config/hardware-schema.js';
import { ChardevGpioBackend } from './chardev-backend.js';
import type { GpiodTools } from './gpiod-tools.js';
import type { LineServer } from './line-server.js';
import { LineServerGpioBackend } from './line-server-backend.js';
import type { SysfsGpioLib } from './onoff-adapter.js';
import { SysfsGpioBackend } from './sysfs-backend.js';
import { describeChips, headerChip, HEADER_PIN_CONTROLLERS, listSysfsChips } from './sysfs-chips.js';
import { GpioError, type ChipEntry, type GpioBackend } from './types.js';

export interface GpioSelection {
  backend: GpioBackend;
  /** Why this backend, in words for the log and `hw check`. */
  reason: string;
}

export interface GpioEnvironment {
  /** Filesystem root holding sys/class/gpio and dev/gpiochip* (tests: a fake tree). */
  root?: string;
  loadSysfs?: () => Promise<SysfsGpioLib>;
  openTools?: () => Promise<GpiodTools>;
  /** Starts the GPIO line server for the chips in `devDir` (tests: with the fake chip's preload). */
  startLineServer?: (devDir: string) => Promise<LineServer>;
  /** Told when the line server had gone and a new one took its lines over (how the old one ended). */
  onLineServerRestart?: (exited: string) => void;
}

const GROUP_HINT = 'run the daemon as a user in the gpio group (sudo adduser USER gpio, then log in again)';

export async function selectGpioBackend(
  config: GpioConfig,
  env: GpioEnvironment = {},
): Promise<GpioSelection> {
  const root = env.root ?? '/';
  const sysfs = await probeSysfs(join(root, 'sys/class/gpio'), config.chip);
  const chardev = await probeChardev(join(root, 'dev'));
  const loadSysfs = env.loadSysfs ?? (async () => (await import('./onoff-adapter.js')).loadOnoff());
  const openTools = env.openTools ?? (async () => (await import('./gpiod-tools.js')).openGpiodTools());
  const startLineServer =
    env.startLineServer ??
    (async (devDir: string) => (await import('./line-server.js')).LineServer.start({ devDir }));

  const useSysfs = async (why: string): Promise<GpioSelection> => {
    if (!sysfs.ok) throw new GpioError(sysfs.problem);
    const backend = new SysfsGpioBackend(await loadSysfs(), sysfs.chip);
    return { backend, reason: `${why}; ${sysfs.chip.name} [${sysfs.chip.label}] base ${sysfs.chip.base}` };
  };
  const useChardev = async (why: string): Promise<GpioSelection> => {
    if (!chardev.ok) throw new GpioError(chardev.problem);
    let noServer = '';
    if (config.chardevVia !== 'gpiod-tools') {
      const served = await serveChip(
        config.chip,
        () => startLineServer(join(root, 'dev')),
        env.onLineServerRestart,
      );
      if (!(served instanceof Error))
        return {
          backend: served.backend,
          reason: `${why}; ${served.chip} via the GPIO line server (python3)`,
        };
      if (config.chardevVia === 'line-server') throw served;
      noServer = ` (no line server: ${served.message})`;
    }
    const tools = await openTools();
    const chip = pickChip(config.chip, await tools.detect(), '');
    return {
      backend: new ChardevGpioBackend(tools, chip),
      reason: `${why}; ${chip.name} [${chip.label}] via gpiod tools ${tools.version}${noServer}`,
    };
  };

  switch (config.backend) {
    case 'sysfs':
      return useSysfs('configured (hardware.gpio.backend: sysfs)');
    case 'chardev':
      return useChardev('configured (hardware.gpio.backend: chardev)');
    case 'auto':
      if (sysfs.ok) return useSysfs('auto: the kernel offers sysfs GPIO');
      if (chardev.ok) return useChardev('auto: no usable sysfs GPIO, the kernel offers the character device');
      throw new GpioError(`no usable GPIO backend: sysfs: ${sysfs.problem}; chardev: ${chardev.problem}`);
  }
}

/** The line server on the wanted chip, or why not (a server that has no such chip is ended). */
async function serveChip(
  wanted: string | undefined,
  start: () => Promise<LineServer>,
  onRestart: ((exited: string) => void) | undefined,
): Promise<{ backend: LineServerGpioBackend; chip: string } | Error> {
  let server: LineServer | undefined;
  try {
    server = await start();
    const chip = pickChip(wanted, server.chips, server.problems.join('; '));
    const backend = new LineServerGpioBackend(server, start, chip, onRestart);
    return { backend, chip: `${chip.name} [${chip.label}]` };
  } catch (err) {
    await server?.close();
    return err as Error;
  }
}

/** The configured chip (name or label), else the SoC's pin controller; the error lists what there is. */
function pickChip(wanted: string | undefined, chips: ChipEntry[], problems: string): ChipEntry {
  const chip = wanted
    ? chips.find((c) => c.name === wanted || c.label === wanted)
    : HEADER_PIN_CONTROLLERS.map((l) => chips.find((c) => c.label === l)).find((c) => c !== undefined);
  if (chip) return chip;
  const listed = chips.map((c) => `${c.name} [${c.label}]`).join(', ') || 'nothing';
  throw new GpioError(
    `no gpiochip ${wanted ? `"${wanted}" (hardware.gpio.chip)` : `labelled ${HEADER_PIN_CONTROLLERS.join(' / ')}`}; ` +
      `found: ${listed}${problems ? `; unusable: ${problems}` : ''}`,
  );
}

type Probe<T> = ({ ok: true } & T) | { ok: false; problem: string };

async function probeSysfs(dir: string, wanted: string | undefined) {
  const export_ = join(dir, 'export');
  try {
    await access(export_, constants.F_OK);
  } catch {
    return fail(
      `${dir} does not exist (Raspberry Pi OS Trixie and Pi 5 kernels have no sysfs GPIO: use chardev)`,
    );
  }
  try {
    await access(export_, constants.W_OK);
  } catch {
    return fail(`no permission to write ${export_}: ${GROUP_HINT}`);
  }
  const chips = await listSysfsChips(dir).catch(() => []);
  const chip = headerChip(chips, wanted);
  if (!chip) return fail(`no header pin controller among the sysfs gpiochips (${describeChips(chips)})`);
  return { ok: true as const, chip };
}

async function probeChardev(devDir: string): Promise<Probe<{ devices: string[] }>> {
  const devices = (await readdir(devDir).catch(() => [])).filter((n) => /^gpiochip\d+$/.test(n)).sort();
  if (devices.length === 0) return fail(`no ${devDir}/gpiochip* (is this a Raspberry Pi?)`);
  try {
    await access(join(devDir, devices[0]!), constants.R_OK | constants.W_OK);
  } catch {
    return fail(`no permission on ${devDir}/${devices[0]}: ${GROUP_HINT}`);
  }
  return { ok: true, devices };
}

function fail(problem: string): { ok: false; problem: string } {
  return { ok: false, problem };
}
