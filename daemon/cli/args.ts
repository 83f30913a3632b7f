// One way to parse arguments for every `smart-tank` command: Node's own util.parseArgs (no dependency to
// load or keep up to date; strict, so a misspelt option is an error), plus what every command owes its
// user: `-h`/`--help` prints the command's usage and exits 0, a wrong option or a missing argument prints
// the reason and the usage and exits 2.

import { parseArgs, type ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;

export interface CommandSpec<O extends Options> {
  /** The whole usage text: first line `usage: smart-tank ...`, then what each option does. */
  usage: string;
  options: O;
  /** Positional arguments: at least `min` (default 0), at most `max` (default 0). */
  positionals?: { min?: number; max?: number; names?: string };
}

/** A mistake in how a command was called: the CLI prints the message and the usage, exit 2. */
export class UsageError extends Error {
  override name = 'UsageError';
  constructor(
    message: string,
    readonly usage?: string,
  ) {
    super(message);
  }
}

export type Parsed<O extends Options> =
  | { help: true }
  | {
      help: false;
      values: ReturnType<typeof parseArgs<{ options: O; allowPositionals: true; strict: true }>>['values'];
      positionals: string[];
    };

export function parseCommand<O extends Options>(argv: string[], spec: CommandSpec<O>): Parsed<O> {
  if (argv.includes('--help') || argv.includes('-h')) return { help: true };
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: spec.options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message, spec.usage);
  }
  const min = spec.positionals?.min ?? 0;
  const max = spec.positionals?.max ?? 0;
  const n = parsed.positionals.length;
  if (n < min)
    throw new UsageError(`missing ${spec.positionals?.names ?? 'argument'} (see below)`, spec.usage);
  if (n > max) throw new UsageError(`unexpected argument "${parsed.positionals[max]}"`, spec.usage);
  return { help: false, values: parsed.values, positionals: parsed.positionals };
}

/** A number from an option, or a UsageError naming the option and the accepted range. */
export function numberOption(
  name: string,
  raw: string | undefined,
  range: { min: number; max: number; integer?: boolean },
  usage: string,
): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  const ok =
    raw.trim() !== '' &&
    Number.isFinite(value) &&
    value >= range.min &&
    value <= range.max &&
    (!range.integer || Number.isInteger(value));
  if (!ok)
    throw new UsageError(
      `--${name} must be ${range.integer ? 'an integer' : 'a number'} from ${range.min} to ${range.max}, got "${raw}"`,
      usage,
    );
  return value;
}
