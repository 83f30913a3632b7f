// What a CLI command may touch of the process: injected so commands are tested without spawning.

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** Progress output for terminals (stderr, no newline). */
  progress(text: string): void;
  isTTY: boolean;
}

export const DEFAULT_CONFIG_FILE = '/etc/smart-tank/config.yaml';

export const processIo: CliIo = {
  out: (text) => process.stdout.write(text + '\n'),
  err: (text) => process.stderr.write(text + '\n'),
  progress: (text) => process.stderr.write(text),
  isTTY: Boolean(process.stderr.isTTY),
};
