// Structured logging: one JSON line per event, namespaced, never a secret.
// Kept dependency-free (pino would cost start-up time and memory for what is a JSON.stringify).

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const LEVEL_RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LogFields = Record<string, unknown>;

export interface Logger {
  readonly namespace: string;
  child(namespace: string): Logger;
  isEnabled(level: LogLevel): boolean;
  debug(msg: string, fields?: LogFields | (() => LogFields)): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

export interface LoggerOptions {
  level: LogLevel;
  /** Where lines go; stderr by default so stdout stays free for CLI output. */
  write?: (line: string) => void;
  /** Wall-clock source for the `time` field. */
  now?: () => number;
}

export function createLogger(options: LoggerOptions, namespace = 'tank'): Logger {
  const write = options.write ?? ((line: string) => process.stderr.write(line + '\n'));
  const now = options.now ?? Date.now;
  const threshold = LEVEL_RANK[options.level];

  const emit = (level: LogLevel, msg: string, fields?: LogFields) => {
    if (LEVEL_RANK[level] < threshold) return;
    const record: LogFields = { time: new Date(now()).toISOString(), level, ns: namespace, msg };
    if (fields) for (const [key, value] of Object.entries(fields)) record[key] = toLoggable(value);
    write(JSON.stringify(record));
  };

  return {
    namespace,
    child: (sub) => createLogger(options, `${namespace}:${sub}`),
    isEnabled: (level) => LEVEL_RANK[level] >= threshold,
    debug: (msg, fields) => {
      if (LEVEL_RANK.debug < threshold) return;
      emit('debug', msg, typeof fields === 'function' ? fields() : fields);
    },
    info: (msg, fields) => emit('info', msg, fields),
    warn: (msg, fields) => emit('warn', msg, fields),
    error: (msg, fields) => emit('error', msg, fields),
  };
}

/** A logger that drops everything, for tests and the simulator. */
export const silentLogger: Logger = createLogger({ level: 'error', write: () => {} });

function toLoggable(value: unknown): unknown {
  if (value instanceof Error) {
    const out: LogFields = { name: value.name, message: value.message };
    const code = (value as NodeJS.ErrnoException).code;
    if (code) out.code = code;
    if (value.cause !== undefined) out.cause = toLoggable(value.cause);
    return out;
  }
  return value;
}
