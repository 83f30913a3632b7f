import { describe, expect, it } from 'vitest';
import { Ads1115PressureSensor } from '../../../drivers/i2c/ads1115.js';
import { I2cBusPool } from '../../../drivers/i2c/bus.js';
import { I2C_TRANSFER_TIMEOUT_MS } from '../../../drivers/i2c/device.js';
import { MaxbotixI2cxl } from '../../../drivers/i2c/maxbotix-i2cxl.js';
import { Sht3x } from '../../../drivers/i2c/sht3x.js';
import { Urm09 } from '../../../drivers/i2c/urm09.js';
import {
  errno,
  FakeAds1115,
  FakeI2cBus,
  FakeMaxbotix,
  FakeSht3x,
  FakeTime,
  FakeUrm09,
} from '../../fakes/i2c-chips.js';

function setup() {
  const time = new FakeTime();
  const bus = new FakeI2cBus();
  const opened: number[] = [];
  const pool = new I2cBusPool(async (n) => {
    opened.push(n);
    return bus;
  });
  const at = (address: number) => ({ pool, busNumber: 1, address, sleep: time.sleep });
  return { time, bus, pool, at, opened };
}

describe('MaxBotix I2CXL-MaxSonar-WR', () => {
  it('commands a range, waits out the ranging (the chip NAKs meanwhile) and reads centimetres', async () => {
    const { time, bus, at } = setup();
    const chip = new FakeMaxbotix(time, 80);
    chip.targetCm = 153;
    bus.chips.set(0x70, chip);
    const sensor = new MaxbotixI2cxl(at(0x70));
    await sensor.open();
    expect(await sensor.read()).toEqual({ ok: true, distanceMm: 1530 });
    expect(chip.ranges).toBe(1); // waited long enough: no NAK, no retry
  });

  it('a chip that ranges slower than the wait NAKs; bounded retries, then a reading quality', async () => {
    const { time, bus, at } = setup();
    const slow = new FakeMaxbotix(time, 500);
    bus.chips.set(0x70, slow);
    const sensor = new MaxbotixI2cxl(at(0x70));
    await sensor.open();
    const r = await sensor.read();
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatch(/I2C bus 1 address 0x70: no answer at 0x70 \(NAK\)/);
    expect(slow.ranges).toBe(1); // every retry hit the busy chip: 3 attempts, all NAKed after the first command
  });

  it('a missing chip (nothing at the address) is a failed reading naming the wiring, never a throw', async () => {
    const { at } = setup();
    const sensor = new MaxbotixI2cxl(at(0x70));
    await sensor.open();
    const r = await sensor.read();
    expect(r).toEqual({
      ok: false,
      error: expect.stringMatching(/NAK\): check power, SDA\/SCL wiring and the address/),
    });
  });

  it('765 cm is "no echo", not a level', async () => {
    const { time, bus, at } = setup();
    const chip = new FakeMaxbotix(time);
    chip.targetCm = 765;
    bus.chips.set(0x70, chip);
    const sensor = new MaxbotixI2cxl(at(0x70));
    await sensor.open();
    expect(await sensor.read()).toEqual({ ok: false, error: expect.stringMatching(/no echo \(765 cm\)/) });
    expect(chip.ranges).toBe(1); // an answer, not a bus error: no retry
  });

  it('a stuck bus gives a failed reading within the transfer timeout', async () => {
    const { time, bus, at } = setup();
    bus.chips.set(0x70, new FakeMaxbotix(time));
    bus.stuck = true;
    const sensor = new MaxbotixI2cxl(at(0x70));
    await sensor.open();
    const started = Date.now();
    const r = await sensor.read();
    expect(Date.now() - started).toBeLessThan(I2C_TRANSFER_TIMEOUT_MS + 1000);
    expect(r).toEqual({ ok: false, error: expect.stringMatching(/no answer within 1500 ms: bus stuck/) });
    expect(bus.transfers).toBe(1); // no retries into a hung bus
  });
});

describe('DFRobot URM09', () => {
  it('checks its identity, sets passive mode and range, and reads after the measurement time', async () => {
    const { time, bus, at } = setup();
    const chip = new FakeUrm09(time, 0x11, 40);
    chip.targetCm = 87;
    bus.chips.set(0x11, chip);
    const sensor = new Urm09(at(0x11), 500);
    await sensor.open();
    expect(await sensor.read()).toEqual({ ok: true, distanceMm: 870 });
    expect(chip.regs[7]).toBe(0x20); // passive, 500 cm
    expect(sensor.temperatureC).toBe(23.4);
    chip.targetCm = 91;
    expect(await sensor.read()).toEqual({ ok: true, distanceMm: 910 }); // a fresh measurement, not the old one
  });

  it('a chip whose measurement is slower than the wait would give the stale value: the driver waits enough', async () => {
    const { time, bus, at } = setup();
    const chip = new FakeUrm09(time, 0x11, 90);
    bus.chips.set(0x11, chip);
    const sensor = new Urm09(at(0x11), 500);
    await sensor.open();
    chip.targetCm = 200;
    expect(await sensor.read()).toEqual({ ok: true, distanceMm: 2000 });
  });

  it('names a different chip at its address instead of misreading it', async () => {
    const { time, bus, at } = setup();
    bus.chips.set(0x11, new FakeUrm09(time, 0x22));
    const sensor = new Urm09(at(0x11), 300);
    await sensor.open();
    expect(await sensor.read()).toEqual({
      ok: false,
      error: expect.stringMatching(/not a URM09: register 0 reads 0x22/),
    });
  });

  it('no echo (distance 0 or beyond the set range) is a failed reading', async () => {
    const { time, bus, at } = setup();
    const chip = new FakeUrm09(time);
    chip.targetCm = 0;
    bus.chips.set(0x11, chip);
    const sensor = new Urm09(at(0x11), 150);
    await sensor.open();
    expect(await sensor.read()).toEqual({
      ok: false,
      error: expect.stringMatching(/no echo or out of range \(0 cm\)/),
    });
  });
});

describe('ADS1115 with a pressure transmitter', () => {
  const transmitter = {
    channel: 1,
    input: '4-20mA' as const,
    shuntOhms: 150,
    dividerRatio: 1,
    samples: 3,
    fullScaleMm: 5000,
  };

  it('turns a 12 mA loop on 150 ohm (1.8 V on AIN1) into half of full scale', async () => {
    const { time, bus, at } = setup();
    const adc = new FakeAds1115(time);
    adc.inputs[1] = 0.012 * 150;
    bus.chips.set(0x48, adc);
    const sensor = new Ads1115PressureSensor(at(0x48), transmitter);
    await sensor.open();
    const r = await sensor.read();
    expect(r.ok && 'columnMm' in r && Math.round(r.columnMm)).toBe(2500);
    expect(adc.conversions).toBe(3);
  });

  it('a cut loop (0 mA) and a short (25 mA) are faults, not levels', async () => {
    const { time, bus, at } = setup();
    const adc = new FakeAds1115(time);
    bus.chips.set(0x48, adc);
    const sensor = new Ads1115PressureSensor(at(0x48), transmitter);
    await sensor.open();
    expect(await sensor.read()).toEqual({
      ok: false,
      error: expect.stringMatching(/0\.00 mA: wire cut or transmitter unpowered/),
    });
    adc.inputs[1] = 0.025 * 150;
    expect(await sensor.read()).toEqual({
      ok: false,
      error: expect.stringMatching(/25\.00 mA: short circuit/),
    });
  });

  it('0-5 V through a divider', async () => {
    const { time, bus, at } = setup();
    const adc = new FakeAds1115(time);
    adc.inputs[0] = 2.5 * (2 / 3);
    bus.chips.set(0x49, adc);
    const sensor = new Ads1115PressureSensor(at(0x49), {
      ...transmitter,
      channel: 0,
      input: '0-5V',
      dividerRatio: 2 / 3,
    });
    await sensor.open();
    const r = await sensor.read();
    expect(r.ok && 'columnMm' in r && Math.round(r.columnMm)).toBe(2500);
  });

  it('the bus is opened once for the chips that share it and closed after the last one', async () => {
    const { time, bus, at, opened } = setup();
    bus.chips.set(0x48, new FakeAds1115(time));
    bus.chips.set(0x70, new FakeMaxbotix(time));
    const a = new Ads1115PressureSensor(at(0x48), transmitter);
    const b = new MaxbotixI2cxl(at(0x70));
    await a.open();
    await b.open();
    expect(opened).toEqual([1]);
    await a.close();
    expect(bus.closed).toBe(false);
    await b.close();
    expect(bus.closed).toBe(true);
  });
});

describe('SHT3x air temperature', () => {
  it('reads a CRC-checked temperature after the measurement time', async () => {
    const { time, bus, at } = setup();
    const chip = new FakeSht3x(time);
    chip.temperatureC = 31.2;
    bus.chips.set(0x44, chip);
    const sensor = new Sht3x(at(0x44));
    await sensor.open();
    expect(await sensor.readC()).toBe(31.2);
  });

  it('a wrong checksum is no reading (undefined) with the reason kept, never a throw', async () => {
    const { time, bus, at } = setup();
    const chip = new FakeSht3x(time);
    chip.corruptCrc = true;
    bus.chips.set(0x44, chip);
    const sensor = new Sht3x(at(0x44));
    await sensor.open();
    expect(await sensor.readC()).toBeUndefined();
    expect(sensor.lastError).toMatch(/checksum mismatch/);
    chip.corruptCrc = false;
    expect(await sensor.readC()).toBe(21.5);
    expect(sensor.lastError).toBeUndefined();
  });

  it('the bus failing to open (no /dev/i2c-1) names the config.txt fix', async () => {
    const pool = new I2cBusPool(async () => {
      throw errno('ENOENT', "ENOENT: no such file or directory, open '/dev/i2c-1'");
    });
    const sensor = new Sht3x({ pool, busNumber: 1, address: 0x44, sleep: async () => {} });
    await expect(sensor.open()).rejects.toThrow(/I2C bus 1: no such bus: enable I2C \(dtparam=i2c_arm=on/);
  });
});
