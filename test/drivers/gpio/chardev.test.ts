import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openGpiodTools, type GpiodTools } from '../../../drivers/gpio/gpiod-tools.js';
import { GpioInput } from '../../../drivers/gpio/input.js';
import { GpioOutput } from '../../../drivers/gpio/output.js';
import { selectGpioBackend } from '../../../drivers/gpio/select.js';
import { isAlive, waitFor } from '../../helpers/daemon.js';

const FAKE_TOOLS = new URL('../../fakes/gpiod/', import.meta.url).pathname;

interface FakeState {
  levels: Record<string, boolean>;
  holders: Record<string, number>;
  log: string[];
}

/** A Pi without sysfs GPIO: /dev/gpiochip0 present, /sys/class/gpio absent; the fake tools at `version`. */
function trixie(version: string) {
  const root = mkdtempSync(join(tmpdir(), 'pi-'));
  const state = join(root, 'gpiod-state.json');
  process.env.FAKE_GPIOD_VERSION = version;
  process.env.FAKE_GPIOD_STATE = state;
  const dev = join(root, 'dev');
  mkdirSync(dev, { recursive: true });
  writeFileSync(join(dev, 'gpiochip0'), '');
  return {
    root,
    /** The chardev backend on this Pi, through the fake tools (or `tools`, already opened). */
    chardevBackend: async (tools?: GpiodTools) =>
      (
        await selectGpioBackend(
          { backend: 'chardev', chardevVia: 'gpiod-tools' },
          { root, openTools: async () => tools ?? openGpiodTools(FAKE_TOOLS) },
        )
      ).backend,
    state: () => JSON.parse(readFileSync(state, 'utf8')) as FakeState,
    /** How many times the fake `tool` was started (one line per start in STATE.starts). */
    starts: (tool: string) =>
      readFileSync(`${state}.starts`, 'utf8')
        .split('\n')
        .filter((l) => l === tool).length,
    setInput: (offset: number, high: boolean) => {
      let s: FakeState;
      try {
        s = JSON.parse(readFileSync(state, 'utf8')) as FakeState;
      } catch {
        s = { levels: {}, holders: {}, log: [] };
      }
      s.levels[offset] = high;
      writeFileSync(state, JSON.stringify(s));
    },
  };
}

const outputs: GpioOutput[] = [];
afterEach(async () => {
  for (const o of outputs.splice(0)) await o.close().catch(() => {});
});

describe.each(['1.6.3', '2.1.3'])(
  'chardev backend through the gpiod tools v%s (fake tools, real processes)',
  (version) => {
    it('auto-selects the character device when sysfs GPIO is gone, finding the header chip by label', async () => {
      const pi = trixie(version);
      const sel = await selectGpioBackend(
        { backend: 'auto', chardevVia: 'gpiod-tools' },
        { root: pi.root, openTools: () => openGpiodTools(FAKE_TOOLS) },
      );
      expect(sel.backend.kind).toBe('chardev');
      expect(sel.reason).toMatch(
        new RegExp(
          `no usable sysfs GPIO.*gpiochip0 \\[pinctrl-bcm2711\\] via gpiod tools v${version.replace(/\./g, '\\.')}`,
        ),
      );
    });

    it('an active-low relay: held off (high) from the request, on (low) when written, off again and released on close', async () => {
      const pi = trixie(version);
      const backend = await pi.chardevBackend();
      const valve = new GpioOutput(backend, 26, true, 'valve mains');
      outputs.push(valve);
      await valve.open();
      expect(valve.description).toBe('valve mains on GPIO26 (gpiochip0 line 26), active-low');
      expect(pi.state().levels['26']).toBe(true);
      expect(pi.state().holders['26']).toBeGreaterThan(0); // a live gpioset holds it
      await valve.write(true);
      expect(pi.state().levels['26']).toBe(false);
      await valve.close();
      expect(pi.state()).toMatchObject({ levels: { '26': true }, holders: {} });
      // Never a glitch to "on" before the first write: the first level requested was off.
      expect(pi.state().log).toEqual(['26=1', '26=0', '26=1']);
    });

    it('reads several inputs in one gpioget with the bias flag of this version', async () => {
      const pi = trixie(version);
      const backend = await pi.chardevBackend();
      pi.setInput(17, true);
      const lines = await backend.openInputs([17, 27], 'pull-down');
      expect(await lines.read()).toEqual([true, false]);
      const probe = new GpioInput(backend, 27, { name: 'probe', bias: 'pull-down', sleep: async () => {} });
      await probe.open();
      pi.setInput(27, true);
      expect(await probe.read()).toBe(true);
    });

    it('a line held by another program is refused with the hint', async () => {
      const pi = trixie(version);
      const backend = await pi.chardevBackend();
      const a = new GpioOutput(backend, 23, false, 'pump');
      outputs.push(a);
      await a.open();
      const b = new GpioOutput(backend, 23, false, 'pump again');
      await expect(b.open()).rejects.toThrow(
        /Device or resource busy.*: the line is held by another program or a kernel driver/,
      );
    });

    it('a slow gpioset (a loaded machine): open() returns only once the line is really held', async () => {
      const pi = trixie(version);
      const backend = await pi.chardevBackend();
      const valve = new GpioOutput(backend, 24, true, 'valve');
      outputs.push(valve);
      process.env.FAKE_GPIOD_START_DELAY_MS = '1500';
      try {
        await valve.open();
      } finally {
        delete process.env.FAKE_GPIOD_START_DELAY_MS;
      }
      expect(pi.state().holders['24']).toBeGreaterThan(0);
      expect(pi.state().levels['24']).toBe(true); // active-low: held high, the valve off
    });
  },
);

describe('relay switching on libgpiod 2: processes per switch', () => {
  afterEach(() => {
    delete process.env.FAKE_GPIOD_INTERACTIVE;
  });

  /** Opens a relay, switches it 20 times, closes it: the fake's log, its gpioset starts, the holders. */
  async function switchTwenty(interactive: boolean) {
    const pi = trixie('2.1.3');
    process.env.FAKE_GPIOD_INTERACTIVE = interactive ? '1' : '0';
    const tools = await openGpiodTools(FAKE_TOOLS);
    expect(tools.interactive).toBe(interactive);
    const backend = await pi.chardevBackend(tools);
    const pump = new GpioOutput(backend, 22, false, 'pump');
    outputs.push(pump);
    await pump.open();
    const holder = pi.state().holders['22'];
    const holders = new Set<number>();
    for (let i = 0; i < 20; i++) {
      await pump.write(i % 2 === 0);
      expect(pi.state().levels['22'], `switch ${i + 1}`).toBe(i % 2 === 0);
      holders.add(pi.state().holders['22']!);
    }
    await pump.close();
    return { state: pi.state(), gpiosets: pi.starts('gpioset'), holder, holders };
  }

  it("an interactive gpioset holds the line for the output's life: 1 process for 20 switches", async () => {
    const { state, gpiosets, holder, holders } = await switchTwenty(true);
    expect(gpiosets).toBe(1);
    expect([...holders]).toEqual([holder]);
    expect(state.log).toEqual(['22=0', ...Array.from({ length: 20 }, (_, i) => `22=${i % 2 === 0 ? 1 : 0}`)]);
    expect(state.holders).toEqual({}); // released on close
  });

  it('without the interactive mode (a build without editline): one gpioset per switch, the same levels', async () => {
    const { state, gpiosets, holders } = await switchTwenty(false);
    expect(gpiosets).toBe(21);
    expect(holders.size).toBe(20);
    expect(state.log).toEqual(['22=0', ...Array.from({ length: 20 }, (_, i) => `22=${i % 2 === 0 ? 1 : 0}`)]);
  });

  it('an interactive gpioset that died is replaced by a new one at the wanted level', async () => {
    const pi = trixie('2.1.3');
    const backend = await pi.chardevBackend();
    const valve = new GpioOutput(backend, 5, false, 'valve');
    outputs.push(valve);
    await valve.open();
    const first = pi.state().holders['5']!;
    process.kill(first, 'SIGKILL');
    await waitFor(() => !isAlive(first), 10_000, `gpioset ${first} to exit`);
    await valve.write(true);
    expect(pi.state().levels['5']).toBe(true);
    expect(pi.state().holders['5']).not.toBe(first);
    expect(pi.starts('gpioset')).toBe(2);
  });
});

describe('chardev errors name the fix', () => {
  it('missing tools: install gpiod', async () => {
    const pi = trixie('2.1.3');
    await expect(
      selectGpioBackend(
        { backend: 'chardev', chardevVia: 'gpiod-tools' },
        { root: pi.root, openTools: () => openGpiodTools('/nonexistent/bin') },
      ),
    ).rejects.toThrow(/gpioset not found: install the gpiod tools \(sudo apt install gpiod\)/);
  });

  it('neither backend: says what is missing for each', async () => {
    const root = mkdtempSync(join(tmpdir(), 'not-a-pi-'));
    await expect(selectGpioBackend({ backend: 'auto', chardevVia: 'gpiod-tools' }, { root })).rejects.toThrow(
      /no usable GPIO backend: sysfs: .*does not exist.*; chardev: no .*gpiochip\* \(is this a Raspberry Pi\?\)/,
    );
  });
});
