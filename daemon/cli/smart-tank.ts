#!/usr/bin/env node
// Entry point of the `smart-tank` command (package bin). Only sets the exit code; main() does the rest.

import { main } from './main.js';
import { processIo } from './io.js';

main(process.argv.slice(2), processIo).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`smart-tank: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
