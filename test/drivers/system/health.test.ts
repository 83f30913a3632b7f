import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HostHealthReader } from '../../../drivers/system/health.js';

function fakeRoot(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'root-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

const proc = {
  'proc/uptime': '12345.67 20000.00\n',
  'proc/loadavg': '0.42 0.30 0.20 1/123 4567\n',
  'proc/meminfo': 'MemTotal:         948304 kB\nMemFree:          100000 kB\nMemAvailable:     474152 kB\n',
  'proc/stat': 'cpu  100 0 100 800 0 0 0 0 0 0\ncpu0 50 0 50 400 0 0 0 0 0 0\n',
};

describe('Pi health', () => {
  it('reads a Raspberry Pi style tree: cpu-thermal zone, memory, load, uptime', async () => {
    const root = fakeRoot({
      ...proc,
      'sys/class/thermal/thermal_zone0/type': 'cpu-thermal\n',
      'sys/class/thermal/thermal_zone0/temp': '48312\n',
    });
    const h = await new HostHealthReader(root).read();
    expect(h).toEqual({
      uptimeS: 12346,
      load1: 0.42,
      cpuPct: 0,
      memUsedPct: 50,
      memAvailableMb: 463,
      cpuTemperatureC: 48.3,
      rootFsFreeMb: expect.any(Number),
      rootFsUsedPct: expect.any(Number),
    });
  });

  it('computes CPU use between two readings', async () => {
    const root = fakeRoot(proc);
    const reader = new HostHealthReader(root);
    await reader.read();
    writeFileSync(join(root, 'proc/stat'), 'cpu  150 0 150 900 0 0 0 0 0 0\n');
    expect((await reader.read()).cpuPct).toBe(50);
  });

  it('reports no temperature where there is no thermal zone', async () => {
    expect((await new HostHealthReader(fakeRoot(proc)).read()).cpuTemperatureC).toBeNull();
  });

  it('decodes the firmware throttling word: under-voltage now and since boot (Pi 0-4 path)', async () => {
    const root = fakeRoot({ ...proc, 'sys/devices/platform/soc/soc:firmware/get_throttled': '50005\n' });
    const t = (await new HostHealthReader(root).read()).throttling!;
    expect(t).toMatchObject({
      raw: 0x50005,
      underVoltageNow: true,
      frequencyCappedNow: false,
      throttledNow: true,
      underVoltageOccurred: true,
      throttledOccurred: true,
      frequencyCappedOccurred: false,
      softTemperatureLimitOccurred: false,
    });
  });

  it('finds get_throttled under the Pi 5 firmware node', async () => {
    const root = fakeRoot({
      ...proc,
      'sys/devices/platform/soc@107c000000/soc@107c000000:firmware/get_throttled': '0\n',
    });
    expect((await new HostHealthReader(root).read()).throttling).toMatchObject({
      raw: 0,
      underVoltageNow: false,
    });
  });

  it('has no throttling field off a Pi, and reports the root filesystem space', async () => {
    const h = await new HostHealthReader(fakeRoot(proc)).read();
    expect(h.throttling).toBeUndefined();
    expect(h.rootFsFreeMb).toBeGreaterThan(0);
    expect(h.rootFsUsedPct).toBeGreaterThanOrEqual(0);
    expect(h.rootFsUsedPct).toBeLessThanOrEqual(100);
  });
});
