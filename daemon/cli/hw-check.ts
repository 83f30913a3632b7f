// `smart-tank hw check [--config FILE] [--actuate] [--yes]`: opens every configured device, reads each
// once and prints a table (device, backend, bus/pin, result, reading, hint). Exit 0 when every required
// device answered, 1 when one is missing or failed, 2 on bad usage. With --actuate, after a confirmation,
// each output is switched on for a moment so the installer hears every relay click; outputs are always
// left off, whatever happens.

import { createInterface } from 'node:readline/promises';
import { parseCommand } from './args.js';
import { loadConfigFile } from '../config/load.js';
import { resolvePinProfile } from '../config/hardware-checks.js';
import type { Config, TankConfig } from '../config/schema.js';
import { SystemClock } from '../clock.js';
import { buildHardware } from '../hardware.js';
import { silentLogger } from '../log.js';
import type { PiEnvironment } from '../../drivers/pi/build.js';
import { ConductionProbeArray } from '../../drivers/probes/conduction.js';
import { Sht3x } from '../../drivers/i2c/sht3x.js';
import type { Device, DigitalOutput, TankHardware } from '../../drivers/types.js';
import { DEFAULT_CONFIG_FILE, type CliIo } from './io.js';

/** Long enough to hear a relay and see its LED, too short for a valve to pass much water. */
export const PULSE_MS = 500;

export const HW_CHECK_USAGE = `usage: smart-tank hw check [--config FILE] [--actuate] [--yes]

Opens and reads every configured device once and prints a table; exit 1 when a required device is
missing or failed.
  --config FILE  gateway config (default ${DEFAULT_CONFIG_FILE})
  --actuate      after a confirmation, switch each valve and pump on for ${PULSE_MS / 1000} s (hear each relay click)
  --yes          do not ask for the confirmation (scripts)`;

export interface HwCheckDeps {
  /** For the pi backend: fakes of the buses, ports and GPIO (tests). */
  pi?: PiEnvironment;
  /** Asks the installer; default: a y/N question on the terminal. */
  confirm?: (question: string) => Promise<boolean>;
  pulseMs?: number;
}

interface Row {
  device: string;
  backend: string;
  where: string;
  result: 'ok' | 'FAIL' | 'warn';
  reading: string;
  hint: string;
}

interface Item {
  device: string;
  backend: string;
  where: string;
  target: Device;
  /** An optional device that fails is a warning, not a failure. */
  optional?: boolean;
  probe: () => Promise<{ ok: boolean; reading: string; hint?: string }>;
}

export async function hwCheckCommand(argv: string[], io: CliIo, deps: HwCheckDeps = {}): Promise<number> {
  const parsed = parseCommand(argv, {
    usage: HW_CHECK_USAGE,
    options: {
      config: { type: 'string', default: DEFAULT_CONFIG_FILE },
      actuate: { type: 'boolean', default: false },
      yes: { type: 'boolean', default: false },
    },
  });
  if (parsed.help) {
    io.out(HW_CHECK_USAGE);
    return 0;
  }
  const values = parsed.values;
  const config = await loadConfigFile(values.config);
  const rows: Row[] = [];
  const pi = config.hardware.backend === 'pi';

  let built;
  try {
    built = await buildHardware(config, new SystemClock('assume-synced'), silentLogger, deps.pi);
  } catch (err) {
    rows.push({
      device: 'gpio',
      backend: config.hardware.gpio.backend,
      where: '-',
      result: 'FAIL',
      reading: '',
      hint: (err as Error).message,
    });
    printTable(io, rows);
    return 1;
  }
  if (built.gpio) io.out(`GPIO backend: ${built.gpio.backend} (${built.gpio.reason})`);
  else io.out('GPIO backend: simulated (hardware.backend: sim)');

  const gpioKind = pi ? (built.gpio?.backend ?? '?') : 'sim';
  const items = config.tanks.flatMap((tank) => itemsFor(config, tank, built.tanks[tank.id]!, gpioKind, pi));
  const opened: Item[] = [];
  try {
    for (const item of items) {
      const row: Row = {
        device: item.device,
        backend: item.backend,
        where: item.where,
        result: 'ok',
        reading: '',
        hint: '',
      };
      rows.push(row);
      try {
        await item.target.open();
        opened.push(item);
        const r = await item.probe();
        row.reading = r.reading;
        row.hint = r.hint ?? '';
        if (!r.ok) row.result = item.optional ? 'warn' : 'FAIL';
      } catch (err) {
        row.result = item.optional ? 'warn' : 'FAIL';
        row.hint = (err as Error).message;
      }
    }
    if (values.actuate) {
      const outputs = opened.filter((i) => isOutput(i.target));
      const question =
        `About to switch ${outputs.length} output(s) on for ${(deps.pulseMs ?? PULSE_MS) / 1000} s each: ` +
        `valves will open and pumps will run. Continue? [y/N] `;
      const confirm = deps.confirm ?? terminalConfirm;
      if (!values.yes && !(await confirm(question))) {
        io.err('not actuating: not confirmed (use --yes when not on a terminal)');
      } else {
        for (const item of outputs) {
          const row = rows.find((r) => r.device === item.device)!;
          const out = item.target as DigitalOutput;
          try {
            await out.write(true);
            await new Promise((r) => setTimeout(r, deps.pulseMs ?? PULSE_MS));
            await out.write(false);
            row.reading = `pulsed ${(deps.pulseMs ?? PULSE_MS) / 1000} s, off`;
          } catch (err) {
            row.result = 'FAIL';
            row.hint = `pulse failed: ${(err as Error).message}`;
            await out.write(false).catch(() => {});
          }
        }
      }
    }
  } finally {
    // Outputs off and every line, bus and port released, whatever happened above.
    for (const item of opened.reverse()) {
      try {
        if (isOutput(item.target)) await item.target.write(false);
        await item.target.close();
      } catch (err) {
        const row = rows.find((r) => r.device === item.device);
        if (row) {
          row.result = 'FAIL';
          row.hint = `close failed: ${(err as Error).message}`;
        }
      }
    }
  }
  printTable(io, rows);
  const failed = rows.filter((r) => r.result === 'FAIL').length;
  io.out(failed === 0 ? 'all required devices answered' : `${failed} required device(s) missing or failed`);
  return failed === 0 ? 0 : 1;
}

function isOutput(d: Device): d is DigitalOutput {
  return 'write' in d;
}

function itemsFor(config: Config, tank: TankConfig, hw: TankHardware, gpioKind: string, pi: boolean): Item[] {
  const items: Item[] = [];
  const name = (what: string) => `${tank.id}/${what}`;
  const us = tank.level.ultrasonic;
  const dev = us?.device ?? tank.level.pressure?.device;
  const levelWhere =
    !pi || !dev ? 'simulated' : 'port' in dev ? dev.port : `i2c-${dev.bus} 0x${hex(dev.address)}`;
  items.push({
    device: name(tank.level.pressure ? 'level (pressure)' : 'level (ultrasonic)'),
    backend: pi && dev ? `${dev.driver} (${'port' in dev ? 'serialport' : 'i2c-bus'})` : 'sim',
    where: levelWhere + (dev?.driver === 'ads1115' ? ` AIN${dev.channel}` : ''),
    target: hw.level,
    probe: async () => {
      const r = await hw.level.read();
      if (!r.ok) return { ok: false, reading: '', hint: r.error };
      return {
        ok: true,
        reading: 'distanceMm' in r ? `${r.distanceMm} mm to water` : `${Math.round(r.columnMm)} mm of water`,
      };
    },
  });
  if (hw.airTemperature) {
    const t = us?.airTemperature;
    const sensor = hw.airTemperature;
    items.push({
      device: name('air temperature'),
      backend: pi && t ? 'sht3x (i2c-bus)' : 'sim',
      where: pi && t ? `i2c-${t.bus} 0x${hex(t.address)}` : 'simulated',
      target: sensor,
      optional: true,
      probe: async () => {
        const c = await sensor.readC();
        if (c === undefined) {
          const why = sensor instanceof Sht3x ? sensor.lastError : undefined;
          return {
            ok: false,
            reading: '',
            hint: `${why ?? 'no reading'}; the assumed temperature is used instead`,
          };
        }
        return { ok: true, reading: `${c.toFixed(1)} °C` };
      },
    });
  }
  if (hw.probes && tank.probes) {
    const p = tank.probes;
    const probes = hw.probes;
    const pins = p.electrodes.map((e) => `${e.id}:${e.pin}`).join(' ');
    items.push({
      device: name('probes'),
      backend: gpioKind,
      where: `GPIO ${pins}${p.excitationPin !== undefined ? ` exc:${p.excitationPin}` : ''}${p.reversePin !== undefined ? ` rev:${p.reversePin}` : ''}`,
      target: probes,
      probe: async () => {
        const wet = await probes.sample();
        const reading = p.electrodes
          .map((e) => `${e.id}=${wet[e.id] === undefined ? '?' : wet[e.id] ? 'wet' : 'dry'}`)
          .join(' ');
        const faults = probes instanceof ConductionProbeArray ? probes.faults : [];
        return { ok: faults.length === 0, reading, hint: faults.join('; ') };
      },
    });
  }
  let profile: ReturnType<typeof resolvePinProfile>;
  try {
    profile = resolvePinProfile(config);
  } catch {
    profile = undefined; // the config check already refused it; the table shows plain pins
  }
  const outputWhere = (pin: number, activeLow: boolean) => {
    const relay = profile?.relays.find((r) => r.pin === pin);
    return `GPIO${pin}${relay ? ` (${profile!.name} ${relay.channel})` : ''}${activeLow ? ' active-low' : ''}`;
  };
  tank.valves.forEach((v, i) =>
    items.push(outputItem(name(`valve ${v.id}`), gpioKind, outputWhere(v.pin, v.activeLow), hw.valves[i]!)),
  );
  if (hw.pump && tank.pump)
    items.push(outputItem(name('pump'), gpioKind, outputWhere(tank.pump.pin, tank.pump.activeLow), hw.pump));
  return items;
}

function outputItem(device: string, backend: string, where: string, out: DigitalOutput): Item {
  return {
    device,
    backend,
    where,
    target: out,
    probe: async () => ({
      ok: true,
      reading: out.value === false ? 'off' : `unexpected state ${String(out.value)}`,
    }),
  };
}

function hex(n: number): string {
  return n.toString(16).padStart(2, '0');
}

function printTable(io: CliIo, rows: Row[]): void {
  const header: Row = {
    device: 'DEVICE',
    backend: 'BACKEND',
    where: 'BUS/PIN',
    result: 'RESULT' as Row['result'],
    reading: 'READING',
    hint: 'HINT',
  };
  const all = [header, ...rows];
  const cols: (keyof Row)[] = ['device', 'backend', 'where', 'result', 'reading', 'hint'];
  const width = Object.fromEntries(cols.map((c) => [c, Math.max(...all.map((r) => r[c].length))])) as Record<
    keyof Row,
    number
  >;
  for (const r of all)
    io.out(
      cols
        .map((c, i) => (i === cols.length - 1 ? r[c] : r[c].padEnd(width[c])))
        .join('  ')
        .trimEnd(),
    );
}

async function terminalConfirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}
