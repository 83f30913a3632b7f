// Maps a BCM pin to its sysfs GPIO number. Since kernel 6.6 the gpiochips are numbered dynamically from
// 512 up, so /sys/class/gpio/export wants base + offset (e.g. 529 for GPIO17 on a Pi 4, 588 on a Pi 5);
// writing the bare BCM number fails with EINVAL (onoff issues #199, #200). The base comes from the chip
// whose label is the SoC's pin controller, which drives the 40-pin header.

import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GpioError } from './types.js';

/**
 * Labels of the pin controllers that own GPIO0-27 of the header, by preference: the Pi 5's RP1 first
 * (its SoC also has brcmstb chips that are not the header), then the Pi 4 and the Pi 0-3.
 */
export const HEADER_PIN_CONTROLLERS = ['pinctrl-rp1', 'pinctrl-bcm2711', 'pinctrl-bcm2835'];

export interface GpioChipInfo {
  /** gpiochip512 (sysfs) or gpiochip0 (character device). */
  name: string;
  label: string;
  /** First sysfs number of the chip (sysfs only; the character device numbers lines from 0). */
  base: number;
  lines: number;
}

export async function listSysfsChips(gpioClassDir: string): Promise<GpioChipInfo[]> {
  const names = (await readdir(gpioClassDir)).filter((n) => /^gpiochip\d+$/.test(n));
  const chips: GpioChipInfo[] = [];
  for (const name of names) {
    const attr = async (a: string) => (await readFile(join(gpioClassDir, name, a), 'utf8')).trim();
    try {
      chips.push({
        name,
        label: await attr('label'),
        base: Number(await attr('base')),
        lines: Number(await attr('ngpio')),
      });
    } catch {
      // a chip without the attributes is not one we can use
    }
  }
  return chips.sort((a, b) => a.base - b.base);
}

/** The chip that drives the header pins, or undefined when none of the known controllers is present. */
export function headerChip(chips: readonly GpioChipInfo[], wanted?: string): GpioChipInfo | undefined {
  if (wanted) return chips.find((c) => c.name === wanted || c.label === wanted);
  for (const label of HEADER_PIN_CONTROLLERS) {
    const chip = chips.find((c) => c.label === label);
    if (chip) return chip;
  }
  return undefined;
}

export function sysfsNumber(chip: GpioChipInfo, bcmPin: number): number {
  if (bcmPin < 0 || bcmPin >= chip.lines)
    throw new GpioError(`GPIO${bcmPin} is not on ${chip.name} (${chip.label}, ${chip.lines} lines)`);
  return chip.base + bcmPin;
}

export function describeChips(chips: readonly GpioChipInfo[]): string {
  return chips.map((c) => `${c.name} [${c.label}] base ${c.base}`).join(', ') || 'none';
}
