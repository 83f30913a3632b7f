import { describe, expect, it } from 'vitest';
import { tankShape } from '../../../daemon/level/geometry.js';

describe('tank geometry', () => {
  it('vertical cylinder: litres proportional to height', () => {
    const s = tankShape({ shape: 'vertical-cylinder', diameterMm: 1400, heightMm: 1300 });
    expect(s.capacityLitres).toBeCloseTo(Math.PI * 0.7 ** 2 * 1.3 * 1000, 6);
    expect(s.litresAt(650)).toBeCloseTo(s.capacityLitres / 2, 6);
    expect(s.heightAt(s.litresAt(321))).toBeCloseTo(321, 6);
    expect(s.litresAt(-10)).toBe(0);
    expect(s.litresAt(5000)).toBeCloseTo(s.capacityLitres, 6);
  });

  it('rectangular', () => {
    const s = tankShape({ shape: 'rectangular', lengthMm: 2000, widthMm: 1000, heightMm: 1000 });
    expect(s.capacityLitres).toBeCloseTo(2000, 6);
    expect(s.litresAt(250)).toBeCloseTo(500, 6);
  });

  it('horizontal cylinder: half full at half height, non-linear elsewhere, invertible', () => {
    const s = tankShape({ shape: 'horizontal-cylinder', diameterMm: 1000, lengthMm: 2000 });
    expect(s.brimMm).toBe(1000);
    expect(s.capacityLitres).toBeCloseTo(Math.PI * 0.5 ** 2 * 2 * 1000, 4);
    expect(s.litresAt(500)).toBeCloseTo(s.capacityLitres / 2, 4);
    // A quarter of the height holds much less than a quarter of the volume (about 19.6%).
    expect(s.litresAt(250) / s.capacityLitres).toBeCloseTo(0.1955, 3);
    for (const h of [1, 100, 333, 500, 777, 999]) expect(s.heightAt(s.litresAt(h))).toBeCloseTo(h, 1);
  });

  it('calibration table: linear between points, implicit empty floor point', () => {
    const s = tankShape({
      shape: 'calibration-table',
      points: [
        { heightMm: 100, litres: 50 },
        { heightMm: 500, litres: 650 },
        { heightMm: 900, litres: 1000 },
      ],
    });
    expect(s.brimMm).toBe(900);
    expect(s.capacityLitres).toBe(1000);
    expect(s.litresAt(50)).toBeCloseTo(25, 6);
    expect(s.litresAt(300)).toBeCloseTo(350, 6);
    expect(s.heightAt(825)).toBeCloseTo(700, 6);
  });
});
