import { describe, expect, it } from 'vitest';
import { ConductionProbeArray, type Electrode } from '../../drivers/probes/conduction.js';
import { WiredTankGpio } from '../fakes/wired-tank-gpio.js';

const electrodes: Electrode[] = [
  { id: 'bottom', heightMm: 80, pin: 17, role: 'dry-run' },
  { id: 'middle', heightMm: 650, pin: 27, role: 'level' },
  { id: 'top', heightMm: 1200, pin: 22, role: 'high-high' },
];

function rig(reverse: boolean) {
  const gpio = new WiredTankGpio(5, reverse ? 6 : undefined);
  for (const e of electrodes) gpio.electrodes.set(e.pin, e.heightMm);
  const faults: (readonly string[])[] = [];
  const probes = new ConductionProbeArray(gpio, {
    name: 'probes (house)',
    electrodes,
    wetWhenHigh: true,
    excitationPin: 5,
    reversePin: reverse ? 6 : undefined,
    sleep: gpio.sleep,
    onFaults: (f) => faults.push(f),
  });
  return { gpio, probes, faults };
}

describe('conduction probe array', () => {
  it.each([false, true])(
    'reads wet/dry by height (polarity reversal: %s) and leaves the excitation off',
    async (reverse) => {
      const { gpio, probes } = rig(reverse);
      await probes.open();
      gpio.levelMm = 700;
      expect(await probes.sample()).toEqual({ bottom: true, middle: true, top: false });
      expect(gpio.outputs.get(5)).toBe(false);
      if (reverse) expect(gpio.outputs.get(6)).toBe(false);
      expect(probes.faults).toEqual([]);
    },
  );

  it('excites only while sampling; with reversal the net DC through the water is zero', async () => {
    const plain = rig(false);
    await plain.probes.open();
    plain.gpio.levelMm = 700;
    await plain.probes.sample();
    expect(plain.gpio.excitedMs).toBeGreaterThan(0);
    expect(plain.gpio.chargeMs).toBe(plain.gpio.excitedMs); // one direction only: why reversal exists

    const reversed = rig(true);
    await reversed.probes.open();
    reversed.gpio.levelMm = 700;
    await reversed.probes.sample();
    expect(reversed.gpio.excitedMs).toBeGreaterThan(0);
    expect(reversed.gpio.chargeMs).toBe(0);
  });

  it('a cut wire below the water reads dry under a wet electrode: a fault, and the raw (safe) states', async () => {
    const { gpio, probes, faults } = rig(false);
    await probes.open();
    gpio.levelMm = 1250;
    gpio.cut.add(27);
    expect(await probes.sample()).toEqual({ bottom: true, middle: false, top: true });
    expect(probes.faults).toEqual([
      'electrode "middle" dry below wet electrode "top": wire cut, fouled or scaled electrode',
    ]);
    gpio.cut.delete(27);
    await probes.sample();
    expect(faults).toEqual([
      ['electrode "middle" dry below wet electrode "top": wire cut, fouled or scaled electrode'],
      [], // recovered: reported once each way
    ]);
  });

  it('an input shorted high reads wet with no excitation: the high-high electrode reports wet (valve closes)', async () => {
    const { gpio, probes } = rig(false);
    await probes.open();
    gpio.levelMm = 300;
    gpio.stuckHigh.add(22);
    const r = await probes.sample();
    expect(r.top).toBe(true);
    expect(probes.faults).toContain(
      'electrode "top" reads wet with the excitation off: input shorted to a supply or leaking',
    );
  });

  it('a dry-run electrode with a fault reports dry (pump stops); a level electrode is left out', async () => {
    const { gpio, probes } = rig(true);
    await probes.open();
    gpio.levelMm = 700;
    gpio.stuckHigh.add(17);
    gpio.stuckHigh.add(27);
    const r = await probes.sample();
    expect(r).toEqual({ bottom: false, top: false });
    expect(probes.faults).toHaveLength(2);
  });

  it('close leaves the drive pins at rest and releases them', async () => {
    const { gpio, probes } = rig(true);
    await probes.open();
    await probes.close();
    expect(gpio.outputs.size).toBe(0);
  });
});
