// Pi health from procfs and sysfs: uptime, load, CPU use, memory and the SoC temperature. The root
// directory is injected so tests read a fake tree; on a machine without a thermal zone the temperature
// is null, not an error.

import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface HostHealth {
  uptimeS: number;
  load1: number;
  /** Share of CPU time busy since the previous reading, all cores (0-100). */
  cpuPct: number;
  memUsedPct: number;
  memAvailableMb: number;
  cpuTemperatureC: number | null;
}

/** Thermal zone types that are the SoC on a Raspberry Pi (and on common x86 hosts). */
const CPU_ZONE_TYPES = ['cpu-thermal', 'cpu_thermal', 'x86_pkg_temp', 'soc_thermal'];

export class HostHealthReader {
  private lastCpu: { busy: number; total: number } | undefined;

  constructor(private readonly root = '/') {}

  async read(): Promise<HostHealth> {
    const [uptime, loadavg, meminfo, stat, temperature] = await Promise.all([
      this.text('proc/uptime'),
      this.text('proc/loadavg'),
      this.text('proc/meminfo'),
      this.text('proc/stat'),
      this.cpuTemperatureC(),
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
    };
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
