// Types of fake-gpiochip.mjs (plain JavaScript so that the bench runs it with bare node).

/** enum gpio_v2_line_flag in <linux/gpio.h> (the bits of a row's flags). */
export const LINE_FLAG: {
  readonly USED: 1;
  readonly ACTIVE_LOW: 2;
  readonly INPUT: 4;
  readonly OUTPUT: 8;
  readonly EDGE_RISING: 16;
  readonly EDGE_FALLING: 32;
  readonly OPEN_DRAIN: 64;
  readonly OPEN_SOURCE: 128;
  readonly BIAS_PULL_UP: 256;
  readonly BIAS_PULL_DOWN: 512;
  readonly BIAS_DISABLED: 1024;
};

/** Compiles fake-gpiochip.c once per source version (shared by test workers) and returns the .so path. */
export function buildFakeGpiochip(): string;

export interface FakeGpiochipOptions {
  label?: string;
  lines?: number;
  name?: string;
}

export interface FakeLine {
  /** The physical level: what the test set on an input, what the child drives on an output. */
  high: boolean;
  /** pid of the process holding the line, 0 when free (a dead pid also means free). */
  holder: number;
  /** LINE_FLAG bits last configured (0: never configured); USED is never stored. */
  flags: number;
  consumer: string;
}

export interface FakeGpiochip {
  /** LD_PRELOAD and FAKE_GPIOCHIP_* for the child process (merge into its env). */
  env: Record<string, string>;
  devDir: string;
  stateFile: string;
  setInput(offset: number, high: boolean): void;
  line(offset: number): FakeLine;
  /** Level changes, oldest first, e.g. ['17=1', '17=0']. */
  log(): string[];
  /**
   * How many processes started with the library loaded (its constructor runs in every one), only those
   * whose executable's basename is `name` if given. Debian's /usr/bin/python3 counts as 'python3.11'.
   */
  starts(name?: string): number;
  /** Marks a line as held by that pid (e.g. a sleeping child), so that a request of it fails with EBUSY. */
  holdByOther(offset: number, pid: number, consumer: string): void;
}

/**
 * A fake gpiochip under `root`: `${root}/dev/<name>` (an empty file, so a probe listing /dev/gpiochip* finds
 * it; the library intercepts its open) and the state file `${root}/<name>.state`, all lines free and low.
 */
export function fakeGpiochip(root: string, opts?: FakeGpiochipOptions): FakeGpiochip;
