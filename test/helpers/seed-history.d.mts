// Types of seed-history.mjs (plain JavaScript so that the bench runs with bare node).

import type { Config } from '../../daemon/config/schema.js';

export function seedHistory(
  config: Config,
  options: { days: number; endWallMs?: number; seed?: number; tickMs?: number },
): Promise<{ points: number; startWallMs: number; endWallMs: number; finalLevelPct: Record<string, number> }>;
