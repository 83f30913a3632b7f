// The GPIO line server (drivers/gpio/line-server.py, run by Debian's python3) against a fake kernel: an
// LD_PRELOAD library compiled against <linux/gpio.h> that emulates one gpiochip at the ioctl interface
// (test/fakes/gpiochip/). Real processes, real struct bytes; only the chip is emulated.

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GpioOutput } from '../../../drivers/gpio/output.js';
import { LINE_SERVER_SCRIPT, LineServer } from '../../../drivers/gpio/line-server.js';
import { LineServerGpioBackend } from '../../../drivers/gpio/line-server-backend.js';
import { selectGpioBackend } from '../../../drivers/gpio/select.js';
import { openGpiodTools } from '../../../drivers/gpio/gpiod-tools.js';
import { ConductionProbeArray } from '../../../drivers/probes/conduction.js';
import type { GpioConfig } from '../../../daemon/config/hardware-schema.js';
import { buildFakeGpiochip, fakeGpiochip, LINE_FLAG } from '../../fakes/gpiochip/fake-gpiochip.mjs';
import { isAlive, waitFor } from '../../helpers/daemon.js';

/** Debian's interpreter, the one a Raspberry Pi OS image runs (npm test's setup installs it). */
const PYTHON = '/usr/bin/python3';
const FAKE_TOOLS = new URL('../../fakes/gpiod/', import.meta.url).pathname;
/** A process start under the fake chip takes ~50 ms; a loaded CI machine, seconds. */
const EXIT_DEADLINE_MS = 10_000;

beforeAll(() => {
  buildFakeGpiochip();
});

/** A Trixie Pi (no sysfs GPIO) whose /dev/gpiochip0 is the fake chip. */
function trixie(opts: { label?: string } = {}) {
  const root = mkdtempSync(join(tmpdir(), 'pi-lines-'));
  const chip = fakeGpiochip(root, opts);
  const startLineServer = (devDir: string) =>
    LineServer.start({ devDir, python: PYTHON, env: { ...process.env, ...chip.env } });
  const restarts: string[] = [];
  const select = (config: Partial<GpioConfig> = {}) =>
    selectGpioBackend(
      { backend: 'auto', chardevVia: 'auto', ...config },
      { root, startLineServer, onLineServerRestart: (exited) => restarts.push(exited) },
    );
  return { root, chip, startLineServer, select, restarts };
}

const backends: LineServerGpioBackend[] = [];
async function lineServerBackend(pi: ReturnType<typeof trixie>) {
  const { backend } = await pi.select();
  expect(backend).toBeInstanceOf(LineServerGpioBackend);
  backends.push(backend as LineServerGpioBackend);
  return backend as LineServerGpioBackend;
}
afterEach(async () => {
  for (const b of backends.splice(0)) await b.close();
});

describe('the line server speaks the kernel GPIO uAPI v2 of <linux/gpio.h>', () => {
  it("every size, offset, flag and ioctl number it spells out is the kernel header's", () => {
    const bin = join(mkdtempSync(join(tmpdir(), 'uapi-')), 'layout');
    const source = new URL('./gpio-uapi-layout.c', import.meta.url).pathname;
    execFileSync('gcc', ['-Wall', '-Werror', '-o', bin, source]);
    const kernel = JSON.parse(execFileSync(bin, { encoding: 'utf8' })) as Record<string, number>;
    const names = JSON.stringify(Object.keys(kernel));
    const ours = JSON.parse(
      execFileSync(
        PYTHON,
        [
          '-I',
          '-S',
          '-B', // no __pycache__ in the source tree
          '-c',
          `import importlib.util, json, sys
spec = importlib.util.spec_from_file_location('line_server', sys.argv[1])
m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)
print(json.dumps({k: getattr(m, k) for k in json.loads(sys.argv[2])}))`,
          LINE_SERVER_SCRIPT,
          names,
        ],
        { encoding: 'utf8' },
      ),
    ) as Record<string, number>;
    expect(Object.keys(kernel).length).toBeGreaterThan(25);
    expect(ours).toEqual(kernel);
  });
});

describe('GPIO through the line server (python3, fake gpiochip at the ioctl level)', () => {
  it('auto-selects the character device with the line server, the header chip found by its label', async () => {
    const pi = trixie({ label: 'pinctrl-rp1' });
    const sel = await pi.select();
    backends.push(sel.backend as LineServerGpioBackend);
    expect(sel.backend.kind).toBe('chardev');
    expect(sel.reason).toMatch(
      /^auto: no usable sysfs GPIO.*; gpiochip0 \[pinctrl-rp1\] via the GPIO line server \(python3\)$/,
    );
  });

  it('an active-low relay: held off from the request, on when written, off again and released on close', async () => {
    const pi = trixie();
    const backend = await lineServerBackend(pi);
    const valve = new GpioOutput(backend, 26, true, 'valve mains');
    await valve.open();
    expect(valve.description).toBe('valve mains on GPIO26 (gpiochip0 line 26), active-low');
    const serverPid = pi.chip.line(26).holder;
    expect(serverPid).toBeGreaterThan(0);
    expect(pi.chip.line(26)).toMatchObject({ high: true, consumer: 'smart-tank' });
    expect(pi.chip.line(26).flags & LINE_FLAG.OUTPUT).toBe(LINE_FLAG.OUTPUT);
    await valve.write(true);
    expect(pi.chip.line(26).high).toBe(false);
    await valve.close();
    expect(pi.chip.line(26)).toMatchObject({ high: true, holder: 0 });
    // Requested at the off level in one step: never a glitch to "on" before the first write.
    expect(pi.chip.log()).toEqual(['26=1', '26=0', '26=1']);
  });

  it('inputs: one request for all electrodes with the bias asked for, read as often as needed by one process', async () => {
    const pi = trixie();
    const backend = await lineServerBackend(pi);
    const lines = await backend.openInputs([17, 27], 'pull-down');
    for (const pin of [17, 27])
      expect(pi.chip.line(pin).flags & (LINE_FLAG.INPUT | LINE_FLAG.BIAS_PULL_DOWN)).toBe(
        LINE_FLAG.INPUT | LINE_FLAG.BIAS_PULL_DOWN,
      );
    expect(await lines.read()).toEqual([false, false]);
    pi.chip.setInput(17, true);
    expect(await lines.read()).toEqual([true, false]);
    pi.chip.setInput(27, true);
    pi.chip.setInput(17, false);
    expect(await lines.read()).toEqual([false, true]);
    for (let i = 0; i < 200; i++) await lines.read();
    await lines.release();
    expect(pi.chip.line(17).holder).toBe(0);
    expect(pi.chip.starts()).toBe(1); // the one python3, for the selection and 203 reads
  });

  it('a probe sample (3 electrodes, excitation, reversal) starts no process at all', async () => {
    const pi = trixie();
    const backend = await lineServerBackend(pi);
    const probes = new ConductionProbeArray(backend, {
      name: 'house probes',
      electrodes: [
        { id: 'dry', heightMm: 150, pin: 5, role: 'dry-run' },
        { id: 'mid', heightMm: 900, pin: 6, role: 'level' },
        { id: 'top', heightMm: 1800, pin: 13, role: 'high-high' },
      ],
      wetWhenHigh: true,
      excitationPin: 19,
      reversePin: 20,
      sleep: async () => {},
    });
    await probes.open();
    const started = pi.chip.starts();
    for (let i = 0; i < 10; i++) await probes.sample();
    expect(pi.chip.starts()).toBe(started);
    // The excitation was driven for each sample and left off: the electrodes see no standing DC.
    expect(pi.chip.log().filter((l) => l === '19=1').length).toBeGreaterThanOrEqual(10);
    expect(pi.chip.line(19).high).toBe(false);
    await probes.close();
  });

  it('a line held by another program is refused, naming who holds it, with the fix', async () => {
    const pi = trixie();
    const backend = await lineServerBackend(pi);
    pi.chip.holdByOther(23, process.pid, 'kernel-led');
    const pump = new GpioOutput(backend, 23, false, 'pump');
    await expect(pump.open()).rejects.toThrow(
      /GPIO23 \(gpiochip0 line 23\): line 23 of gpiochip0: Device or resource busy \(used: 23 by "kernel-led"\): the line is held by another program or a kernel driver/,
    );
  });

  it('a server that died is replaced at the next call, and every open output is held again at its level', async () => {
    const pi = trixie();
    const backend = await lineServerBackend(pi);
    const valve = new GpioOutput(backend, 5, false, 'valve');
    const pump = new GpioOutput(backend, 7, false, 'pump');
    await valve.open();
    await pump.open();
    await pump.write(true);
    const inputs = await backend.openInputs([6], 'pull-up');
    const first = pi.chip.line(5).holder;
    process.kill(first, 'SIGKILL');
    await waitFor(() => !isAlive(first), EXIT_DEADLINE_MS, `line server ${first} to exit`);
    // A probe read is the next call: it starts the new server, which takes both outputs back at once.
    pi.chip.setInput(6, true);
    expect(await inputs.read()).toEqual([true]);
    const second = pi.chip.line(6).holder;
    expect(second).not.toBe(first);
    expect(pi.chip.line(5)).toMatchObject({ high: false, holder: second });
    expect(pi.chip.line(7)).toMatchObject({ high: true, holder: second });
    await valve.write(true);
    expect(pi.chip.line(5)).toMatchObject({ high: true, holder: second });
    expect(pi.chip.starts()).toBe(2);
    expect(pi.restarts).toEqual(['exited (SIGKILL)']); // the daemon logs it: gpio line server restarted
    expect(pi.chip.log()).toEqual(['7=1', '5=1']); // no glitch: each output came back at its own level
    await pump.close();
    await valve.close();
  });

  it('the server refuses what the kernel would and says so; it goes on serving', async () => {
    const pi = trixie();
    const server = await pi.startLineServer(join(pi.root, 'dev'));
    try {
      const input = await server.request('gpiochip0', [12], 'input', [], 'as-is');
      await expect(server.set(input, [true])).rejects.toThrow(/lines \[12\] of gpiochip0 are inputs/);
      await expect(server.get(9999, 1)).rejects.toThrow(/no line request 9999/);
      await expect(server.request('gpiochip0', [99], 'output', [false], 'as-is')).rejects.toThrow(
        /line 99 of gpiochip0: Invalid argument/,
      );
      await expect(server.request('gpiochip7', [1], 'input', [], 'as-is')).rejects.toThrow(/no .*gpiochip7/);
      expect(await server.get(input, 1)).toEqual([false]);
    } finally {
      await server.close();
    }
    expect(server.alive).toBe(false);
  });
});

describe('choosing between the line server and the gpiod tools', () => {
  it('auto without python3: the gpiod tools, and the reason says why not the server', async () => {
    const pi = trixie();
    process.env.FAKE_GPIOD_VERSION = '2.1.3';
    process.env.FAKE_GPIOD_STATE = join(pi.root, 'gpiod-state.json');
    const sel = await selectGpioBackend(
      { backend: 'chardev', chardevVia: 'auto' },
      {
        root: pi.root,
        startLineServer: (devDir) => LineServer.start({ devDir, python: '/nonexistent/python3' }),
        openTools: () => openGpiodTools(FAKE_TOOLS),
      },
    );
    expect(sel.reason).toMatch(
      /via gpiod tools v2\.1\.3 \(no line server: GPIO line server \(\/nonexistent\/python3 .*\): \/nonexistent\/python3 not found\)$/,
    );
  });

  it('auto on a kernel without the v2 interface (chip ioctls refused): the gpiod tools', async () => {
    // The "chip" is a plain file and no fake kernel is preloaded: every ioctl on it fails, as on a kernel
    // without the character device's interface.
    const root = mkdtempSync(join(tmpdir(), 'pi-old-'));
    mkdirSync(join(root, 'dev'));
    writeFileSync(join(root, 'dev', 'gpiochip0'), '');
    process.env.FAKE_GPIOD_VERSION = '1.6.3';
    process.env.FAKE_GPIOD_STATE = join(root, 'gpiod-state.json');
    const sel = await selectGpioBackend(
      { backend: 'chardev', chardevVia: 'auto' },
      {
        root,
        startLineServer: (devDir) => LineServer.start({ devDir, python: PYTHON }),
        openTools: () => openGpiodTools(FAKE_TOOLS),
      },
    );
    expect(sel.reason).toMatch(/via gpiod tools v1\.6\.3 \(no line server: .*gpiochip0: not a GPIO chip/);
  });

  it('line-server forced and python3 missing: the error names the interpreter', async () => {
    const pi = trixie();
    await expect(
      selectGpioBackend(
        { backend: 'chardev', chardevVia: 'line-server' },
        {
          root: pi.root,
          startLineServer: (devDir) => LineServer.start({ devDir, python: '/nonexistent/python3' }),
        },
      ),
    ).rejects.toThrow(/\/nonexistent\/python3 not found/);
  });
});
