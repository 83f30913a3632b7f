// Tank geometry: water height <-> litres. Level percent is of capacity by volume (the source paper's
// "15% of tank capacity"), which differs from percent of height for horizontal and irregular tanks.

import type { Geometry } from '../config/schema.js';

export interface TankShape {
  /** Floor to overflow brim. */
  readonly brimMm: number;
  /** Litres held when full to the brim. */
  readonly capacityLitres: number;
  litresAt(heightMm: number): number;
  heightAt(litres: number): number;
}

const MM3_PER_LITRE = 1e6;

export function tankShape(geometry: Geometry): TankShape {
  switch (geometry.shape) {
    case 'vertical-cylinder': {
      const areaMm2 = Math.PI * (geometry.diameterMm / 2) ** 2;
      return prism(areaMm2, geometry.heightMm);
    }
    case 'rectangular':
      return prism(geometry.lengthMm * geometry.widthMm, geometry.heightMm);
    case 'horizontal-cylinder':
      return horizontalCylinder(geometry.diameterMm / 2, geometry.lengthMm);
    case 'calibration-table':
      return table(geometry.points);
  }
}

function prism(areaMm2: number, brimMm: number): TankShape {
  return {
    brimMm,
    capacityLitres: (areaMm2 * brimMm) / MM3_PER_LITRE,
    litresAt: (h) => (areaMm2 * clamp(h, 0, brimMm)) / MM3_PER_LITRE,
    heightAt: (litres) => clamp((litres * MM3_PER_LITRE) / areaMm2, 0, brimMm),
  };
}

function horizontalCylinder(radiusMm: number, lengthMm: number): TankShape {
  const brimMm = 2 * radiusMm;
  // Area of the circular segment below the water line.
  const litresAt = (h: number) => {
    const d = clamp(h, 0, brimMm);
    const segment =
      radiusMm ** 2 * Math.acos((radiusMm - d) / radiusMm) -
      (radiusMm - d) * Math.sqrt(2 * radiusMm * d - d * d);
    return (segment * lengthMm) / MM3_PER_LITRE;
  };
  const capacityLitres = litresAt(brimMm);
  return {
    brimMm,
    capacityLitres,
    litresAt,
    heightAt: (litres) => invertMonotonic(litresAt, clamp(litres, 0, capacityLitres), 0, brimMm),
  };
}

interface Point {
  heightMm: number;
  litres: number;
}

function table(points: readonly Point[]): TankShape {
  // An implicit empty point at the floor when the installer's table starts above it.
  const pts: Point[] =
    points[0] && points[0].heightMm > 0 ? [{ heightMm: 0, litres: 0 }, ...points] : [...points];
  const last = pts[pts.length - 1]!;
  const interpolate = (x: number, key: keyof Point, other: keyof Point) => {
    if (x <= pts[0]![key]) return pts[0]![other];
    for (let i = 1; i < pts.length; i++) {
      const a = pts[i - 1]!;
      const b = pts[i]!;
      if (x <= b[key]) return a[other] + ((x - a[key]) / (b[key] - a[key])) * (b[other] - a[other]);
    }
    return last[other];
  };
  return {
    brimMm: last.heightMm,
    capacityLitres: last.litres,
    litresAt: (h) => interpolate(h, 'heightMm', 'litres'),
    heightAt: (litres) => interpolate(litres, 'litres', 'heightMm'),
  };
}

/** Bisection on a monotonically increasing function; 0.01 mm is far below any sensor's resolution. */
function invertMonotonic(f: (x: number) => number, target: number, lo: number, hi: number): number {
  while (hi - lo > 0.01) {
    const mid = (lo + hi) / 2;
    if (f(mid) < target) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

export function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

export function percentOf(shape: TankShape, litres: number): number {
  return (litres / shape.capacityLitres) * 100;
}

export function litresAtPercent(shape: TankShape, pct: number): number {
  return (pct / 100) * shape.capacityLitres;
}
