// Pi health from procfs and sysfs: uptime, load, CPU use, memory and the SoC temperature; where the Pi
// exposes them, the firmware's throttling and under-voltage flags, and the root filesystem's free space
// (an SD card that fills up stops the history and the state file). The root directory is injected so
// tests read a fake tree; on a machine without a thermal zone the temperature is null, not an error.

import { readdir, readFile, statfs } from 'node:fs/promises';
import { join } from 'node:path';

export interface HostHealth {
  uptimeS: number;
  load1: number;
  /** Share of CPU time busy since the previous reading, all cores (0-100). */
  cpuPct: number;
  memUsedPct: number;
  memAvailableMb: number;
  cpuTemperatureC: number | null;
  /** Firmware throttling flags (Raspberry Pi only; absent elsewhere). */
  throttling?: ThrottleFlags;
  /** Free space of the root filesystem (the SD card). */
  rootFsFreeMb?: number;
  rootFsUsedPct?: number;
}

/**
 * The bits of the firmware's get_throttled word (the same as `vcgencmd get_throttled`): what is true now,
 * and what has happened since boot. Under-voltage is the usual cause of SD card corruption on a Pi.
 */
export interface ThrottleFlags {
  raw: number;
  underVoltageNow: boolean;
  frequencyCappedNow: boolean;
  throttledNow: boolean;
  softTemperatureLimitNow: boolean;
  underVoltageOccurred: boolean;
  frequencyCappedOccurred: boolean;
  throttledOccurred: boolean;
  softTemperatureLimitOccurred: boolean;
}

export function decodeThrottled(raw: number): ThrottleFlags {
  const bit = (n: number) => (raw & (1 << n)) !== 0;
  return {
    raw,
    underVoltageNow: bit(0),
    frequencyCappedNow: bit(1),
    throttledNow: bit(2),
    softTemperatureLimitNow: bit(3),
    underVoltageOccurred: bit(16),
    frequencyCappedOccurred: bit(17),
    throttledOccurred: bit(18),
    softTemperatureLimitOccurred: bit(19),
  };
}

/** Where the firmware driver publishes get_throttled: Pi 0-4 under soc/, the Pi 5 under its own soc node. */
const THROTTLED_FILES = ['sys/devices/platform/soc/soc:firmware/get_throttled'];

/** Thermal zone types that are the SoC on a Raspberry Pi (and on common x86 hosts). */
const CPU_ZONE_TYPES = ['cpu-thermal', 'cpu_thermal', 'x86_pkg_temp', 'soc_thermal'];

export class HostHealthReader {
  private lastCpu: { busy: number; total: number } | undefined;

  private throttledFile: string | null | undefined;

  constructor(private readonly root = '/') {}

  async read(): Promise<HostHealth> {
    const [uptime, loadavg, meminfo, stat, temperature, throttling, disk] = await Promise.all([
      this.text('proc/uptime'),
      this.text('proc/loadavg'),
      this.text('proc/meminfo'),
      this.text('proc/stat'),
      this.cpuTemperatureC(),
      this.throttling(),
      this.rootFs(),
    ]);
    const mem = parseMeminfo(meminfo);
    const cpu = parseCpuLine(stat);
    const cpuPct =
      this.lastCpu && cpu.total > this.lastCpu.total
        ? ((cpu.busy - this.lastCpu.busy) / (cpu.total - this.lastCpu.total)) * 100
        : 0;
    this.lastCpu = cpu;
    return {
      uptimeS: Math.round(Number(uptime.split(' ')[0])),
      load1: Number(loadavg.split(' ')[0]),
      cpuPct: round1(cpuPct),
      memUsedPct: round1(((mem.totalKb - mem.availableKb) / mem.totalKb) * 100),
      memAvailableMb: Math.round(mem.availableKb / 1024),
      cpuTemperatureC: temperature,
      ...(throttling ? { throttling } : {}),
      ...disk,
    };
  }

  private async throttling(): Promise<ThrottleFlags | undefined> {
    if (this.throttledFile === undefined) this.throttledFile = (await this.findThrottledFile()) ?? null;
    if (this.throttledFile === null) return undefined;
    const text = (await readFile(this.throttledFile, 'utf8').catch(() => '')).trim();
    // The firmware prints the word in hex without a prefix ("50005"); some kernels add "0x".
    const raw = Number.parseInt(text.replace(/^0x/i, ''), 16);
    return Number.isFinite(raw) ? decodeThrottled(raw) : undefined;
  }

  private async findThrottledFile(): Promise<string | undefined> {
    for (const f of THROTTLED_FILES) {
      const path = join(this.root, f);
      if (
        await readFile(path).then(
          () => true,
          () => false,
        )
      )
        return path;
    }
    // The Pi 5 names its nodes after addresses: soc@107c000000/soc@107c000000:firmware/get_throttled.
    const platform = join(this.root, 'sys/devices/platform');
    for (const soc of (await readdir(platform).catch(() => [])).filter((d) => d.startsWith('soc'))) {
      for (const fw of (await readdir(join(platform, soc)).catch(() => [])).filter((d) =>
        d.endsWith(':firmware'),
      )) {
        const path = join(platform, soc, fw, 'get_throttled');
        if (
          await readFile(path).then(
            () => true,
            () => false,
          )
        )
          return path;
      }
    }
    return undefined;
  }

  private async rootFs(): Promise<{ rootFsFreeMb?: number; rootFsUsedPct?: number }> {
    try {
      const s = await statfs(this.root);
      const total = s.blocks * s.bsize;
      if (total <= 0) return {};
      return {
        rootFsFreeMb: Math.round((s.bavail * s.bsize) / 1048576),
        rootFsUsedPct: round1(((s.blocks - s.bfree) / s.blocks) * 100),
      };
    } catch {
      return {};
    }
  }

  private async cpuTemperatureC(): Promise<number | null> {
    const base = join(this.root, 'sys/class/thermal');
    let zones: string[];
    try {
      zones = (await readdir(base)).filter((z) => z.startsWith('thermal_zone')).sort();
    } catch {
      return null;
    }
    let fallback: string | undefined;
    for (const zone of zones) {
      const type = (await readFile(join(base, zone, 'type'), 'utf8').catch(() => '')).trim();
      fallback ??= zone;
      if (CPU_ZONE_TYPES.includes(type)) return readMilliDegrees(join(base, zone, 'temp'));
    }
    return fallback ? readMilliDegrees(join(base, fallback, 'temp')) : null;
  }

  private text(path: string): Promise<string> {
    return readFile(join(this.root, path), 'utf8');
  }
}

async function readMilliDegrees(file: string): Promise<number | null> {
  const raw = Number((await readFile(file, 'utf8').catch(() => '')).trim());
  return Number.isFinite(raw) && raw !== 0 ? round1(raw / 1000) : null;
}

function parseMeminfo(text: string): { totalKb: number; availableKb: number } {
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? NaN);
  return { totalKb: field('MemTotal'), availableKb: field('MemAvailable') };
}

function parseCpuLine(stat: string): { busy: number; total: number } {
  const fields = (stat.split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal ...
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
