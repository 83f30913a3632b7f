// Values that are valid but probably wrong (a unit mistake, a typo in a digit): `config check` prints
// them as warnings and the daemon logs them at start; they do not stop it.

import { tankShape } from '../level/geometry.js';
import type { ConfigProblem } from './load.js';
import type { Config } from './schema.js';

/** A farm or household tank holds between these (a 50 L drum, a 5,000 m³ reservoir). */
const PLAUSIBLE_LITRES = { min: 50, max: 5_000_000 };
/** A tank dimension under this is almost surely metres or centimetres written for millimetres. */
const MIN_PLAUSIBLE_MM = 100;

export function configWarnings(config: Config): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  config.tanks.forEach((tank, i) => {
    const at = (...rest: string[]) => ['tanks', `[${i}]`, ...rest].join('.').replace('.[', '[');
    const g = tank.geometry as Record<string, unknown>;
    for (const key of ['diameterMm', 'heightMm', 'lengthMm', 'widthMm']) {
      const v = g[key];
      if (typeof v === 'number' && v < MIN_PLAUSIBLE_MM)
        out.push({
          path: at('geometry', key),
          message: `${v} mm is very small for a tank: values are in millimetres (${v} m would be ${v * 1000})`,
        });
    }
    const litres = tankShape(tank.geometry).capacityLitres;
    if (litres < PLAUSIBLE_LITRES.min || litres > PLAUSIBLE_LITRES.max)
      out.push({
        path: at('geometry'),
        message: `the tank holds ${Math.round(litres).toLocaleString('en')} L: outside ${PLAUSIBLE_LITRES.min} L to ${PLAUSIBLE_LITRES.max / 1000} m³ (check the units: millimetres)`,
      });
    for (const key of ['lowPct', 'highPct', 'criticalPct'] as const) {
      const v = tank.control[key];
      if (v > 0 && v < 1)
        out.push({
          path: at('control', key),
          message: `${v} is ${v}%: percent keys take 15 for 15 % (a ratio written for a percent?)`,
        });
    }
  });
  return out;
}
