import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { headerChip, listSysfsChips, sysfsNumber } from '../../../drivers/gpio/sysfs-chips.js';
import { FakeSysfsKernel, LAYOUTS, makeSysfsTree } from '../../fakes/sysfs-gpio.js';

describe('BCM pin to sysfs number, from the gpiochip labels', () => {
  it.each([
    ['pi4', 'gpiochip512', 529],
    ['pi5', 'gpiochip571', 588],
    ['pi3-legacy', 'gpiochip0', 17],
  ] as const)('%s: GPIO17 is on %s -> %i', async (layout, chip, expected) => {
    const chips = await listSysfsChips(makeSysfsTree(LAYOUTS[layout]));
    const header = headerChip(chips)!;
    expect(header.name).toBe(chip);
    expect(sysfsNumber(header, 17)).toBe(expected);
  });

  it('refuses a pin beyond the chip', async () => {
    const header = headerChip(await listSysfsChips(makeSysfsTree(LAYOUTS.pi5)))!;
    expect(() => sysfsNumber(header, 60)).toThrow(/GPIO60 is not on gpiochip571 \(pinctrl-rp1, 54 lines\)/);
  });
});

const HOST = new URL('../../fakes/sysfs-gpio-host.mjs', import.meta.url).pathname;
const BUILT = new URL('../../../dist/drivers/gpio/select.js', import.meta.url).pathname;

/** The real onoff, in a child whose /sys/class/gpio is the fake tree (private mount namespace). */
class Host {
  private readonly pending: ((msg: { ok: boolean; result?: unknown; error?: string }) => void)[] = [];
  stderr = '';

  constructor(private readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on('line', (line) => this.pending.shift()?.(JSON.parse(line)));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (this.stderr += d));
  }

  static start(tree: string, kernel?: FakeSysfsKernel): Host {
    if (!existsSync(BUILT)) throw new Error(`${BUILT} is missing: run npm run build first (npm test does)`);
    if (spawnSync('sh', ['-c', 'command -v unshare']).status !== 0)
      throw new Error('unshare is missing: install the Debian package util-linux');
    // Root mounts directly; otherwise a user namespace maps us to root for the mounts.
    const userns = process.getuid?.() === 0 ? [] : ['--map-root-user'];
    const script =
      'mount -t tmpfs tmpfs /sys/class && mkdir /sys/class/gpio && mount --bind "$TREE" /sys/class/gpio && exec "$NODE" "$HOST"';
    const child = spawn('unshare', [...userns, '--mount', '--propagation', 'private', 'sh', '-c', script], {
      env: { ...process.env, TREE: tree, NODE: process.execPath, HOST },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const host = new Host(child);
    host.kernel = kernel;
    return host;
  }

  /** Sends a command; then lets the fake kernel apply what the child wrote (as the real one does at once). */
  async call(cmd: Record<string, unknown>): Promise<{ ok: boolean; result?: unknown; error?: string }> {
    const reply = await this.send(cmd);
    this.kernel?.sync();
    return reply;
  }

  kernel: FakeSysfsKernel | undefined;

  private send(cmd: Record<string, unknown>): Promise<{ ok: boolean; result?: unknown; error?: string }> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no answer to ${JSON.stringify(cmd)}; stderr: ${this.stderr}`)),
        10_000,
      );
      this.pending.push((msg) => {
        clearTimeout(timer);
        resolve(msg);
      });
      this.child.stdin!.write(JSON.stringify(cmd) + '\n');
    });
  }

  async stop(): Promise<void> {
    this.child.stdin!.end();
    this.child.kill();
  }
}

describe('sysfs backend: the real onoff writing a fake sysfs tree', () => {
  let host: Host | undefined;
  let kernel: FakeSysfsKernel | undefined;
  afterEach(async () => {
    await host?.stop();
    kernel?.stop();
  });

  it.each([
    ['pi4', 512],
    ['pi5', 571],
  ] as const)(
    '%s: exports base+pin, holds an active-low relay off from the first moment, switches and releases it',
    async (layout, base) => {
      const tree = makeSysfsTree(LAYOUTS[layout]);
      kernel = new FakeSysfsKernel(tree, LAYOUTS[layout]).start();
      host = Host.start(tree, kernel);
      expect(await host.call({ op: 'select', backend: 'auto' })).toMatchObject({
        ok: true,
        result: { kind: 'sysfs', reason: expect.stringContaining(`base ${base}`) },
      });
      const n = base + 26;
      expect(await host.call({ op: 'output', pin: 26, activeLow: true, name: 'valve' })).toEqual({
        ok: true,
        result: `valve on GPIO26 (sysfs ${n}), active-low`,
      });
      expect(kernel.exported).toEqual([n]);
      expect(kernel.refused).toEqual([]);
      // Direction "high" in one write: output and level together, no glitch low (which would click the relay on).
      expect(kernel.attr(n, 'direction')).toBe('out');
      expect(kernel.directionWrites(n)).toEqual(['high']);
      expect(kernel.attr(n, 'active_low')).toBe('0');
      expect(kernel.physical(n)).toBe(true); // relay off

      await host.call({ op: 'write', name: 'valve', on: true });
      expect(kernel.physical(n)).toBe(false); // pulled low: relay on
      await host.call({ op: 'close', name: 'valve' });
      await waitFor(() => kernel!.unexported.length > 0); // the fake kernel hears unexport through inotify
      expect(kernel.unexported).toEqual([n]);
    },
  );

  it('reads an input under its offset number', async () => {
    const tree = makeSysfsTree(LAYOUTS.pi4);
    kernel = new FakeSysfsKernel(tree, LAYOUTS.pi4).start();
    host = Host.start(tree, kernel);
    await host.call({ op: 'select', backend: 'sysfs' });
    expect((await host.call({ op: 'input', pin: 17, name: 'probe' })).ok).toBe(true);
    expect(await host.call({ op: 'read', name: 'probe' })).toEqual({ ok: true, result: false });
    kernel.drive(529, true);
    expect(await host.call({ op: 'read', name: 'probe' })).toEqual({ ok: true, result: true });
  });

  it('a GPIO left exported by a crashed run is taken over and driven safe', async () => {
    const tree = makeSysfsTree(LAYOUTS.pi4);
    kernel = new FakeSysfsKernel(tree, LAYOUTS.pi4).start();
    host = Host.start(tree, kernel);
    await host.call({ op: 'select' });
    await host.call({ op: 'output', pin: 20, activeLow: false, name: 'pump' });
    await host.call({ op: 'write', name: 'pump', on: true });
    await host.stop(); // "crash": no close, the pin stays exported and on
    expect(kernel.physical(532)).toBe(true);
    host = Host.start(tree, kernel);
    await host.call({ op: 'select' });
    expect((await host.call({ op: 'output', pin: 20, activeLow: false, name: 'pump' })).ok).toBe(true);
    expect(kernel.physical(532)).toBe(false);
    expect(kernel.exported).toEqual([532]); // not exported a second time
  });

  it('without sysfs GPIO (Trixie) a forced sysfs backend names the fix', async () => {
    const tree = makeSysfsTree([]);
    rmSync(join(tree, 'export'));
    host = Host.start(tree);
    const r = await host.call({ op: 'select', backend: 'sysfs' });
    expect(r).toEqual({
      ok: false,
      error: expect.stringMatching(/\/sys\/class\/gpio does not exist .*use chardev/),
    });
  });

  it('a bare BCM number is what the kernel refuses (onoff #199/#200): the offset is never skipped', async () => {
    const tree = makeSysfsTree(LAYOUTS.pi5);
    kernel = new FakeSysfsKernel(tree, LAYOUTS.pi5).start();
    host = Host.start(tree, kernel);
    await host.call({ op: 'select' });
    for (const pin of [2, 17, 27]) await host.call({ op: 'input', pin, name: `in${pin}` });
    expect(kernel.exported).toEqual([573, 588, 598]);
    expect(kernel.refused).toEqual([]);
  });
});

async function waitFor(probe: () => boolean, timeoutMs = 2000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}
