// `smart-tank audit verify [FILE]`: checks the audit log's hash chain; exit 0 when intact, 1 naming the
// first bad line.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfigFile } from '../config/load.js';
import { AUDIT_FILE_NAME } from '../runtime/gateway.js';
import { verifyAuditText } from '../security/audit-log.js';
import { DEFAULT_CONFIG_FILE, type CliIo } from './io.js';
import { UsageError } from './sim.js';

export async function auditCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { config: { type: 'string' } },
  });
  const [action, fileArg] = positionals;
  if (action !== 'verify') throw new UsageError('usage: smart-tank audit verify [FILE] [--config FILE]');
  const file =
    fileArg ??
    join((await loadConfigFile(values.config ?? DEFAULT_CONFIG_FILE)).gateway.stateDir, AUDIT_FILE_NAME);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    io.err(`smart-tank audit: cannot read ${file}: ${(err as Error).message}`);
    return 1;
  }
  const result = verifyAuditText(text);
  if (result.ok) {
    io.out(`${file}: intact, ${result.lines} entries, head ${result.head}`);
    return 0;
  }
  io.out(`${file}:${result.line}: ${result.problem}`);
  return 1;
}
