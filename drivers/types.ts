// The hardware boundary: the few small interfaces the daemon needs. Real drivers (GPIO, I2C, UART) and
// the simulated tank implement them; the daemon never knows which. Constructors do no IO: `open()`
// acquires the device (and puts outputs in their safe state), `close()` releases it safely.

import type { RawLevel } from '../daemon/level/estimator.js';

export type { RawLevel };

export interface Device {
  /** Human-readable identity for logs and `hw check` (e.g. "GPIO17 (sysfs 529)"). */
  readonly description: string;
  open(): Promise<void>;
  close(): Promise<void>;
}

/** An on/off output (relay, MOSFET). `on` means energized; polarity (active-low) is the driver's job. */
export interface DigitalOutput extends Device {
  write(on: boolean): Promise<void>;
  /** The last value written, or undefined before the first write. */
  readonly value: boolean | undefined;
}

export interface DigitalInput extends Device {
  read(): Promise<boolean>;
}

/** A level source: an ultrasonic ranger (distance down to the water) or a pressure transmitter (column). */
export interface LevelSensor extends Device {
  read(): Promise<RawLevel>;
}

export interface TemperatureSensor extends Device {
  /** Air temperature in °C, or undefined when it cannot be read. */
  readC(): Promise<number | undefined>;
}

/** Conduction electrodes: wet (true) or dry by electrode id; excitation is handled inside. */
export interface ProbeArray extends Device {
  sample(): Promise<Record<string, boolean>>;
}

/** Everything one tank needs from the hardware. */
export interface TankHardware {
  level: LevelSensor;
  airTemperature?: TemperatureSensor;
  probes?: ProbeArray;
  /** Fill valves by id, driven together. */
  valves: DigitalOutput[];
  pump?: DigitalOutput;
}

export function tankDevices(hw: TankHardware): Device[] {
  return [
    hw.level,
    ...(hw.airTemperature ? [hw.airTemperature] : []),
    ...(hw.probes ? [hw.probes] : []),
    ...hw.valves,
    ...(hw.pump ? [hw.pump] : []),
  ];
}
