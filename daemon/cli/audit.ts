// `smart-tank audit verify [FILE]`: checks the audit log's hash chain; exit 0 when intact, 1 naming the
// first bad line. `smart-tank audit who`: who logged in, subscribed to what, was refused what, and when.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadConfigFile } from '../config/load.js';
import { AUDIT_FILE_NAME } from '../runtime/gateway.js';
import { verifyAuditText, type AuditRecord } from '../security/audit-log.js';
import {
  accessFromAudit,
  accessFromMosquittoLog,
  queryAccess,
  type Access,
} from '../security/access-record.js';
import { parseCommand, UsageError } from './args.js';
import { DEFAULT_CONFIG_FILE, type CliIo } from './io.js';

export const AUDIT_USAGE = `usage: smart-tank audit verify [FILE] [--config FILE]
       smart-tank audit who [--user U] [--topic T] [--since TIME] [--file FILE] [--mosquitto-log FILE] [--json] [--config FILE]

verify  checks the audit log's hash chain (default: <gateway.stateDir>/audit.log of the config):
        exit 0 when intact, 1 naming the first line that was edited, inserted, removed or reordered
who     who accessed what: logins (and refusals, lockouts), sessions, subscriptions granted and
        denied, refused publishes and commands, one line each, oldest first
  --user U             only this user
  --topic T            who could read topic T (subscriptions covering it), and anything naming it
  --since TIME         ISO 8601 time (2026-12-01T08:00Z) or a duration back from now (90m, 24h, 7d)
  --file FILE          the audit log to read (default: the config's)
  --mosquitto-log FILE read Mosquitto's log too (on the Pi: /var/log/mosquitto/mosquitto.log)
  --json               one JSON object per line
  --config FILE        gateway config (default ${DEFAULT_CONFIG_FILE})`;

const OPTIONS = {
  config: { type: 'string' },
  user: { type: 'string' },
  topic: { type: 'string' },
  since: { type: 'string' },
  file: { type: 'string' },
  'mosquitto-log': { type: 'string' },
  json: { type: 'boolean', default: false },
} as const;

export async function auditCommand(argv: string[], io: CliIo): Promise<number> {
  const parsed = parseCommand(argv, {
    usage: AUDIT_USAGE,
    options: OPTIONS,
    positionals: { min: 1, max: 2, names: 'verify or who' },
  });
  if (parsed.help) {
    io.out(AUDIT_USAGE);
    return 0;
  }
  const [action, fileArg] = parsed.positionals;
  const v = parsed.values;
  const auditFile = async () =>
    v.file ??
    fileArg ??
    join((await loadConfigFile(v.config ?? DEFAULT_CONFIG_FILE)).gateway.stateDir, AUDIT_FILE_NAME);
  if (action === 'verify') return verify(await auditFile(), io);
  if (action === 'who') {
    if (fileArg) throw new UsageError(`unexpected argument "${fileArg}" (use --file)`, AUDIT_USAGE);
    return who(await auditFile(), v, io);
  }
  throw new UsageError(`unknown audit action "${action}"`, AUDIT_USAGE);
}

async function verify(file: string, io: CliIo): Promise<number> {
  const text = await readText(file, io);
  if (text === undefined) return 1;
  const result = verifyAuditText(text);
  if (result.ok) {
    io.out(`${file}: intact, ${result.lines} entries, head ${result.head}`);
    return 0;
  }
  io.out(`${file}:${result.line}: ${result.problem}`);
  return 1;
}

async function who(
  file: string,
  v: { user?: string; topic?: string; since?: string; json: boolean; 'mosquitto-log'?: string },
  io: CliIo,
): Promise<number> {
  const text = await readText(file, io);
  if (text === undefined) return 1;
  let records = accessFromAudit(auditRecords(text));
  const mosquittoLog = v['mosquitto-log'];
  if (mosquittoLog) {
    const log = await readText(mosquittoLog, io);
    if (log === undefined) return 1;
    records = [...records, ...accessFromMosquittoLog(log)].sort((a, b) => a.time.localeCompare(b.time));
  }
  const found = queryAccess(records, { user: v.user, topic: v.topic, sinceMs: sinceMs(v.since) });
  for (const a of found) io.out(v.json ? JSON.stringify(a) : line(a));
  if (!v.json) io.err(`${found.length} of ${records.length} access records`);
  return 0;
}

function line(a: Access): string {
  return `${a.time}  ${a.who.padEnd(14)} ${a.kind.padEnd(12)} ${a.what}  -> ${a.result}  [${a.from}]`;
}

/** Every line of the log that parses (a torn or edited line is verify's business, not who's). */
function* auditRecords(text: string): Generator<AuditRecord> {
  for (const l of text.split('\n')) {
    if (!l) continue;
    try {
      yield JSON.parse(l) as AuditRecord;
    } catch {
      // skipped: `audit verify` names it
    }
  }
}

const DURATION = /^(\d+(?:\.\d+)?)(m|h|d)$/;
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

function sinceMs(since: string | undefined): number | undefined {
  if (since === undefined) return undefined;
  const d = DURATION.exec(since);
  if (d) return Date.now() - Number(d[1]) * UNIT_MS[d[2] as keyof typeof UNIT_MS];
  const t = Date.parse(since);
  if (Number.isNaN(t))
    throw new UsageError(
      `--since must be an ISO 8601 time or a duration like 90m, 24h, 7d; got "${since}"`,
      AUDIT_USAGE,
    );
  return t;
}

async function readText(file: string, io: CliIo): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    io.err(`smart-tank audit: cannot read ${file}: ${(err as Error).message}`);
    return undefined;
  }
}
