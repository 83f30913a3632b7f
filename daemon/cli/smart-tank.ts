#!/usr/bin/env node
// Entry point of the `smart-tank` command (package bin). Only sets the exit code; main() does the rest.

import { main } from './main.js';
import { processIo } from './io.js';

// Output piped into a reader that stops early (`| head`): the rest is not wanted, not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

main(process.argv.slice(2), processIo).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`smart-tank: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
