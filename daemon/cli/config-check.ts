// `smart-tank config check FILE`: exit 0 when valid, 1 with one `path: message` line per problem.

import { ConfigError, formatProblem, loadConfigFile } from '../config/load.js';
import type { CliIo } from './io.js';

export async function configCheckCommand(argv: string[], io: CliIo): Promise<number> {
  const file = argv[0];
  if (!file || argv.length > 1) {
    io.err('usage: smart-tank config check FILE');
    return 2;
  }
  try {
    const config = await loadConfigFile(file);
    io.out(`${file}: valid (gateway ${config.gateway.id}, ${config.tanks.length} tank(s))`);
    return 0;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    for (const p of err.problems) io.out(formatProblem(p));
    return 1;
  }
}
