// Conduction probe array: electrodes at known heights, each read through a GPIO input; water between an
// electrode and the common (excitation) electrode pulls the input to the wet level.
//
// - The excitation pin is driven only while sampling: DC through water corrodes the electrodes.
// - With a reversal pin (the sense inputs' pull resistors go to it instead of ground), each sample is
//   taken twice with the current one way then the other, for equal times: no net DC.
// - Faults are detected where the physics allows: an input that reads wet with the excitation off
//   (shorted to 3.3 V, a leakage path), an input that reads the same with both polarities (stuck), and a
//   dry electrode below a wet one (wire cut, fouled or scaled electrode). A faulted safety electrode
//   reports its safe state (high-high wet: the fill valve closes; dry-run dry: the pump stops).

import type { ProbeArray } from '../types.js';
import { debouncedRead } from '../gpio/input.js';
import { realSleep, type Sleep } from '../timing.js';
import type { Bias, GpioBackend, InputLines, OutputLine } from '../gpio/types.js';

/** Time for the electrode circuit to settle after switching the excitation (cable capacitance x pull resistor). */
export const EXCITATION_SETTLE_MS = 5;

export interface Electrode {
  id: string;
  heightMm: number;
  pin: number;
  role: 'dry-run' | 'high-high' | 'level';
}

export interface ConductionProbeOptions {
  name: string;
  electrodes: readonly Electrode[];
  /** The level a wet electrode reads while excited (true: high). */
  wetWhenHigh: boolean;
  excitationPin?: number;
  reversePin?: number;
  sleep?: Sleep;
  /** Called when the set of faults changes (empty: recovered). */
  onFaults?: (faults: readonly string[]) => void;
}

export class ConductionProbeArray implements ProbeArray {
  private inputs: InputLines | undefined;
  private excitation: OutputLine | undefined;
  private reverse: OutputLine | undefined;
  private faultList: string[] = [];

  constructor(
    private readonly gpio: GpioBackend,
    private readonly options: ConductionProbeOptions,
  ) {}

  get description(): string {
    const o = this.options;
    const pins = o.electrodes.map((e) => `${e.id} GPIO${e.pin}`).join(', ');
    const exc = o.excitationPin !== undefined ? `, excitation GPIO${o.excitationPin}` : '';
    const rev = o.reversePin !== undefined ? `, reversal GPIO${o.reversePin}` : '';
    return `${o.name} (${pins}${exc}${rev}; ${this.gpio.kind})`;
  }

  /** Faults found by the last sample, in words for the log and `hw check`. */
  get faults(): readonly string[] {
    return this.faultList;
  }

  /** The level that means wet while excited; the rest level of every drive pin is the other one. */
  private get wetLevel(): boolean {
    return this.options.wetWhenHigh;
  }

  async open(): Promise<void> {
    const o = this.options;
    const rest = !this.wetLevel;
    try {
      if (o.excitationPin !== undefined) this.excitation = await this.gpio.openOutput(o.excitationPin, rest);
      if (o.reversePin !== undefined) this.reverse = await this.gpio.openOutput(o.reversePin, rest);
      // Pull towards dry, so a cut wire or a floating input reads dry rather than wet.
      const bias: Bias = o.reversePin !== undefined ? 'disabled' : this.wetLevel ? 'pull-down' : 'pull-up';
      this.inputs = await this.gpio.openInputs(
        o.electrodes.map((e) => e.pin),
        bias,
      );
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  async sample(): Promise<Record<string, boolean>> {
    const inputs = this.inputs;
    if (!inputs) throw new Error(`${this.description}: not open`);
    const o = this.options;
    const sleep = o.sleep ?? realSleep;
    const wet = this.wetLevel;
    const faults = new Map<string, string>();
    const result: Record<string, boolean> = {};

    let phaseA: boolean[];
    if (this.excitation) {
      // Nothing drives the electrodes now: any input at the wet level is shorted or leaking.
      const baseline = await debouncedRead(inputs, sleep);
      baseline.forEach((level, i) => {
        if (level === wet)
          faults.set(
            o.electrodes[i]!.id,
            'reads wet with the excitation off: input shorted to a supply or leaking',
          );
      });
      phaseA = await this.excited(this.excitation, inputs, sleep);
    } else {
      phaseA = await debouncedRead(inputs, sleep);
    }
    const wetA = phaseA.map((level) => level === wet);

    if (this.reverse && this.excitation) {
      // Current the other way: the pulls now go to the wet level, the common electrode to the dry level;
      // a wet electrode follows the common electrode, so it reads the dry level.
      const phaseB = await this.excited(this.reverse, inputs, sleep);
      phaseB.forEach((level, i) => {
        const id = o.electrodes[i]!.id;
        if ((level !== wet) !== wetA[i] && !faults.has(id))
          faults.set(
            id,
            'reads the same with the polarity reversed: input stuck or its pull resistor missing',
          );
      });
    }

    o.electrodes.forEach((e, i) => (result[e.id] = wetA[i]!));
    // Water cannot stand above a dry electrode and below a wet one at the same time.
    const byHeight = [...o.electrodes].sort((a, b) => a.heightMm - b.heightMm);
    byHeight.forEach((low, i) => {
      if (result[low.id] || faults.has(low.id)) return;
      const wetAbove = byHeight.slice(i + 1).find((high) => high.heightMm > low.heightMm && result[high.id]);
      if (wetAbove)
        faults.set(low.id, `dry below wet electrode "${wetAbove.id}": wire cut, fouled or scaled electrode`);
    });
    for (const e of o.electrodes) {
      const fault = faults.get(e.id);
      if (!fault || /^dry below/.test(fault)) continue; // ordering faults: the raw states are already the safe ones
      if (e.role === 'high-high') result[e.id] = true;
      else if (e.role === 'dry-run') result[e.id] = false;
      else delete result[e.id];
    }
    this.setFaults([...faults].map(([id, why]) => `electrode "${id}" ${why}`));
    return result;
  }

  /** Drives `pin` to the excitation level, reads, and always returns it to rest. */
  private async excited(pin: OutputLine, inputs: InputLines, sleep: Sleep): Promise<boolean[]> {
    await pin.set(this.wetLevel);
    try {
      await sleep(EXCITATION_SETTLE_MS);
      return await debouncedRead(inputs, sleep);
    } finally {
      await pin.set(!this.wetLevel);
    }
  }

  private setFaults(faults: string[]): void {
    const changed = faults.join('\n') !== this.faultList.join('\n');
    this.faultList = faults;
    if (changed) this.options.onFaults?.(faults);
  }

  async close(): Promise<void> {
    const rest = !this.wetLevel;
    const errors: unknown[] = [];
    for (const out of [this.excitation, this.reverse]) {
      if (!out) continue;
      try {
        await out.set(rest);
      } catch (err) {
        errors.push(err);
      }
      await out.release().catch((err: unknown) => errors.push(err));
    }
    await this.inputs?.release().catch((err: unknown) => errors.push(err));
    this.excitation = this.reverse = this.inputs = undefined;
    if (errors.length > 0) throw errors[0];
  }
}
