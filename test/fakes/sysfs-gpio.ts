// A fake /sys/class/gpio: a directory tree shaped like the kernel's (export, unexport, gpiochipN/{label,
// base,ngpio}), plus a small "kernel" that does what the real one does when a program writes to it:
// export creates gpioN/{direction,value,active_low,edge} for numbers inside a chip (and refuses others,
// as the real kernel answers EINVAL to a bare BCM number since 6.6), unexport removes it, and writing
// "high"/"low" to direction makes an output at that raw level. Runs in the test process; the code under
// test runs in a child whose /sys/class/gpio is this tree (bind mount in a private mount namespace).

import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  watch,
  writeFileSync,
  type FSWatcher,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ChipSpec {
  base: number;
  ngpio: number;
  label: string;
}

/** Raspberry Pi OS Bookworm, kernel 6.6+. */
export const LAYOUTS: Record<'pi4' | 'pi5' | 'pi3-legacy', ChipSpec[]> = {
  pi4: [
    { base: 512, ngpio: 58, label: 'pinctrl-bcm2711' },
    { base: 570, ngpio: 8, label: 'raspberrypi-exp-gpio' },
  ],
  pi5: [
    { base: 512, ngpio: 32, label: 'gpio-brcmstb@107d508500' },
    { base: 544, ngpio: 4, label: 'gpio-brcmstb@107d508520' },
    { base: 548, ngpio: 17, label: 'gpio-brcmstb@107d517c00' },
    { base: 565, ngpio: 6, label: 'gpio-brcmstb@107d517c20' },
    { base: 571, ngpio: 54, label: 'pinctrl-rp1' },
  ],
  // Kernels before 6.6 numbered the SoC controller from 0.
  'pi3-legacy': [
    { base: 0, ngpio: 54, label: 'pinctrl-bcm2835' },
    { base: 504, ngpio: 8, label: 'raspberrypi-exp-gpio' },
  ],
};

export function makeSysfsTree(chips: ChipSpec[], dir = mkdtempSync(join(tmpdir(), 'sysfs-gpio-'))): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'export'), '');
  writeFileSync(join(dir, 'unexport'), '');
  for (const c of chips) {
    const chip = join(dir, `gpiochip${c.base}`);
    mkdirSync(chip);
    writeFileSync(join(chip, 'label'), `${c.label}\n`);
    writeFileSync(join(chip, 'base'), `${c.base}\n`);
    writeFileSync(join(chip, 'ngpio'), `${c.ngpio}\n`);
  }
  return dir;
}

export class FakeSysfsKernel {
  readonly exported: number[] = [];
  readonly unexported: number[] = [];
  /** Numbers the kernel refused (a write the real kernel fails with EINVAL). */
  readonly refused: number[] = [];
  private readonly watchers: FSWatcher[] = [];

  constructor(
    readonly dir: string,
    private readonly chips: ChipSpec[],
  ) {}

  start(): this {
    // inotify: the child blocks in onoff's busy loop waiting for gpioN, so the kernel must react on its own.
    this.watchers.push(watch(join(this.dir, 'export'), () => this.onExport()));
    this.watchers.push(watch(join(this.dir, 'unexport'), () => this.onUnexport()));
    return this;
  }

  stop(): void {
    for (const w of this.watchers) w.close();
  }

  private take(file: string): number | undefined {
    const path = join(this.dir, file);
    const text = readFileSync(path, 'utf8').trim();
    if (!text) return undefined;
    writeFileSync(path, '');
    return Number(text);
  }

  private onExport(): void {
    const n = this.take('export');
    if (n === undefined) return;
    if (!this.chips.some((c) => n >= c.base && n < c.base + c.ngpio)) {
      this.refused.push(n);
      return;
    }
    const gpio = join(this.dir, `gpio${n}`);
    if (existsSync(gpio)) return;
    mkdirSync(gpio);
    writeFileSync(join(gpio, 'direction'), 'in\n');
    writeFileSync(join(gpio, 'value'), '0\n');
    writeFileSync(join(gpio, 'active_low'), '0\n');
    writeFileSync(join(gpio, 'edge'), 'none\n');
    this.exported.push(n);
  }

  private onUnexport(): void {
    const n = this.take('unexport');
    if (n === undefined) return;
    rmSync(join(this.dir, `gpio${n}`), { recursive: true, force: true });
    this.unexported.push(n);
  }

  private readonly directionLog = new Map<number, string[]>();

  /** What was written to gpioN/direction, in order (as seen by sync()). */
  directionWrites(n: number): string[] {
    return this.directionLog.get(n) ?? [];
  }

  /** Applies pending direction writes ("high"/"low": output at that raw level), as the kernel does at once. */
  sync(): void {
    for (const c of this.chips) {
      for (let n = c.base; n < c.base + c.ngpio; n++) {
        const dirFile = join(this.dir, `gpio${n}`, 'direction');
        if (!existsSync(dirFile)) continue;
        const d = readFileSync(dirFile, 'utf8').trim();
        if (d === 'high' || d === 'low') {
          this.directionLog.set(n, [...this.directionWrites(n), d]);
        }
        if (d === 'high' || d === 'low') {
          writeFileSync(dirFile, 'out\n');
          const activeLow = this.attr(n, 'active_low') === '1';
          writeFileSync(
            join(this.dir, `gpio${n}`, 'value'),
            ((d === 'high') !== activeLow ? '1' : '0') + '\n',
          );
        }
      }
    }
  }

  attr(n: number, name: string): string | undefined {
    const f = join(this.dir, `gpio${n}`, name);
    return existsSync(f) ? readFileSync(f, 'utf8').trim() : undefined;
  }

  /** The electrical level of the pin: the value file is logical, inverted by active_low. */
  physical(n: number): boolean | undefined {
    const v = this.attr(n, 'value');
    if (v === undefined) return undefined;
    return v.startsWith('1') !== (this.attr(n, 'active_low') === '1');
  }

  /** Drives an input from outside (a probe in water). */
  drive(n: number, high: boolean): void {
    writeFileSync(join(this.dir, `gpio${n}`, 'value'), high ? '1\n' : '0\n');
  }
}
