// The GPIO backend boundary: physical line levels only (high/low). Polarity (active-low relays, wet-when-
// high probes) is the job of the devices built on top (output.ts, input.ts, probes/). Two backends
// implement it: sysfs through onoff, and the GPIO character device (through the line server or the
// gpiod tools).

export type Bias = 'pull-up' | 'pull-down' | 'disabled' | 'as-is';

export interface OutputLine {
  /** Drives the line; resolves once the level is applied. */
  set(high: boolean): Promise<void>;
  /** Gives the line back to the kernel (call set() to the safe level first). */
  release(): Promise<void>;
}

export interface InputLines {
  /** One level per pin, in the order they were opened; read together where the backend can. */
  read(): Promise<boolean[]>;
  release(): Promise<void>;
}

export interface GpioBackend {
  readonly kind: 'sysfs' | 'chardev';
  /** How a BCM pin is addressed on this backend, for logs and `hw check` (e.g. "GPIO17 (sysfs 529)"). */
  lineName(pin: number): string;
  /** Requests the line as an output at `initialHigh` in one step, so it never glitches to the other level. */
  openOutput(pin: number, initialHigh: boolean): Promise<OutputLine>;
  openInputs(pins: readonly number[], bias: Bias): Promise<InputLines>;
}

/** A GPIO problem with the fix in its message (permission, missing tool, pin in use). */
export class GpioError extends Error {
  override name = 'GpioError';
}

/** A gpiochip of the character device, as gpiodetect and the line server list it. */
export interface ChipEntry {
  name: string;
  label: string;
  lines: number;
}

/** A BCM pin on the character device's header chip, for logs and `hw check` (offsets are BCM numbers). */
export function chipLineName(chip: ChipEntry, pin: number): string {
  return `GPIO${pin} (${chip.name} line ${pin})`;
}

export function checkPinOnChip(chip: ChipEntry, pin: number): void {
  if (pin >= chip.lines)
    throw new GpioError(`GPIO${pin} is not on ${chip.name} (${chip.label}, ${chip.lines} lines)`);
}

/** Adds the fix to the kernel's and the tools' own error messages (permission, a line in use). */
export function gpiodHint(message: string): string {
  if (/permission denied/i.test(message))
    return `${message}: run the daemon as a user in the gpio group (sudo adduser USER gpio)`;
  if (/busy/i.test(message))
    return `${message}: the line is held by another program or a kernel driver (see gpioinfo)`;
  return message;
}

export function errorCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}
