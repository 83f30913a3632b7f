// When a level reading may steer control, one definition for the controller and the command path.

import type { LevelReading } from '../level/estimator.js';

/**
 * A level is usable when the sensor reads ok or merely noisy, or when the probes read drier than the
 * level sensor (it may read high: refilling then stops earlier, never later). Stale, starting, and
 * probes wetter than the level sensor (overfill risk) are not.
 */
export function levelUsable(
  level: LevelReading,
): level is LevelReading & { levelPct: number; litres: number } {
  return (
    level.levelPct !== undefined &&
    level.litres !== undefined &&
    (level.quality === 'ok' || level.quality === 'noisy' || level.disagreement?.kind === 'probe-drier')
  );
}

/** The level sensor reads ok or noisy: no disagreement with the probes in either direction. */
export function levelAgreesWithProbes(level: LevelReading): level is LevelReading & { levelPct: number } {
  return level.levelPct !== undefined && (level.quality === 'ok' || level.quality === 'noisy');
}
